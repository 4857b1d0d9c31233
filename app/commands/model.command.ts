import { RapportError } from '../../src/errors.ts';
import type { ModelStore } from '../../src/classifier/model-store.ts';
import { reportCliError, type TextSink } from './classifier-cli-output.ts';

export const MODEL_USAGE =
  'Usage: rapport model list | rapport model activate VERSION | rapport model show VERSION [--json]';

/**
 * `rapport model list|activate VERSION|show VERSION`: inspects and switches stored models. Workers
 * pick up an activation on their next active-version check.
 *
 * @param argv - arguments after `model`.
 * @returns exit code: 0 ok, 2 bad input or unknown version (one sentence on `err`).
 */
export async function runModelCommand(
  argv: string[],
  store: ModelStore,
  out: TextSink,
  err: TextSink = out,
): Promise<number> {
  try {
    const [action, version, ...rest] = argv;
    const json = rest.includes('--json') || version === '--json';
    if (action === 'list') {
      const models = await store.list();
      if (json) out.write(`${JSON.stringify(models)}\n`);
      else if (models.length === 0)
        out.write('No models stored yet; `rapport train --activate` or starting the worker creates one.\n');
      else
        for (const m of models)
          out.write(
            `${m.active ? '*' : ' '} ${m.version.padEnd(40)} ${m.backend.padEnd(7)} ${m.labels.length} labels  macro-F1 ${m.macroF1 === undefined ? '  -  ' : m.macroF1.toFixed(3)}  ${m.createdAt}\n`,
          );
      return 0;
    }
    if ((action === 'activate' || action === 'show') && (!version || version.startsWith('--'))) {
      throw new RapportError('invalid_input', `Name the model version. ${MODEL_USAGE}`);
    }
    if (action === 'activate') {
      await store.activate(version);
      out.write(`Model ${version} is now active.\n`);
      return 0;
    }
    if (action === 'show') {
      const a = await store.get(version);
      const summary = {
        version: a.version,
        backend: a.backend,
        labels: a.labels,
        createdAt: a.createdAt,
        featurizer: a.featurizer.config,
        features: a.featurizer.vocabulary.length,
        calibration: a.calibration,
        metrics: a.metrics,
        trainingSummary: a.trainingSummary,
      };
      if (json) out.write(`${JSON.stringify(summary)}\n`);
      else {
        out.write(`Model ${a.version} (${a.backend}), created ${a.createdAt}\n`);
        out.write(`Labels: ${a.labels.join(', ')}\n`);
        out.write(`Features: ${summary.features}; abstain below confidence ${a.calibration.threshold.toFixed(3)}\n`);
        out.write(
          `Trained on ${a.trainingSummary.examples} examples${a.trainingSummary.corrections ? ` (${a.trainingSummary.corrections} corrections)` : ''} in ${a.trainingSummary.trainSeconds.toFixed(2)} s\n`,
        );
        if (a.metrics.crossValidation)
          out.write(
            `Cross-validation (${a.metrics.crossValidation.k}-fold): accuracy ${a.metrics.crossValidation.accuracy.toFixed(3)}, macro-F1 ${a.metrics.crossValidation.macroF1.toFixed(3)}\n`,
          );
        if (a.metrics.heldOut)
          out.write(
            `Held-out: accuracy ${a.metrics.heldOut.accuracy.toFixed(3)}, macro-F1 ${a.metrics.heldOut.macroF1.toFixed(3)} on ${a.metrics.heldOut.n} messages\n`,
          );
      }
      return 0;
    }
    throw new RapportError('invalid_input', action ? `Unknown model action "${action}". ${MODEL_USAGE}` : MODEL_USAGE);
  } catch (error) {
    return reportCliError(error, err);
  }
}
