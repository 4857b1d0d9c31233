import { buildCharsetEmail, encodeText } from '../test/helpers/email-fixtures.ts';
import { simpleParser } from 'mailparser';
const t0 = Date.now();
for (const [cs, te, text] of [['GB2312','base64','价格太高了，如果不降价我们月底就不续约了'],['GBK','quoted-printable','系统从昨天开始一直登录不上，报错500 = 麻烦'],['Big5','8bit','我們想再買五十個帳號，請報個價給我們。'],['UTF-8','base64','下周二下午3点开个会']] as const) {
  const m = buildCharsetEmail({ from: 'a@b.cn', subject: (cs === 'Big5' ? '關於' : '关于') + cs, body: text, charset: cs, transferEncoding: te });
  const p = await simpleParser(m);
  console.log(cs, p.subject, JSON.stringify(p.text), p.text?.trim() === text);
}
console.log(Date.now() - t0, 'ms', encodeText('關於', 'Big5'));
