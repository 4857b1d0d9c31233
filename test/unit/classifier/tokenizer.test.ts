import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURIZER_CONFIG } from '../../../src/classifier/featurizer.js';
import { tokenizeTerms } from '../../../src/classifier/tokenizer.js';

describe('tokenizer', () => {
  it('gives the same terms whatever wink has read before (it learns "zed\'s" as one word after "zed\'s,")', () => {
    const probe = "is zedkowski's open tonight";
    const before = tokenizeTerms(probe, DEFAULT_FEATURIZER_CONFIG);
    tokenizeTerms("i booked a table at zedkowski's, please cancel it", DEFAULT_FEATURIZER_CONFIG);
    expect(tokenizeTerms(probe, DEFAULT_FEATURIZER_CONFIG)).toEqual(before);
  });

  it('lowercases, stems, marks negated words and replaces emails and numbers by their type', () => {
    const { terms, unigrams } = tokenizeTerms("We DON'T want the Invoices, mail anna@example.com about 42 seats", DEFAULT_FEATURIZER_CONFIG);
    expect(terms).toEqual(['we', 'do', 'not', 'want', 'the', 'invoic', 'mail', '<email>', 'about', '<number>', 'seat']);
    expect(unigrams).toContain('not_want');
    expect(unigrams).toContain('not_invoic');
    expect(unigrams).not.toContain('not_mail');
  });
});
