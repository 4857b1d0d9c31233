import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURIZER_CONFIG, type FeaturizerConfig } from '../../../src/classifier/featurizer.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { loadSeedExamples } from '../../../src/classifier/default-model.ts';
import { parseModelArtifact, serializeModelArtifact } from '../../../src/classifier/model-artifact.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { NEGATION_CUES, readWholeMessagesForTesting, tokenizeTerms } from '../../../src/classifier/tokenizer.ts';

const root = new URL('../../../', import.meta.url).pathname;
/** CLINC150 when the shared data folder is there (bench:classifier reads the same file); CLINC150=PATH overrides. */
const clincPath = process.env.CLINC150 ?? join(root, '../shared/data/clinc150/data_full.json');

function shippedTexts(): string[] {
  const dir = join(root, 'training-data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => (JSON.parse(l) as { text: string }).text),
    );
}

const TRICKY = [
  "We DON'T want the Invoices, mail anna@example.com about 42 seats",
  "is zedkowski's open tonight",
  "i booked a table at zedkowski's, please cancel it",
  'Meeting at 10:30am on the 3rd... ok?',
  'line one\nline two\tand a tab\r\n',
  'non\u00a0breaking\u2009spaces and  double  spaces ',
  'e.g. U.S. mr. smith, the co-founder (re-send) "quoted" :) <3 #tag @anna',
  'this will never work without a fix; no thanks',
  'Pricing is impossible to rule out, but the demo failed',
  "can't won't shouldn't it's i'm you're they've we'd",
  'Grüße, wir möchten nicht verlängern',
  '¿Podemos cambiar la fecha? No, gracias',
  '价格太高 pls send the API文档 to bob@example.com',
  '',
  '   ',
  '🙂 great!!!',
];

function termsOf(texts: readonly string[], config: FeaturizerConfig, whole: boolean): string[] {
  readWholeMessagesForTesting(whole);
  try {
    return texts.map((t) => JSON.stringify(tokenizeTerms(t, config)));
  } finally {
    readWholeMessagesForTesting(false);
  }
}

describe('tokenizer fast path (messages put together from remembered raw tokens)', () => {
  const configs: [string, FeaturizerConfig][] = [
    ['default', DEFAULT_FEATURIZER_CONFIG],
    ['English-only (models saved before multilingual)', { ...DEFAULT_FEATURIZER_CONFIG, multilingual: false }],
    ['without negation', { ...DEFAULT_FEATURIZER_CONFIG, negation: false }],
    ['normal forms, stop words', { ...DEFAULT_FEATURIZER_CONFIG, termForm: 'normal', stopWords: true }],
  ];
  const texts = [...TRICKY, ...shippedTexts()];
  if (existsSync(clincPath)) {
    const clinc = JSON.parse(readFileSync(clincPath, 'utf8')) as Record<string, [string, string][]>;
    for (const part of Object.values(clinc)) for (const [text] of part) texts.push(text);
  }

  it.each(configs)('gives exactly the terms wink gives reading each message whole (%s)', (_, config) => {
    // Twice each way: the second pass reads from the memo, and wink has learned from the first.
    const whole = termsOf(texts, config, true);
    expect(termsOf(texts, config, false)).toEqual(whole);
    expect(termsOf(texts, config, false)).toEqual(whole);
    expect(termsOf(texts, config, true)).toEqual(whole);
  });

  it('classifies exactly as before with a saved model, new or from before the multilingual tokenizer', () => {
    const seed = loadSeedExamples('en');
    const fresh = trainModel(seed, { calibrationFolds: 0, version: 'fresh' });
    // A model saved before the multilingual tokenizer: no multilingual/cjk keys in its config.
    const legacyTrained = trainModel(seed, {
      calibrationFolds: 0,
      version: 'legacy',
      featurizer: { multilingual: false, cjkCharNgrams: null, stopWords: false, cjkWordBigrams: true },
    });
    const { multilingual, cjkCharNgrams, stopWords, cjkWordBigrams, ...oldConfig } = legacyTrained.featurizer.config;
    const legacy = parseModelArtifact(
      serializeModelArtifact({
        ...legacyTrained,
        featurizer: { ...legacyTrained.featurizer, config: oldConfig as never },
      }),
    );
    // Fresh again after legacy: raw tokens remember their term ids for one featurizer at a time.
    for (const artifact of [fresh, legacy, fresh]) {
      const answers = (whole: boolean) => {
        readWholeMessagesForTesting(whole);
        try {
          const c = loadClassifier(artifact);
          return [c.classifyBatch(texts), texts.slice(0, 300).map((t) => c.classify(t))];
        } finally {
          readWholeMessagesForTesting(false);
        }
      };
      expect(answers(false)).toEqual(answers(true));
    }
  });

  it('covers CLINC150 when ../shared/data is there (23,700 requests)', () => {
    if (!existsSync(clincPath)) return;
    expect(texts.length).toBeGreaterThan(23_700);
  });

  it("knows every word that can open a negation in wink's English model", () => {
    // The negation automaton's first transitions, and the pattern types reachable from each: type "1"
    // opens a negation span, "2" ends one, "0" is ignored. A message without an opener has no negated
    // token, which is what lets the fast path skip wink's negation stage.
    const require = createRequire(import.meta.url);
    const model = require('wink-eng-lite-web-model') as { core(): unknown; featureFn: unknown };
    const Cache = require('wink-nlp/src/cache.js') as (m: unknown, f: unknown) => { value(i: number): string };
    const cache = Cache(model.core(), model.featureFn);
    const file = join(root, 'node_modules/wink-eng-lite-web-model/dist/languages/cur/models/eng-negation-model.json');
    const machine = JSON.parse((JSON.parse(readFileSync(file, 'utf8')) as string[])[0]) as [
      unknown,
      unknown,
      Record<string, Record<string, number>>,
      Record<string, string>,
    ];
    const [, , fsm, terminal] = machine;
    const openers = new Set<string>();
    for (const [uid, first] of Object.entries(fsm['0'])) {
      if (uid === '2070003') continue; // "otherwise"
      const seen = new Set<number>();
      const stack = [first];
      let opens = false;
      while (stack.length > 0) {
        const state = stack.pop()!;
        if (seen.has(state)) continue;
        seen.add(state);
        if (terminal[state] === '1') opens = true;
        for (const next of Object.values(fsm[state] ?? {})) if (next !== 0) stack.push(next);
      }
      if (opens) openers.add(cache.value(Number(uid)));
    }
    expect([...openers].sort()).toEqual([...NEGATION_CUES].sort());
  });
});
