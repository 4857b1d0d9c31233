import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import {
  artifactToRow,
  parseModelArtifact,
  rowToArtifact,
  serializeModelArtifact,
} from '../../../src/classifier/model-artifact.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

const probes = ['question about my invoice', 'book a demo', 'the app has a bug', 'completely unrelated words here'];

describe('model artifact', () => {
  const artifact = trainModel(TOY_EXAMPLES, { version: 'toy-1' });
  const original = loadClassifier(artifact);

  it('gives identical predictions after a JSON save/load round trip', () => {
    const reloaded = loadClassifier(parseModelArtifact(serializeModelArtifact(artifact)));
    for (const text of probes) expect(reloaded.classify(text)).toEqual(original.classify(text));
  });

  it('maps onto the Model table row and back without changing predictions', () => {
    const row = artifactToRow(artifact, true);
    expect(row).toMatchObject({
      version: 'toy-1',
      backend: 'linear',
      labels: ['billing', 'bug', 'meeting'],
      active: true,
    });
    expect(row.weights).toBeInstanceOf(Uint8Array);
    const back = loadClassifier(rowToArtifact({ ...row, weights: Buffer.from(row.weights) }));
    for (const text of probes) expect(back.classify(text)).toEqual(original.classify(text));
  });

  it('rejects a file that is not a model with a sentence, not a stack trace', () => {
    expect(() => parseModelArtifact('{"hello":1}')).toThrow(/not a Rapport model/);
    expect(() => parseModelArtifact('not json')).toThrow(/not valid JSON/);
  });
});
