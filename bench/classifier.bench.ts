/**
 * Classifier benchmark, side by side with scikit-learn in one run (see ../shared/README.md for data).
 *
 *   npm run bench:classifier -- [--runs 3] [--clinc150 path/to/data_full.json] [--banking77 DIR]
 *
 * For each data set: `rapport train` and the scikit-learn equivalent (TF-IDF 1-2 grams sublinear +
 * LinearSVC C=1, pickled) run as whole processes, alternately, `--runs` times each, timed and
 * measured for peak RSS by /usr/bin/time; accuracy and macro-F1 on `test`; batch prediction rate
 * on test + oos_test inside each process (vectorise + predict); medians and rapport/sklearn ratios.
 * Rapport's train includes its calibration pass (grouped out-of-fold margins); scikit-learn's has
 * none. Then calibration figures (ECE on test) and ml-svm against the linear backend and
 * scikit-learn's RBF SVC on a small subset. Prints the machine's load before and after: timings
 * on a shared machine move with it, ratios from one run much less. Asserts nothing.
 *
 * Banking77 (Casanueva et al. 2020) is read from `--banking77 DIR` (train.csv and test.csv with
 * text,category columns) when given: no npm or Debian package ships it, and nothing is downloaded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ML_SVM_MAX_TRAINING_SIZE } from '../src/classifier/backends/ml-svm.backend.ts';
import { expectedCalibrationError } from '../src/classifier/calibration.ts';
import { loadClassifier } from '../src/classifier/classifier.ts';
import { parseCsv } from '../src/classifier/dataset-reader.ts';
import { evaluatePredictions } from '../src/classifier/evaluate.ts';
import { UNCLASSIFIED, type LabeledExample } from '../src/classifier/labeled-example.ts';
import { parseModelArtifact } from '../src/classifier/model-artifact.ts';
import { trainModel } from '../src/classifier/train.ts';
import { runLanguagesBench } from './classifier-languages.bench.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    clinc150: { type: 'string', default: '../shared/data/clinc150/data_full.json' },
    banking77: { type: 'string' },
    'ml-svm-labels': { type: 'string', default: '10' },
  },
});
const runs = Number(values.runs);
type Pairs = [string, string][];
interface DataSet {
  name: string;
  train: Pairs;
  test: Pairs;
  val?: Pairs;
  oos_val?: Pairs;
  oos_test?: Pairs;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 3) => x.toFixed(d);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const examples = (s: Pairs): LabeledExample[] => s.map(([text, label]) => ({ text, label }));
const here = new URL('.', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;
const python = '/usr/bin/python3';
const haveSklearn = spawnSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
const haveTime = existsSync('/usr/bin/time');

function dataSets(): DataSet[] {
  const sets: DataSet[] = [];
  if (existsSync(values.clinc150))
    sets.push({ name: 'CLINC150', ...JSON.parse(readFileSync(values.clinc150, 'utf8')) });
  else console.log(`CLINC150 not found at ${values.clinc150}; pass --clinc150 PATH.`);
  if (values.banking77) {
    const read = (file: string): Pairs => {
      const [header, ...rows] = parseCsv(readFileSync(join(values.banking77!, file), 'utf8'));
      const text = header.indexOf('text');
      const label = header.indexOf('category');
      return rows.map((r) => [r[text], r[label]]);
    };
    sets.push({ name: 'Banking77', train: read('train.csv'), test: read('test.csv') });
  } else
    console.log(
      'Banking77: not available offline (no npm or Debian package ships it); pass --banking77 DIR with its train.csv and test.csv to include it.',
    );
  return sets;
}

interface Measured {
  seconds: number;
  rssMb: number;
  /** User + system CPU seconds (Rapport's solver uses a second thread on large sets; scikit-learn's does not). */
  cpuSeconds: number;
}

/** Runs a command as its own process: wall seconds, peak RSS (MB) and CPU seconds from /usr/bin/time. */
function measure(command: string, args: string[]): Measured {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', command, ...args], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.slice(-500)}`);
  const [seconds, kb, user, system] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds, rssMb: kb / 1024, cpuSeconds: user + system };
}

function benchDataSet(set: DataSet, dir: string): void {
  const dataJson = join(dir, `${set.name}.json`);
  const trainJsonl = join(dir, `${set.name}-train.jsonl`);
  const model = join(dir, `${set.name}-model.json`);
  const pickle = join(dir, `${set.name}-model.pkl`);
  writeFileSync(dataJson, JSON.stringify(set));
  writeFileSync(trainJsonl, set.train.map(([text, label]) => JSON.stringify({ text, label })).join('\n'));
  const rapport: Measured[] = [];
  const sklearn: Measured[] = [];
  for (let r = 0; r < runs; r++) {
    rapport.push(measure(process.execPath, ['bin/rapport.js', 'train', '--data', trainJsonl, '--out', model]));
    if (haveSklearn) sklearn.push(measure(python, [join(here, 'sklearn_baseline.py'), 'train', dataJson, pickle]));
  }
  const artifact = parseModelArtifact(readFileSync(model, 'utf8'));
  const classifier = loadClassifier(artifact);
  const test = examples(set.test);
  const batch = [...test.map((e) => e.text), ...(set.oos_test ?? []).map(([t]) => t)];
  let answers = classifier.classifyBatch(batch);
  const rates: number[] = [];
  const skRates: number[] = [];
  let sk: { accuracy: number; macroF1: number; predictPerSecond: number } | undefined;
  // Alternating with scikit-learn's, so both see the same machine load.
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    answers = classifier.classifyBatch(batch);
    rates.push(batch.length / ((performance.now() - t0) / 1000));
    if (haveSklearn) {
      sk = JSON.parse(
        execFileSync(python, [join(here, 'sklearn_baseline.py'), 'predict', dataJson, pickle, '1'], {
          encoding: 'utf8',
        }),
      ) as { accuracy: number; macroF1: number; predictPerSecond: number };
      skRates.push(sk.predictPerSecond);
    }
  }
  const inScope = answers.slice(0, test.length);
  const top = evaluatePredictions(
    test.map((e) => e.label),
    inScope.map((a) => a.topLabel),
  );
  const ece = expectedCalibrationError(
    inScope.map((a) => a.confidence),
    inScope.map((a, i) => a.topLabel === test[i].label),
  );
  const rTime = median(rapport.map((x) => x.seconds));
  const rRss = median(rapport.map((x) => x.rssMb));
  console.log(`\n${set.name}: ${set.train.length} train / ${test.length} test, ${runs} runs each, alternating`);
  console.log(
    `  rapport train (whole process, incl. calibration pass): ${fmt(rTime, 2)} s [${rapport.map((x) => fmt(x.seconds, 2)).join(', ')}], peak RSS ${Math.round(rRss)} MB, CPU ${fmt(median(rapport.map((x) => x.cpuSeconds)), 2)} s`,
  );
  const oof = artifact.metrics.outOfFold;
  console.log(
    `  rapport accuracy ${fmt(top.accuracy)}  macro-F1 ${fmt(top.macroF1)}  batch predict ${Math.round(median(rates))} msgs/s  test ECE ${fmt(ece)}` +
      (oof ? `  (out-of-fold on ${oof.n ?? '?'}: accuracy ${fmt(oof.accuracy)}, ECE ${fmt(oof.ece)})` : ''),
  );
  if (!sk) {
    console.log('  scikit-learn not available (apt-get install -y python3-sklearn); no ratios.');
    return;
  }
  const skRate = median(skRates);
  const sTime = median(sklearn.map((x) => x.seconds));
  const sRss = median(sklearn.map((x) => x.rssMb));
  console.log(
    `  sklearn train (whole process): ${fmt(sTime, 2)} s [${sklearn.map((x) => fmt(x.seconds, 2)).join(', ')}], peak RSS ${Math.round(sRss)} MB, CPU ${fmt(median(sklearn.map((x) => x.cpuSeconds)), 2)} s`,
  );
  console.log(
    `  sklearn accuracy ${fmt(sk.accuracy)}  macro-F1 ${fmt(sk.macroF1)}  batch predict ${Math.round(skRate)} msgs/s`,
  );
  const perRun = rapport.map((x, i) => x.seconds / sklearn[i].seconds);
  console.log(
    `  ratios rapport/sklearn: accuracy ${fmt(top.accuracy / sk.accuracy)}  train time ${fmt(rTime / sTime, 2)}x (median of per-run ratios ${fmt(median(perRun), 2)}x)  batch predict ${fmt(median(rates) / skRate, 2)}x (median of per-run ratios ${fmt(median(rates.map((x, i) => x / skRates[i])), 2)}x)  peak RSS ${fmt(rRss / sRss, 2)}x`,
  );
}

function benchCalibration(set: DataSet): void {
  if (!set.val) return;
  const artifact = trainModel(examples(set.train), {
    calibrationSet: { examples: examples(set.val), outOfScope: (set.oos_val ?? []).map(([t]) => t) },
    targetPrecision: 0.95,
  });
  const c = loadClassifier(artifact);
  const test = examples(set.test);
  const answers = c.classifyBatch(test.map((e) => e.text));
  const oos = c.classifyBatch((set.oos_test ?? []).map(([t]) => t));
  const answered = answers.filter((a) => a.label !== UNCLASSIFIED);
  console.log(
    `  calibrated on val + oos_val (target precision 0.95): threshold ${fmt(artifact.calibration.threshold)}, test ECE ${fmt(
      expectedCalibrationError(
        answers.map((a) => a.confidence),
        answers.map((a, i) => a.topLabel === test[i].label),
      ),
    )}, in-scope answered ${fmt(answered.length / answers.length)} at precision ${fmt(answered.filter((a) => test[answers.indexOf(a)].label === a.label).length / Math.max(1, answered.length))}, oos recall ${fmt(oos.filter((a) => a.label === UNCLASSIFIED).length / Math.max(1, oos.length))}`,
  );
}

function benchMlSvm(set: DataSet, dataJson: string): void {
  const labels = [...new Set(set.train.map(([, l]) => l))].sort().slice(0, Number(values['ml-svm-labels']));
  const subset = examples(set.train)
    .filter((e) => labels.includes(e.label))
    .slice(0, ML_SVM_MAX_TRAINING_SIZE);
  const subsetTest = examples(set.test).filter((e) => labels.includes(e.label));
  console.log(`\n${set.name} subset for the kernel backend: ${labels.length} labels, ${subset.length} train messages`);
  for (const backend of ['ml-svm', 'linear'] as const) {
    const t0 = performance.now();
    const c = loadClassifier(trainModel(subset, { backend, calibrationFolds: 0 }));
    const seconds = (performance.now() - t0) / 1000;
    const report = evaluatePredictions(
      subsetTest.map((e) => e.label),
      c.classifyBatch(subsetTest.map((e) => e.text)).map((a) => a.topLabel),
    );
    console.log(`  ${backend.padEnd(7)} accuracy ${fmt(report.accuracy)}  train ${fmt(seconds, 2)} s`);
  }
  if (haveSklearn) {
    const sk = JSON.parse(
      execFileSync(
        python,
        [join(here, 'sklearn_baseline.py'), 'svc', dataJson, String(labels.length), String(ML_SVM_MAX_TRAINING_SIZE)],
        { encoding: 'utf8' },
      ),
    ) as { accuracy: number; trainSeconds: number };
    console.log(`  sklearn SVC(rbf) accuracy ${fmt(sk.accuracy)}  train ${fmt(sk.trainSeconds, 2)} s`);
  }
}

console.log(`${cpus().length} cores; load average before: ${load()}`);
if (!haveTime) console.log('/usr/bin/time is missing (apt-get install -y time): no whole-process figures.');
const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-classifier-'));
const sets = dataSets();
try {
  for (const set of sets) {
    if (haveTime) benchDataSet(set, dir);
    benchCalibration(set);
  }
  const clinc = sets.find((s) => s.name === 'CLINC150');
  if (clinc) {
    const dataJson = join(dir, 'CLINC150.json');
    if (!existsSync(dataJson)) writeFileSync(dataJson, JSON.stringify(clinc));
    benchMlSvm(clinc, dataJson);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const clincForLanguages = sets.find((s) => s.name === 'CLINC150');
if (clincForLanguages)
  runLanguagesBench(
    runs,
    clincForLanguages.test.map(([text]) => text),
    haveSklearn,
  );
console.log(`\nload average after: ${load()}`);
