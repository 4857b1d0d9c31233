/**
 * The languages part of `npm run bench:classifier` (issue 18): the shipped CRM data per language, next
 * to scikit-learn TF-IDF char(1-3) + LinearSVC trained on the same messages in the same run, and
 * featurizing speed for Chinese next to English. Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClassifier } from '../src/classifier/classifier.ts';
import {
  DEFAULT_MODEL_LANGUAGES,
  loadHeldOutExamples,
  loadSeedExamples,
  SHIPPED_DATA_LANGUAGES,
} from '../src/classifier/default-model.ts';
import { evaluatePredictions } from '../src/classifier/evaluate.ts';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer } from '../src/classifier/featurizer.ts';
import type { LabeledExample } from '../src/classifier/labeled-example.ts';
import { trainModel } from '../src/classifier/train.ts';

const fmt = (x: number, d = 3) => x.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
type Language = (typeof SHIPPED_DATA_LANGUAGES)[number];

function sklearnChar(train: readonly LabeledExample[], tests: Record<string, readonly LabeledExample[]>) {
  const file = join(mkdtempSync(join(tmpdir(), 'rapport-bench-')), 'sets.json');
  const rows = (xs: readonly LabeledExample[]) => xs.map((e) => [e.text, e.label]);
  writeFileSync(
    file,
    JSON.stringify({
      train: rows(train),
      tests: Object.fromEntries(Object.entries(tests).map(([k, v]) => [k, rows(v)])),
    }),
  );
  const script = new URL('./sklearn_char_baseline.py', import.meta.url).pathname;
  return JSON.parse(execFileSync('/usr/bin/python3', [script, file], { encoding: 'utf8' })) as {
    trainSeconds: number;
    tests: Record<string, { accuracy: number; macroF1: number }>;
  };
}

/** Featurizing rate (messages/s, median of `runs`) of a fitted featurizer over `texts`, repeated to ~20k. */
function featurizeRate(featurizer: Featurizer, texts: readonly string[], runs: number): number {
  const repeat = Math.max(1, Math.ceil(20_000 / texts.length));
  const rates: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    for (let k = 0; k < repeat; k++) for (const t of texts) featurizer.transform(t);
    if (r > 0) rates.push((repeat * texts.length) / ((performance.now() - t0) / 1000)); // run 0 warms up
  }
  return median(rates);
}

/** Runs the languages part; `clincTexts` are English texts for the featurizing comparison. */
export function runLanguagesBench(runs: number, clincTexts: readonly string[], sklearnAvailable: boolean): void {
  console.log(
    `\nLanguages (shipped CRM data; load average at start ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')})`,
  );
  const heldOut = Object.fromEntries(SHIPPED_DATA_LANGUAGES.map((l) => [l, loadHeldOutExamples(l)])) as Record<
    Language,
    LabeledExample[]
  >;
  const score = (c: ReturnType<typeof loadClassifier>, xs: readonly LabeledExample[], top = false) =>
    evaluatePredictions(
      xs.map((e) => e.label),
      xs.map((e) => (top ? c.classifyTop(e.text).topLabel : c.classifyTop(e.text).label)),
    );

  // The default model as shipped (abstain threshold applied) and the English-only model it replaces.
  const seed = DEFAULT_MODEL_LANGUAGES.flatMap((l) => loadSeedExamples(l));
  const bilingual = loadClassifier(trainModel(seed));
  const englishOnly = loadClassifier(
    trainModel(loadSeedExamples('en'), { featurizer: { multilingual: false, cjkCharNgrams: null } }),
  );
  console.log(
    `  default model (${DEFAULT_MODEL_LANGUAGES.join('+')}, ${seed.length} seed msgs), held-out with abstain:`,
  );
  for (const l of SHIPPED_DATA_LANGUAGES) {
    const r = score(bilingual, heldOut[l]);
    console.log(
      `    ${l}  n ${String(r.n).padStart(3)}  accuracy ${fmt(r.accuracy)}  macro-F1 ${fmt(r.macroF1)}  unclassified ${fmt(r.abstained)}${DEFAULT_MODEL_LANGUAGES.includes(l as never) ? '' : '  (not in the default model)'}`,
    );
  }
  const before = score(englishOnly, heldOut.en);
  console.log(
    `  English-only model as before this change (English tokenizer, en seed): en macro-F1 ${fmt(before.macroF1)}  accuracy ${fmt(before.accuracy)}  unclassified ${fmt(before.abstained)}`,
  );
  // One training seed is one draw: the solver's and the calibration folds' shuffles move English
  // held-out macro-F1 by about ±1 point. Medians over 5 seeds, both models in this run.
  const seeds = [1, 2, 3, 4, 5];
  const english = (examples: readonly LabeledExample[], featurizer?: object) =>
    seeds.map((s) => score(loadClassifier(trainModel(examples, { seed: s, featurizer })), heldOut.en).macroF1);
  const mixedRuns = english(seed);
  const englishRuns = english(loadSeedExamples('en'), { multilingual: false, cjkCharNgrams: null });
  console.log(
    `  English held-out macro-F1 over seeds ${seeds.join(',')}: default model median ${fmt(median(mixedRuns))} [${mixedRuns.map((x) => fmt(x)).join(' ')}], English-only median ${fmt(median(englishRuns))} [${englishRuns.map((x) => fmt(x)).join(' ')}]`,
  );

  // Chinese alone, top label (no abstaining), Rapport vs scikit-learn char n-grams on the same messages.
  const zhSeed = loadSeedExamples('zh');
  const zhOnly = loadClassifier(trainModel(zhSeed, { calibrationFolds: 0 }));
  const zhRapport = score(zhOnly, heldOut.zh, true);
  const zhDefault = score(bilingual, heldOut.zh, true);
  const zhWordBigrams = score(
    loadClassifier(trainModel(zhSeed, { calibrationFolds: 0, featurizer: { cjkWordBigrams: true } })),
    heldOut.zh,
    true,
  );
  console.log(`  Chinese (train ${zhSeed.length} zh seed msgs, test ${heldOut.zh.length} zh held-out), top label:`);
  console.log(
    `    Rapport (words + CJK char 1-2-grams, linear SVM)    macro-F1 ${fmt(zhRapport.macroF1)}  accuracy ${fmt(zhRapport.accuracy)}`,
  );
  console.log(
    `    Rapport with CJK word bigrams too (cjkWordBigrams: true, the default before) macro-F1 ${fmt(zhWordBigrams.macroF1)}  accuracy ${fmt(zhWordBigrams.accuracy)}`,
  );
  console.log(
    `    Rapport default model (trained on ${DEFAULT_MODEL_LANGUAGES.join('+')})     macro-F1 ${fmt(zhDefault.macroF1)}  accuracy ${fmt(zhDefault.accuracy)}`,
  );
  if (sklearnAvailable) {
    const zh = sklearnChar(zhSeed, { zh: heldOut.zh });
    const mixed = sklearnChar(seed, heldOut);
    console.log(
      `    scikit-learn TF-IDF char(1-3) + LinearSVC C=1       macro-F1 ${fmt(zh.tests.zh.macroF1)}  accuracy ${fmt(zh.tests.zh.accuracy)}   ratio rapport/sklearn ${fmt(zhRapport.macroF1 / zh.tests.zh.macroF1)} (with word bigrams ${fmt(zhWordBigrams.macroF1 / zh.tests.zh.macroF1)})`,
    );
    console.log(
      `    scikit-learn char(1-3) on the default model's data: ${SHIPPED_DATA_LANGUAGES.map((l) => `${l} ${fmt(mixed.tests[l].macroF1)}`).join('  ')} (top label; Rapport default top label: ${SHIPPED_DATA_LANGUAGES.map((l) => `${l} ${fmt(score(bilingual, heldOut[l], true).macroF1)}`).join('  ')})`,
    );
  }

  // Featurizing speed, side by side in one run: Chinese messages, English (CLINC150) messages, and the
  // English-only tokenizer on the same English messages.
  const zhTexts = [...zhSeed, ...heldOut.zh].map((e) => e.text);
  const { featurizer } = Featurizer.fit([...zhTexts, ...clincTexts]);
  const { featurizer: legacy } = Featurizer.fit(clincTexts, {
    ...DEFAULT_FEATURIZER_CONFIG,
    multilingual: false,
    cjkCharNgrams: null,
  });
  const zhRate = featurizeRate(featurizer, zhTexts, runs);
  const enRate = featurizeRate(featurizer, clincTexts, runs);
  const legacyRate = featurizeRate(legacy, clincTexts, runs);
  const meanChars = zhTexts.reduce((s, t) => s + t.length, 0) / zhTexts.length;
  console.log(`  featurize msgs/s (median of ${runs}):`);
  console.log(`    Chinese (${zhTexts.length} msgs, ${fmt(meanChars, 1)} chars avg)  ${Math.round(zhRate)}`);
  console.log(
    `    English CLINC150 test            ${Math.round(enRate)}   English-only tokenizer ${Math.round(legacyRate)}  (ratio ${fmt(enRate / legacyRate, 2)})`,
  );
  console.log(
    `  load average at end ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')}`,
  );
}
