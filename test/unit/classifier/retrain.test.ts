import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { retrainModel } from '../../../src/classifier/retrain.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

const heldOut = [
  { text: 'my receipt is missing', label: 'billing' },
  { text: 'schedule a demo', label: 'meeting' },
  { text: 'app error again', label: 'bug' },
];

describe('retrain from corrections', () => {
  it('learns a correction and activates when quality holds', () => {
    const corrections = Array.from({ length: 4 }, () => ({ text: 'the licence renewal', label: 'billing' }));
    const result = retrainModel({ seedExamples: TOY_EXAMPLES, corrections, heldOut, folds: 3 });
    expect(result.activate).toBe(true);
    expect(result.delta).toBeNull();
    expect(result.artifact.trainingSummary.corrections).toBe(4);
    expect(loadClassifier(result.artifact).classify('licence renewal').topLabel).toBe('billing');
    expect(result.metrics.crossValidation.k).toBe(3);
  });

  it('does not activate when held-out macro-F1 drops by more than 0.5 points, and reports the delta', () => {
    const good = retrainModel({ seedExamples: TOY_EXAMPLES, corrections: [], heldOut, folds: 3 });
    // Corrections that relabel a whole vocabulary wrongly must not replace the good model.
    const wrong = ['invoice', 'refund', 'payment', 'billing', 'charge', 'receipt'].flatMap((w) =>
      Array.from({ length: 3 }, () => ({ text: `my ${w}`, label: 'bug' })),
    );
    const worse = retrainModel({
      seedExamples: TOY_EXAMPLES,
      corrections: wrong,
      heldOut,
      currentMetrics: good.artifact.metrics,
      folds: 3,
    });
    expect(worse.delta!.heldOutMacroF1).toBeLessThan(-0.005);
    expect(worse.activate).toBe(false);
    const same = retrainModel({
      seedExamples: TOY_EXAMPLES,
      corrections: [],
      heldOut,
      currentMetrics: good.artifact.metrics,
      folds: 3,
    });
    expect(same.delta!.heldOutMacroF1).toBeCloseTo(0, 10);
    expect(same.activate).toBe(true);
  });
});
