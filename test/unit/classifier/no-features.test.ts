import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { UNCLASSIFIED } from '../../../src/classifier/labeled-example.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

describe('a message with nothing the model knows', () => {
  // Calibrated with a zero threshold, so only the no-features rule can make it abstain.
  const artifact = trainModel(TOY_EXAMPLES, { calibrationFolds: 0 });
  const classifier = loadClassifier(artifact);

  it('is unclassified with confidence 0, never the label whose bias happens to be largest', () => {
    expect(artifact.calibration.threshold).toBe(0);
    for (const text of ['', '   ', '👍', '价格太高可能会流失', 'zzzz qqqq', '!!!']) {
      const answer = classifier.classify(text);
      expect(answer.label, JSON.stringify(text)).toBe(UNCLASSIFIED);
      expect(answer.confidence).toBe(0);
      expect(classifier.classifyTop(text).label).toBe(UNCLASSIFIED);
    }
  });

  it('while one known word is enough to be answered', () => {
    expect(classifier.classify('crash').label).toBe('bug');
  });
});
