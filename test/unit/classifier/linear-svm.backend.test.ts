import { describe, expect, it } from 'vitest';
import { linearSvmBackend } from '../../../src/classifier/backends/linear-svm.backend.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { toSparseMatrix } from '../../../src/classifier/sparse-vector.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

describe('linear SVM backend', () => {
  it('learns a separable toy set perfectly', () => {
    const classifier = loadClassifier(trainModel(TOY_EXAMPLES, { calibrationFolds: 0 }));
    for (const e of TOY_EXAMPLES) expect(classifier.classifyTop(e.text).topLabel).toBe(e.label);
  });

  it('separates two points on a line with the right sign', () => {
    const data = toSparseMatrix(
      [
        { indices: Int32Array.of(0), values: Float32Array.of(1) },
        { indices: Int32Array.of(1), values: Float32Array.of(1) },
      ],
      2,
    );
    const svm = linearSvmBackend.train(data, Int32Array.of(0, 1), 2, { C: 10 });
    const m = svm.decision({ indices: Int32Array.of(0), values: Float32Array.of(1) });
    expect(m[0]).toBeGreaterThan(0);
    expect(m[1]).toBeLessThan(0);
  });

  it('gives byte-identical weights for the same seed', () => {
    const a = trainModel(TOY_EXAMPLES, { seed: 7, calibrationFolds: 3 });
    const b = trainModel(TOY_EXAMPLES, { seed: 7, calibrationFolds: 3 });
    expect(Buffer.from(a.weights).equals(Buffer.from(b.weights))).toBe(true);
    expect(a.calibration).toEqual(b.calibration);
  });

  it('understands negation: "not" flips which label a word supports', () => {
    const examples = [
      ...['working', 'happy', 'fine', 'good', 'great', 'ok'].flatMap((w) => [
        { text: `it is ${w}`, label: 'positive' },
        { text: `it is not ${w}`, label: 'negative' },
      ]),
    ];
    const classifier = loadClassifier(trainModel(examples, { calibrationFolds: 0 }));
    expect(classifier.classifyTop('the app is not working').topLabel).toBe('negative');
    expect(classifier.classifyTop('the app is working').topLabel).toBe('positive');
  });
});
