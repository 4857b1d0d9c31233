import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadClassifier } from '../../src/classifier/classifier.ts';
import { RapportError } from '../../src/errors.ts';
import { assertKnownLabels, readDataset } from '../../src/classifier/dataset-reader.ts';
import { expectedCalibrationError } from '../../src/classifier/calibration.ts';
import { evaluatePredictions } from '../../src/classifier/evaluate.ts';
import { evaluateByLanguage } from '../../src/classifier/evaluate-by-language.ts';
import { parseModelArtifact, type ModelArtifact } from '../../src/classifier/model-artifact.ts';
import type { ModelStore } from '../../src/classifier/model-store.ts';
import { reportCliError, type TextSink } from './classifier-cli-output.ts';

export const EVALUATE_USAGE =
  'Usage: rapport evaluate --data FILE [--model model.json|VERSION] [--text-column text] [--label-column label] [--language-column language] [--json]';

async function resolveModel(model: string | undefined, store?: ModelStore): Promise<ModelArtifact> {
  if (model && (model.endsWith('.json') || existsSync(model))) {
    if (!existsSync(model)) throw new RapportError('not_found', `Model file ${model} does not exist.`);
    return parseModelArtifact(readFileSync(model, 'utf8'));
  }
  if (!store)
    throw new RapportError(
      'invalid_input',
      model
        ? `"${model}" is not a model file and no model store is configured.`
        : 'Give --model model.json (no model store is configured).',
    );
  if (model) return store.get(model);
  const active = await store.getActive();
  if (!active)
    throw new RapportError(
      'not_found',
      'No model is active yet; train one with `rapport train --activate` or pass --model.',
    );
  return active;
}

/**
 * `rapport evaluate`: scores a labelled dataset with a model file, a stored version or the active
 * model. `--json` prints one object with accuracy, macroF1, n, perClass, confusion, abstained and calibration
 * (ECE over 10 bins of the top label's confidence, mean confidence, top-label accuracy).
 *
 * @returns exit code: 0 ok, 2 bad input (one sentence on `err`).
 */
export async function runEvaluateCommand(
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
        model: { type: 'string' },
        'text-column': { type: 'string', default: 'text' },
        'label-column': { type: 'string', default: 'label' },
        'language-column': { type: 'string', default: 'language' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out.write(`${EVALUATE_USAGE}\n`);
      return 0;
    }
    if (!values.data) throw new RapportError('invalid_input', `--data FILE is required. ${EVALUATE_USAGE}`);
    const artifact = await resolveModel(values.model, store);
    const examples = readDataset(values.data, {
      textColumn: values['text-column'],
      labelColumn: values['label-column'],
      languageColumn: values['language-column'],
    });
    assertKnownLabels(examples, artifact.labels);
    const classifier = loadClassifier(artifact);
    const answers = classifier.classifyBatch(examples.map((e) => e.text));
    const predicted = answers.map((a) => a.label);
    // Calibration of the confidence cards turn into words: is "likely" right as often as it says?
    const confidences = answers.map((a) => a.confidence);
    const calibration = {
      ece: expectedCalibrationError(
        confidences,
        answers.map((a, i) => a.topLabel === examples[i].label),
      ),
      meanConfidence: confidences.reduce((s, c) => s + c, 0) / Math.max(1, confidences.length),
      topLabelAccuracy: answers.filter((a, i) => a.topLabel === examples[i].label).length / Math.max(1, answers.length),
    };
    const report = evaluatePredictions(
      examples.map((e) => e.label),
      predicted,
    );
    // Per language (multilingual issue 18): from the data's language column, else detected.
    const languages = evaluateByLanguage(examples, predicted);
    if (values.json) {
      out.write(`${JSON.stringify({ model: artifact.version, ...report, calibration, languages })}\n`);
      return 0;
    }
    out.write(`Model ${artifact.version} on ${report.n} examples from ${values.data}\n`);
    out.write(
      `Accuracy ${report.accuracy.toFixed(3)}  macro-F1 ${report.macroF1.toFixed(3)}  unclassified ${(report.abstained * 100).toFixed(1)}%\n`,
    );
    out.write(
      `Calibration: mean confidence ${calibration.meanConfidence.toFixed(3)} at top-label accuracy ${calibration.topLabelAccuracy.toFixed(3)}, ECE ${calibration.ece.toFixed(3)} (10 bins)\n`,
    );
    if (Object.keys(languages.byLanguage).length > 1) {
      out.write(`Per language (${languages.source === 'column' ? 'language column' : 'detected'}):\n`);
      for (const [language, r] of Object.entries(languages.byLanguage)) {
        out.write(
          `  ${language.padEnd(4)} n ${String(r.n).padStart(5)}  accuracy ${r.accuracy.toFixed(3)}  macro-F1 ${r.macroF1.toFixed(3)}  unclassified ${(r.abstained * 100).toFixed(1)}%\n`,
        );
      }
    }
    out.write(`${'label'.padEnd(20)} precision  recall     f1  support\n`);
    for (const [label, m] of Object.entries(report.perClass)) {
      out.write(
        `${label.padEnd(20)} ${m.precision.toFixed(3).padStart(9)} ${m.recall.toFixed(3).padStart(7)} ${m.f1.toFixed(3).padStart(6)} ${String(m.support).padStart(8)}\n`,
      );
    }
    out.write('Confusion (rows = true label, columns = predicted):\n');
    const { labels, matrix } = report.confusion;
    out.write(`${''.padEnd(14)}${labels.map((l) => l.slice(0, 6).padStart(7)).join('')}\n`);
    matrix.forEach((row, i) => {
      out.write(`${labels[i].slice(0, 13).padEnd(14)}${row.map((v) => String(v).padStart(7)).join('')}\n`);
    });
    return 0;
  } catch (error) {
    return reportCliError(error, err);
  }
}
