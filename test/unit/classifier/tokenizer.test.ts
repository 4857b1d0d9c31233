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

describe('tokenizer for any language', () => {
  const tokens = (text: string) => tokenizeTerms(text, DEFAULT_FEATURIZER_CONFIG);

  it('segments Chinese into words and adds character 1-2-grams', () => {
    const { terms, extras, language } = tokens('价格太高可能会流失');
    expect(language).toBe('zh');
    expect(terms).toEqual(['价格', '太高', '可能', '会', '流失']);
    expect(extras).toContain('#流失');
    expect(extras).toContain('#价');
  });

  it('keeps traditional characters as written and marks the word after a Chinese negator', () => {
    const traditional = tokens('我們不想續約了');
    expect(traditional.terms).toContain('續約');
    expect(traditional.negated[traditional.terms.indexOf('續約')]).toBe(true);
    const simplified = tokens('我们不想续约了');
    expect(simplified.terms).toContain('续约');
    expect(simplified.terms).not.toContain('續約');
  });

  it('segments Japanese with its own dictionary', () => {
    const { terms, language } = tokens('来週の火曜日に打ち合わせをお願いできますか');
    expect(language).toBe('ja');
    expect(terms).toEqual(expect.arrayContaining(['来週', '火曜日', '打ち合わせ', 'お願い']));
  });

  it('stems German and Spanish with their Snowball stemmers', () => {
    const de = tokens('Wir werden unseren Vertrag zum Monatsende kündigen');
    expect(de.language).toBe('de');
    expect(de.terms).toEqual(expect.arrayContaining(['vertrag', 'kundig']));
    expect(tokens('Wir haben gekündigt, die Verträge laufen aus').terms).toEqual(expect.arrayContaining(['vertrag']));
    const es = tokens('Queremos cancelar los contratos, no vamos a renovar');
    expect(es.language).toBe('es');
    expect(es.terms).toEqual(expect.arrayContaining(['cancel', 'contrat', 'renov']));
  });

  it('folds full-width forms (NFKC) before reading, in Chinese text too', () => {
    expect(tokens('ＡＰＩ文档在哪里？').terms).toContain('api');
    expect(tokens('订单号１２３４５有问题').terms).toContain('<number>');
  });

  it('reads English inside a Chinese message with the English stemmer', () => {
    expect(tokens('老师，invoices 和 contracts 都发一下').terms).toEqual(
      expect.arrayContaining(['invoic', 'contract']),
    );
  });

  it('gives English exactly the terms of the English-only tokenizer', () => {
    for (const text of [
      "We DON'T want the Invoices, mail anna@example.com about 42 seats",
      'Can we move the call to 3pm?',
    ]) {
      const legacy = tokenizeTerms(text, { ...DEFAULT_FEATURIZER_CONFIG, multilingual: false });
      const now = tokens(text);
      expect(now.terms).toEqual(legacy.terms);
      expect(now.negated).toEqual(legacy.negated);
    }
  });

  it('drops stop words when asked, but never negations', () => {
    const { terms } = tokenizeTerms('Wir werden den Vertrag nicht verlängern', {
      ...DEFAULT_FEATURIZER_CONFIG,
      stopWords: true,
    });
    expect(terms).not.toContain('wir');
    expect(terms).toEqual(expect.arrayContaining(['nicht', 'vertrag']));
  });

  it('has nothing to read in an empty text', () => {
    expect(tokens('').terms).toEqual([]);
    expect(tokens('   ').extras).toEqual([]);
  });
});

describe('featurizer for any language', () => {
  it('gives Chinese the same vector on the fast path as on the training path, char n-grams included', async () => {
    const { Featurizer } = await import('../../../src/classifier/featurizer.ts');
    const texts = ['价格太高可能会流失', '我们不想续约了', '请发一下报价单', '下周二可以开会吗', 'API文档在哪里'];
    const { featurizer, vectors } = Featurizer.fit(texts);
    expect(featurizer.toState().vocabulary).toEqual(expect.arrayContaining(['#流失', '流失', 'not_续约', '报价']));
    texts.forEach((t, i) => {
      const v = featurizer.transform(t);
      expect(Array.from(v.indices)).toEqual(Array.from(vectors[i].indices));
      expect(Array.from(v.values)).toEqual(Array.from(vectors[i].values));
    });
  });

  it('reads a model saved before the multilingual tokenizer the way it was trained (English-only)', async () => {
    const { Featurizer } = await import('../../../src/classifier/featurizer.ts');
    const { featurizer } = Featurizer.fit(['send the invoice', 'book a demo'], {
      ...DEFAULT_FEATURIZER_CONFIG,
      multilingual: false,
      cjkCharNgrams: null,
    });
    const { multilingual, cjkCharNgrams, stopWords, ...oldConfig } = featurizer.toState().config;
    const old = Featurizer.fromState({ ...featurizer.toState(), config: oldConfig as never });
    expect(old.config.multilingual).toBe(false);
    expect(old.config.cjkCharNgrams).toBeNull();
    expect(Featurizer.fromState(featurizer.toState()).config.multilingual).toBe(false);
  });
});
