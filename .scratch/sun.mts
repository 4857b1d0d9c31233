import { parseWhen } from '../src/domain/parse-when.ts';
for (const d of ['2026-11-29T04:00:00Z','2026-11-28T04:00:00Z','2026-11-30T04:00:00Z','2026-12-01T04:00:00Z']) console.log(d, parseWhen('下周二', new Date(d), 'Asia/Shanghai').toISOString());
for (const d of ['2026-11-29T04:00:00Z','2026-12-02T04:00:00Z']) console.log(d, parseWhen('下周日', new Date(d), 'Asia/Shanghai').toISOString(), parseWhen('下周二下午3点', new Date(d), 'Asia/Shanghai').toISOString(), parseWhen('下个星期一', new Date(d), 'Asia/Shanghai').toISOString());
