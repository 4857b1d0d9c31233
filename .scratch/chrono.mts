import * as chrono from 'chrono-node';
const now = new Date('2026-11-23T15:00:00Z'); // Mon 23:00 Shanghai
for (const t of ['下周二 发报价','下周二发报价','明天上午9点 打电话','明天 上午9点 打电话','3天后 跟进','月底 续约','后天下午3点','周五','3小时后 回电','30分钟后','下週三','星期五 下午两点','今天晚上8点', '下周', '下个月']) {
  for (const [n,p] of [['hans',chrono.zh.hans.casual],['hant',chrono.zh.hant.casual]] as const) {
    const r = p.parse(t, { instant: now, timezone: 480 }, { forwardDate: true })[0];
    console.log(n, t, r ? `${r.index} [${r.text}] ${r.start.date().toISOString()} hour:${r.start.isCertain('hour')} day:${r.start.isCertain('day')} wd:${r.start.isCertain('weekday')} ${JSON.stringify((r.start as any).knownValues)}` : '-');
  }
}
