import { describe, expect, it } from 'vitest';
import { loadHardEvalExamples } from '../../../src/classifier/default-model.ts';
import { analyzeMessage } from '../../../src/classifier/entities.ts';

const hard = loadHardEvalExamples();

describe('English sentiment: sarcasm and negation', () => {
  it('scores every hand-written sarcastic complaint negative (wink alone scored most of them positive)', () => {
    const sarcasm = hard.filter((e) => e.kind === 'sarcasm');
    expect(sarcasm.length).toBeGreaterThanOrEqual(15);
    for (const e of sarcasm) expect(analyzeMessage(e.text).sentiment, e.text).toBeLessThan(0);
    expect(
      analyzeMessage('Well this is just wonderful, the app logged me out again in the middle of a call').sentiment,
    ).toBeLessThanOrEqual(-0.4);
  });

  it('keeps sincere praise positive, also praise of a fix', () => {
    for (const e of hard.filter((x) => x.kind === 'sincere'))
      expect(analyzeMessage(e.text).sentiment, e.text).toBeGreaterThan(0);
  });

  it('reads negations wink gets backwards', () => {
    expect(analyzeMessage('nothing works since the update').sentiment).toBeLessThan(0);
    expect(analyzeMessage('we have never been happier with a tool').sentiment).toBeGreaterThan(0);
    expect(analyzeMessage('I am not happy with the service').sentiment).toBeLessThan(0);
  });
});
