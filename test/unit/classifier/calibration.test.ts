import { describe, expect, it } from 'vitest';
import { chooseAbstainThreshold, fitPlatt, plattProbability } from '../../../src/classifier/calibration.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { UNCLASSIFIED } from '../../../src/classifier/labeled-example.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

describe('calibration', () => {
  it('fits a sigmoid whose probability rises with the margin', () => {
    const margins = [-1.5, -1, -0.8, -0.5, -0.2, 0, 0.1, 0.3, 0.5, 0.8, 1, 1.5];
    const right = [false, false, false, false, true, false, true, false, true, true, true, true];
    const platt = fitPlatt(margins, right);
    expect(platt.a).toBeLessThan(0);
    let previous = -1;
    for (let m = -2; m <= 2; m += 0.25) {
      const p = plattProbability(m, platt);
      expect(p).toBeGreaterThan(previous);
      previous = p;
    }
    expect(plattProbability(-2, platt)).toBeLessThan(0.2);
    expect(plattProbability(2, platt)).toBeGreaterThan(0.8);
  });

  it('puts the abstain threshold between wrong low-confidence and right high-confidence answers', () => {
    const t = chooseAbstainThreshold([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [false, false, false, true, true, true]);
    expect(t).toBeGreaterThan(0.3);
    expect(t).toBeLessThan(0.7);
    expect(chooseAbstainThreshold([0.5, 0.6], [true, true])).toBe(0);
  });

  it('answers unclassified for a message that fits no label, and a label for one that does', () => {
    const artifact = trainModel(TOY_EXAMPLES, {
      calibrationFolds: 0,
      calibrationSet: {
        examples: [
          { text: 'my invoice is wrong', label: 'billing' },
          { text: 'book a call', label: 'meeting' },
          { text: 'a crash again', label: 'bug' },
        ],
        outOfScope: ['the weather is lovely', 'my cat sleeps a lot', 'pizza or pasta tonight'],
      },
    });
    const classifier = loadClassifier(artifact);
    expect(classifier.threshold).toBeGreaterThan(0);
    expect(classifier.classify('lovely pasta tonight').label).toBe(UNCLASSIFIED);
    const sure = classifier.classify('question about my refund');
    expect(sure.label).toBe('billing');
    expect(sure.confidence).toBeGreaterThanOrEqual(classifier.threshold);
  });
});
