import { describe, expect, it } from 'vitest';
import { ML_SVM_MAX_TRAINING_SIZE, mlSvmBackend } from '../../../src/classifier/backends/ml-svm.backend.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { RapportError } from '../../../src/errors.ts';
import { toSparseMatrix } from '../../../src/classifier/sparse-vector.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { parseModelArtifact, serializeModelArtifact } from '../../../src/classifier/model-artifact.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

describe('ml-svm backend', () => {
  it('learns the toy set with an RBF kernel and survives a save/load round trip', () => {
    const artifact = trainModel(TOY_EXAMPLES, { backend: 'ml-svm', calibrationFolds: 0 });
    const classifier = loadClassifier(artifact);
    for (const e of TOY_EXAMPLES) expect(classifier.classifyTop(e.text).topLabel).toBe(e.label);
    const reloaded = loadClassifier(parseModelArtifact(serializeModelArtifact(artifact)));
    for (const e of TOY_EXAMPLES) expect(reloaded.classify(e.text)).toEqual(classifier.classify(e.text));
  });

  it(`refuses more than ${ML_SVM_MAX_TRAINING_SIZE} messages, naming the limit and suggesting linear`, () => {
    const rows = ML_SVM_MAX_TRAINING_SIZE + 1;
    const vectors = Array.from({ length: rows }, (_, i) => ({
      indices: Int32Array.of(i % 3),
      values: Float32Array.of(1),
    }));
    const classes = Int32Array.from({ length: rows }, (_, i) => i % 2);
    const attempt = () => mlSvmBackend.train(toSparseMatrix(vectors, 3), classes, 2);
    expect(attempt).toThrow(RapportError);
    expect(attempt).toThrow(new RegExp(`at most ${ML_SVM_MAX_TRAINING_SIZE}.*--backend linear`));
  });
});
