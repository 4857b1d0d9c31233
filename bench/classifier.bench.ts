/**
 * Classifier benchmark on CLINC150 (see ../shared/README.md).
 *
 *   npm run bench:classifier -- [path/to/data_full.json] [--runs 3] [--ml-svm-intents 10]
 *
 * Linear backend: train on `train`, calibrate and tune the abstain threshold on `val` + `oos_val`,
 * report on `test` / `oos_test`. ml-svm: on the largest intent subsample it accepts. scikit-learn
 * (TF-IDF 1-2 grams sublinear + LinearSVC C=1) is run in the same session when python3 has it, and
 * ratios are printed. Timings are medians over --runs. Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ML_SVM_MAX_TRAINING_SIZE } from '../src/classifier/backends/ml-svm.backend.ts';
import { loadClassifier } from '../src/classifier/classifier.ts';
import { evaluatePredictions } from '../src/classifier/evaluate.ts';
import { UNCLASSIFIED, type LabeledExample } from '../src/classifier/labeled-example.ts';
import { trainModel } from '../src/classifier/train.ts';
import { runLanguagesBench } from './classifier-languages.bench.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, 'ml-svm-intents': { type: 'string', default: '10' } },
});
const path = positionals[0] ?? '../shared/data/clinc150/data_full.json';
const runs = Number(values.runs);
type Split = [string, string][];
const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Split>;
const examples = (s: Split): LabeledExample[] => s.map(([text, label]) => ({ text, label }));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 3) => x.toFixed(d);

const train = examples(data.train);
const test = examples(data.test);
const oosTest = data.oos_test.map(([t]) => t);

const trainTimes: number[] = [];
const predictRates: number[] = [];
let classifier = loadClassifier(trainModel(train.slice(0, 300), { calibrationFolds: 0 })); // warm-up (JIT, wink model)
let artifact = trainModel(train, {
  calibrationSet: { examples: examples(data.val), outOfScope: data.oos_val.map(([t]) => t) },
});
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  artifact = trainModel(train, {
    calibrationSet: { examples: examples(data.val), outOfScope: data.oos_val.map(([t]) => t) },
  });
  trainTimes.push((performance.now() - t0) / 1000);
}
classifier = loadClassifier(artifact);
const all = [...test.map((e) => e.text), ...oosTest];
let answers = all.map((t) => classifier.classifyTop(t));
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  answers = all.map((t) => classifier.classifyTop(t));
  predictRates.push(all.length / ((performance.now() - t0) / 1000));
}
const inScope = answers.slice(0, test.length);
const gold = test.map((e) => e.label);
const top = evaluatePredictions(
  gold,
  inScope.map((a) => a.topLabel),
);
const withAbstain = evaluatePredictions(
  gold,
  inScope.map((a) => a.label),
);
const oosRecall = answers.slice(test.length).filter((a) => a.label === UNCLASSIFIED).length / oosTest.length;
const peakRssMb = process.resourceUsage().maxRSS / 1024;

console.log(
  `CLINC150 linear (dual CD, L2-loss, C=1), ${runs} runs, ${train.length} train / ${test.length} test / ${oosTest.length} oos_test`,
);
console.log(`  in-scope accuracy (top label)     ${fmt(top.accuracy)}`);
console.log(`  in-scope macro-F1 (top label)     ${fmt(top.macroF1)}`);
console.log(
  `  abstain threshold (val+oos_val)   ${fmt(artifact.calibration.threshold, 4)}  (Platt a=${fmt(artifact.calibration.a)}, b=${fmt(artifact.calibration.b)})`,
);
console.log(`  in-scope accuracy with abstain    ${fmt(withAbstain.accuracy)}`);
console.log(`  oos recall at threshold           ${fmt(oosRecall)}`);
console.log(
  `  train seconds (median)            ${fmt(median(trainTimes), 2)}   [${trainTimes.map((t) => fmt(t, 2)).join(', ')}]`,
);
console.log(`  predict msgs/s (median)           ${Math.round(median(predictRates))}`);
console.log(`  peak RSS MB                       ${Math.round(peakRssMb)}`);

let sklearn: { accuracy: number; macroF1: number; trainSeconds: number; predictPerSecond: number } | undefined;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
  sklearn = JSON.parse(
    execFileSync('/usr/bin/python3', [new URL('./sklearn_baseline.py', import.meta.url).pathname, path, String(runs)], {
      encoding: 'utf8',
    }),
  );
} catch {
  console.log('scikit-learn not available (python3 -c "import sklearn" failed); no baseline ratios.');
}
if (sklearn) {
  console.log(`scikit-learn TF-IDF(1-2, sublinear) + LinearSVC C=1, same machine, same session`);
  console.log(
    `  accuracy ${fmt(sklearn.accuracy)}  macro-F1 ${fmt(sklearn.macroF1)}  train ${fmt(sklearn.trainSeconds, 2)} s  predict ${Math.round(sklearn.predictPerSecond)} msgs/s`,
  );
  console.log(
    `  ratios rapport/sklearn: accuracy ${fmt(top.accuracy / sklearn.accuracy)}  train time ${fmt(median(trainTimes) / sklearn.trainSeconds, 2)}x  predict speed ${fmt(median(predictRates) / sklearn.predictPerSecond, 2)}x`,
  );
}

const intents = [...new Set(data.train.map(([, l]) => l))].sort().slice(0, Number(values['ml-svm-intents']));
const subset = train.filter((e) => intents.includes(e.label)).slice(0, ML_SVM_MAX_TRAINING_SIZE);
const subsetTest = test.filter((e) => intents.includes(e.label));
for (const backend of ['ml-svm', 'linear'] as const) {
  const t0 = performance.now();
  const c = loadClassifier(trainModel(subset, { backend, calibrationFolds: 0 }));
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const report = evaluatePredictions(
    subsetTest.map((e) => e.label),
    subsetTest.map((e) => c.classifyTop(e.text).topLabel),
  );
  const rate = subsetTest.length / ((performance.now() - t1) / 1000);
  console.log(
    `${backend.padEnd(7)} on ${intents.length} intents / ${subset.length} train msgs (ml-svm limit ${ML_SVM_MAX_TRAINING_SIZE}): accuracy ${fmt(report.accuracy)}  macro-F1 ${fmt(report.macroF1)}  train ${fmt(seconds, 2)} s  predict ${Math.round(rate)} msgs/s`,
  );
}

runLanguagesBench(
  runs,
  test.map((e) => e.text),
  sklearn !== undefined,
);
