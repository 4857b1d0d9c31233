import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { svmBackendByName } from '../../src/classifier/backends/backend-registry.ts';
import { RapportError } from '../../src/errors.ts';
import { crossValidate } from '../../src/classifier/cross-validate.ts';
import { readDataset } from '../../src/classifier/dataset-reader.ts';
import { serializeModelArtifact } from '../../src/classifier/model-artifact.ts';
import type { ModelStore } from '../../src/classifier/model-store.ts';
import { trainModel } from '../../src/classifier/train.ts';
import { reportCliError, type TextSink } from './classifier-cli-output.ts';

export const TRAIN_USAGE =
  'Usage: rapport train --data FILE [--text-column text] [--label-column label] [--group-column group] [--backend linear|ml-svm] [--c C] [--char-ngrams MIN-MAX] [--calibration-folds K] [--target-precision P] [--cv K] [--out model.json] [--activate]';

/** `--char-ngrams 2-5` → [2, 5]; `off` → null. */
function parseCharNgrams(value: string | undefined): [number, number] | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'off' || value === 'none') return null;
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const [lo, hi] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!(lo >= 1 && hi >= lo && hi <= 8))
    throw new RapportError(
      'invalid_input',
      `--char-ngrams takes a range like 2-5 (character n-grams from 2 to 5 letters, at most 8), or off; got "${value}".`,
    );
  return [lo, hi];
}

/** A number option within bounds, or a sentence saying what it should be. */
function numberOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new RapportError('invalid_input', `--${name} must be ${what}; got "${value}".`);
  return n;
}

/**
 * `rapport train`: reads a CSV/JSONL dataset, optionally cross-validates, trains, prints a summary,
 * writes `--out` and/or saves to the store (`--activate` makes it the active model).
 *
 * @param argv - arguments after `train`.
 * @returns exit code: 0 ok, 2 bad input (one sentence on `err`).
 */
export async function runTrainCommand(
  argv: string[],
  out: TextSink,
  err: TextSink = out,
  store?: ModelStore,
): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        'text-column': { type: 'string', default: 'text' },
        'label-column': { type: 'string', default: 'label' },
        'group-column': { type: 'string', default: 'group' },
        backend: { type: 'string', default: 'linear' },
        c: { type: 'string' },
        'char-ngrams': { type: 'string' },
        'calibration-folds': { type: 'string' },
        'target-precision': { type: 'string' },
        cv: { type: 'string' },
        out: { type: 'string' },
        activate: { type: 'boolean', default: false },
        seed: { type: 'string', default: '1' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out.write(`${TRAIN_USAGE}\n`);
      return 0;
    }
    if (!values.data) throw new RapportError('invalid_input', `--data FILE is required. ${TRAIN_USAGE}`);
    const backend = svmBackendByName(values.backend).name;
    const cv = values.cv === undefined ? 0 : Number(values.cv);
    if (!Number.isInteger(cv) || cv === 1 || cv < 0)
      throw new RapportError('invalid_input', '--cv must be a whole number of folds, 2 or more.');
    if (!values.out && !store)
      throw new RapportError('invalid_input', 'Give --out model.json (no model store is configured).');
    if (values.activate && !store)
      throw new RapportError(
        'invalid_input',
        '--activate needs the model store (database); use --out to write a file instead.',
      );
    const C = numberOption(
      'c',
      values.c,
      1e-4,
      1e4,
      'a positive regularisation constant such as 0.5 (larger fits the data harder)',
    );
    const charNgrams = parseCharNgrams(values['char-ngrams']);
    const calibrationFolds = numberOption(
      'calibration-folds',
      values['calibration-folds'],
      0,
      50,
      'a whole number of folds (0 = no calibration)',
    );
    if (calibrationFolds !== undefined && (!Number.isInteger(calibrationFolds) || calibrationFolds === 1))
      throw new RapportError('invalid_input', '--calibration-folds must be 0 or a whole number of folds, 2 or more.');
    const targetPrecision = numberOption(
      'target-precision',
      values['target-precision'],
      0.01,
      0.99,
      'a share between 0.01 and 0.99, e.g. 0.8',
    );
    const examples = readDataset(values.data, {
      textColumn: values['text-column'],
      labelColumn: values['label-column'],
      groupColumn: values['group-column'],
    });
    const modelOptions = {
      backend,
      ...(C !== undefined ? { svm: { C } } : {}),
      ...(charNgrams !== undefined ? { featurizer: { charNgrams } } : {}),
      ...(calibrationFolds !== undefined ? { calibrationFolds } : {}),
      ...(targetPrecision !== undefined ? { targetPrecision } : {}),
    };
    const seed = Number(values.seed);
    let lastReported = -1;
    const onProgress = (stage: string, fraction: number) => {
      const percent = Math.floor(fraction * 10) * 10;
      if (examples.length >= 2000 && percent !== lastReported) {
        lastReported = percent;
        err.write(`  ${stage} ${percent}%\n`);
      }
    };
    out.write(`Training ${backend} on ${examples.length} examples from ${values.data}\n`);
    const crossValidation = cv >= 2 ? crossValidate(examples, cv, { ...modelOptions, seed, onProgress }) : undefined;
    const artifact = trainModel(examples, {
      ...modelOptions,
      seed,
      onProgress,
      source: values.data,
      metrics: crossValidation ? { crossValidation } : {},
    });
    const s = artifact.trainingSummary;
    out.write(
      `Model ${artifact.version}: ${artifact.labels.length} labels, ${artifact.featurizer.vocabulary.length} features, trained in ${s.trainSeconds.toFixed(2)} s\n`,
    );
    const perLabel = Object.entries(s.perLabel);
    if (perLabel.length <= 20) for (const [label, n] of perLabel) out.write(`  ${label.padEnd(20)} ${n}\n`);
    else
      out.write(
        `  ${perLabel.length} labels, ${Math.min(...perLabel.map(([, n]) => n))}-${Math.max(...perLabel.map(([, n]) => n))} examples each\n`,
      );
    out.write(
      `Abstain threshold ${artifact.calibration.threshold.toFixed(3)} (below it a message is "unclassified")\n`,
    );
    const oof = artifact.metrics.outOfFold;
    if (oof)
      out.write(
        `Out-of-fold (${oof.n ?? s.examples} messages, ${oof.k} ${oof.grouped ? 'grouped ' : ''}folds, calibration pass): accuracy ${oof.accuracy.toFixed(3)}, macro-F1 ${oof.macroF1.toFixed(3)}, calibration error (ECE) ${oof.ece.toFixed(3)}\n`,
      );
    if (crossValidation)
      out.write(
        `${cv}-fold ${crossValidation.grouped ? 'grouped ' : ''}cross-validation: accuracy ${crossValidation.accuracy.toFixed(3)}, macro-F1 ${crossValidation.macroF1.toFixed(3)}\n`,
      );
    if (values.out) {
      writeFileSync(values.out, serializeModelArtifact(artifact));
      out.write(`Wrote ${values.out}\n`);
    }
    if (store) {
      await store.save(artifact, { activate: values.activate });
      out.write(
        `Saved model ${artifact.version}${values.activate ? ' and made it the active model' : ` (not active; run \`rapport model activate ${artifact.version}\`)`}\n`,
      );
    }
    return 0;
  } catch (error) {
    return reportCliError(error, err);
  }
}
