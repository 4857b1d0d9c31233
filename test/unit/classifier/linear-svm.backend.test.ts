import { describe, expect, it } from 'vitest';
import { linearSvmBackend } from '../../../src/classifier/backends/linear-svm.backend.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { seededRandom } from '../../../src/classifier/seeded-random.ts';
import { type SparseVector, toSparseMatrix } from '../../../src/classifier/sparse-vector.ts';
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

  it('scores with its dense and sparse columns exactly the weights it stores, one message or a batch', () => {
    // Rows of 3 to 20 features out of 200: frequent columns get weights for most of the 9 labels (kept
    // dense for scoring), rare ones for a few (kept sparse); a batch row takes the same path as a message.
    const random = seededRandom(11);
    const vector = (): SparseVector => {
      const picked = new Set<number>();
      const size = 3 + Math.floor(random() * 18);
      while (picked.size < size) picked.add(Math.floor(random() ** 3 * 200));
      const indices = Int32Array.from([...picked].sort((a, b) => a - b));
      return { indices, values: Float32Array.from(indices, () => random()) };
    };
    const rows = Array.from({ length: 600 }, vector);
    const classes = Int32Array.from(rows, (r) => r.indices[0] % 9);
    const svm = linearSvmBackend.train(toSparseMatrix(rows, 200), classes, 9);
    // The stored layout: float32 weights[nnz], float32 biases[9], int32 start[201], uint16 classes[nnz].
    const bytes = svm.serialize();
    const nnz = Number(svm.shape.nonZeros);
    const weights = new Float32Array(bytes.buffer, bytes.byteOffset, nnz);
    const biases = new Float32Array(bytes.buffer, bytes.byteOffset + 4 * nnz, 9);
    const start = new Int32Array(bytes.buffer, bytes.byteOffset + 4 * nnz + 36, 201);
    const classOf = new Uint16Array(bytes.buffer, bytes.byteOffset + 4 * nnz + 36 + 804, nnz);
    const perLabel = Array.from({ length: 200 }, (_, j) => start[j + 1] - start[j]);
    expect(perLabel.some((n) => 2 * n >= 9)).toBe(true);
    expect(perLabel.some((n) => n > 0 && 2 * n < 9)).toBe(true);
    const tests = Array.from({ length: 200 }, vector);
    const batch = toSparseMatrix(tests, 200);
    tests.forEach((x, r) => {
      const expected = Float64Array.from(biases);
      for (let p = 0; p < x.indices.length; p++)
        for (let q = start[x.indices[p]]; q < start[x.indices[p] + 1]; q++)
          expected[classOf[q]] += x.values[p] * weights[q];
      const margins = svm.decision(x);
      for (let c = 0; c < 9; c++) expect(margins[c]).toBeCloseTo(expected[c], 12);
      expect(Array.from(svm.decisionRow!(batch, r))).toEqual(Array.from(margins));
    });
  });

  it('answers a batch exactly as one message at a time', () => {
    const classifier = loadClassifier(trainModel(TOY_EXAMPLES, { calibrationFolds: 3 }));
    const texts = [...TOY_EXAMPLES.map((e) => e.text), 'the refund demo crashed in the app', '', 'zzz unknown'];
    expect(classifier.classifyBatch(texts)).toEqual(texts.map((t) => classifier.classifyTop(t)));
  });
});
