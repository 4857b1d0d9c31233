import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEvaluateCommand } from '../../../app/commands/evaluate.command.ts';
import { serializeModelArtifact } from '../../../src/classifier/model-artifact.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

const CHINESE = [
  ...['发票', '退款', '付款', '账单'].flatMap((w) => [
    { text: `我的${w}有问题`, label: 'billing' },
    { text: `${w}不对`, label: 'billing' },
  ]),
  ...['会议', '电话', '演示'].flatMap((w) => [
    { text: `约一个${w}吧`, label: 'meeting' },
    { text: `把${w}改到周五`, label: 'meeting' },
  ]),
  ...['崩溃', '报错', '卡死'].flatMap((w) => [
    { text: `系统又${w}了`, label: 'bug' },
    { text: `今天一直${w}`, label: 'bug' },
  ]),
];

function sink() {
  const chunks: string[] = [];
  return { write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

describe('rapport evaluate per language', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-evaluate-languages-'));
  const model = join(dir, 'model.json');
  writeFileSync(model, serializeModelArtifact(trainModel([...TOY_EXAMPLES, ...CHINESE], { calibrationFolds: 0 })));

  it("reports accuracy and macro-F1 per language from the data's language column", async () => {
    const data = join(dir, 'mixed.jsonl');
    const rows = [
      ...TOY_EXAMPLES.map((e) => ({ ...e, language: 'en' })),
      ...CHINESE.map((e) => ({ ...e, language: 'zh' })),
      { text: '我的发票有问题', label: 'bug', language: 'zh' }, // one wrong on purpose
    ];
    writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = sink();
    expect(await runEvaluateCommand(['--data', data, '--model', model, '--json'], out)).toBe(0);
    const report = JSON.parse(out.text());
    expect(report.languages.source).toBe('column');
    expect(report.languages.byLanguage.en).toMatchObject({ n: TOY_EXAMPLES.length, accuracy: 1 });
    expect(report.languages.byLanguage.zh.n).toBe(CHINESE.length + 1);
    expect(report.languages.byLanguage.zh.accuracy).toBeCloseTo(CHINESE.length / (CHINESE.length + 1));

    const text = sink();
    expect(await runEvaluateCommand(['--data', data, '--model', model], text)).toBe(0);
    expect(text.text()).toMatch(/Per language \(language column\):\n {2}en {3}n +\d+ {2}accuracy 1\.000/);
    expect(text.text()).toMatch(/ {2}zh {3}n +\d+ {2}accuracy 0\.9\d\d/);
  });

  it('detects the language when the data has no such column', async () => {
    const data = join(dir, 'mixed.csv');
    writeFileSync(
      data,
      `text,label\n${[...TOY_EXAMPLES, ...CHINESE].map((e) => `"${e.text}",${e.label}`).join('\n')}\n`,
    );
    const out = sink();
    expect(await runEvaluateCommand(['--data', data, '--model', model, '--json'], out)).toBe(0);
    const report = JSON.parse(out.text());
    expect(report.languages.source).toBe('detected');
    expect(report.languages.byLanguage.zh.n).toBe(CHINESE.length);
  });
});
