import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURIZER_CONFIG } from '../../../src/classifier/featurizer.ts';
import { tokenizeTerms } from '../../../src/classifier/tokenizer.ts';

describe('tokenizer', () => {
  it('gives the same terms whatever wink has read before (it learns "zed\'s" as one word after "zed\'s,")', () => {
    const probe = "is zedkowski's open tonight";
    const before = tokenizeTerms(probe, DEFAULT_FEATURIZER_CONFIG);
    tokenizeTerms("i booked a table at zedkowski's, please cancel it", DEFAULT_FEATURIZER_CONFIG);
    expect(tokenizeTerms(probe, DEFAULT_FEATURIZER_CONFIG)).toEqual(before);
  });

  it('lowercases, stems, marks negated words and replaces emails and numbers by their type', () => {
    const { terms, negated } = tokenizeTerms(
      "We DON'T want the Invoices, mail anna@example.com about 42 seats",
      DEFAULT_FEATURIZER_CONFIG,
    );
    expect(terms).toEqual(['we', 'do', 'not', 'want', 'the', 'invoic', 'mail', '<email>', 'about', '<number>', 'seat']);
    const negatedTerms = terms.filter((_, i) => negated[i]);
    expect(negatedTerms).toEqual(['want', 'the', 'invoic']);
  });
});

describe('featurizer', () => {
  it('gives the same vector on the fast prediction path as on the training path', async () => {
    const { Featurizer } = await import('../../../src/classifier/featurizer.ts');
    const texts = [
      "we don't want the invoice",
      'send the invoice today',
      'the demo is not working today',
      'book a demo',
    ];
    const { featurizer, vectors } = Featurizer.fit(texts);
    texts.forEach((t, i) => {
      const v = featurizer.transform(t);
      expect(Array.from(v.indices)).toEqual(Array.from(vectors[i].indices));
      expect(Array.from(v.values)).toEqual(Array.from(vectors[i].values));
    });
  });
});
