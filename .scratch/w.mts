import { parseLeadingWhen } from '../src/domain/parse-when.ts';
const now = new Date('2026-11-23T15:00:00Z'); // Mon 23:00 Shanghai
for (const t of ['下周二 发报价','下周二发报价','明天上午9点 打电话','明天 上午9点 打电话','3天后 跟进','三天后 跟进','月底 续约','下个月底 续约','下个月初 回访','后天下午3点 开会','周五 拜访','3小时后 回电','半小时后 回电','下週三 報價','星期五 下午两点','今天晚上8点', '年底', 'tomorrow 9am x', '3 days', '客户 明天']) {
  try { const r = parseLeadingWhen(t, now, 'Asia/Shanghai'); console.log(t, '=>', r ? `${r.at.toISOString()} [${r.matched}] rest=[${r.rest}] local=${r.at.toLocaleString('zh-CN',{timeZone:'Asia/Shanghai'})}` : '-'); }
  catch (e) { console.log(t, 'ERR', (e as Error).message); }
}
