import { loadClassifier } from '../src/classifier/classifier.ts';
import { buildDefaultModel } from '../src/classifier/default-model.ts';
const c = loadClassifier(buildDefaultModel());
for (const t of ['价格太高了，如果不降价我们月底就不续约了，可能会换别家。','价格太高可能会流失','系统从昨天开始一直登录不上，报错500，麻烦尽快处理。','我們想再買五十個帳號，請報個價給我們。','我们想再买五十个账号，请报个价给我们。','下周二下午3点开个会，聊一下二期的需求','你們的系統又當機了，客戶都在抱怨，請盡快處理。','價格太高了，下個月我們可能就不續約了。','关于续约\n\n价格太高了，如果不降价我们月底就不续约了']) {
  const r = c.classifyTop(t); console.log(r.topLabel, r.label, r.confidence?.toFixed?.(2), t);
}
