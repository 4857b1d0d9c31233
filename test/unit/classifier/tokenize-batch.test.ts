import { describe, expect, it } from 'vitest';
import { loadHeldOutExamples, loadSeedExamples } from '../../../src/classifier/default-model.ts';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer } from '../../../src/classifier/featurizer.ts';
import { tokenizeTerms, tokenizeTermsBatch } from '../../../src/classifier/tokenizer.ts';

// Messages that could leak into their neighbours in a joined document: negations running to the
// end, trailing dots and abbreviations, nothing to read at all, the batch marker itself.
const TRICKY = [
  "we don't want it",
  'not happy',
  'we will NOT renew...',
  'call me at 3 p.m',
  'e.g',
  '',
  '   ',
  '!!!',
  'see https://example.com/a?b=c.',
  'mail anna@example.com',
  'qxzbatchmarkqxz is not a word',
  'no',
  ':) great',
  'but why',
];

describe('batch tokenisation', () => {
  it('gives every message exactly the terms and negation flags it gets on its own', () => {
    const texts = [...TRICKY, ...loadSeedExamples().map((e) => e.text), ...loadHeldOutExamples().map((e) => e.text)];
    for (const options of [DEFAULT_FEATURIZER_CONFIG, { termForm: 'lemma', negation: false } as const]) {
      const together = tokenizeTermsBatch(texts, options);
      texts.forEach((text, i) => {
        expect(together[i], JSON.stringify(text)).toEqual(tokenizeTerms(text, options));
      });
    }
  });

  it('gives the featurizer the same vectors in a batch as one at a time', () => {
    const texts = loadSeedExamples()
      .slice(0, 200)
      .map((e) => e.text);
    const { featurizer } = Featurizer.fit(texts);
    const batch = featurizer.transformBatch([...TRICKY, ...texts]);
    [...TRICKY, ...texts].forEach((text, i) => {
      expect(batch[i]).toEqual(featurizer.transform(text));
    });
  });
});
