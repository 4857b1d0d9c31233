import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { FileModelStore } from '../../../src/classifier/model-store.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from '../../unit/classifier/toy-data.ts';

describe('file model store (real directory)', () => {
  it('keeps versions and the active one across reopenings, and never overwrites a version', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rapport-models-')), 'models');
    const first = new FileModelStore(dir);
    const v1 = trainModel(TOY_EXAMPLES, { version: 'toy-1' });
    const v2 = trainModel(TOY_EXAMPLES, { version: 'toy-2', seed: 2 });
    await first.save(v1, { activate: true });
    await first.save(v2);
    await expect(first.save(v1)).rejects.toThrow(/already exists/);

    const reopened = new FileModelStore(dir);
    expect(await reopened.activeVersion()).toBe('toy-1');
    expect((await reopened.list()).map((m) => [m.version, m.active])).toEqual([
      ['toy-1', true],
      ['toy-2', false],
    ]);
    await reopened.activate('toy-2');
    expect(await new FileModelStore(dir).activeVersion()).toBe('toy-2');
    await expect(reopened.activate('toy-9')).rejects.toThrow(/no model version "toy-9"/);

    const loaded = loadClassifier((await new FileModelStore(dir).getActive())!);
    expect(loaded.classify('question about my invoice')).toEqual(
      loadClassifier(v2).classify('question about my invoice'),
    );
  });
});
