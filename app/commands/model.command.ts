import { RapportError } from '../../src/errors.ts';
import type { ModelStore } from '../../src/classifier/model-store.ts';
import { readKnownLabels } from '../../src/db/classifier-label.repository.ts';
import type { Database } from '../../src/db/database.ts';
import { addClassifierLabel } from '../../src/services/classifier-labels.service.ts';
import { NEW_LABEL_MIN_CORRECTIONS, retrainClassifier } from '../../src/services/retrain-classifier.service.ts';
import { reportCliError, type TextSink } from './classifier-cli-output.ts';

export const MODEL_USAGE =
  'Usage: rapport model list | activate VERSION | show VERSION [--json] | retrain [--dry-run] | label list | label add NAME "what it means"';

/** `model retrain [--dry-run]`: the nightly retrain, now; prints the notice it would post. */
async function retrain(argv: string[], store: ModelStore, db: Database, out: TextSink): Promise<number> {
  const unknown = argv.filter((a) => a !== '--dry-run');
  if (unknown.length) throw new RapportError('invalid_input', `Unknown option "${unknown[0]}". ${MODEL_USAGE}`);
  const dryRun = argv.includes('--dry-run');
  out.write(`Retraining on the seed set and every correction${dryRun ? ' (dry run: nothing is stored)' : ''}...\n`);
  const outcome = await retrainClassifier(db, store, {
    requestedBy: 'cli',
    version: `crm-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    dryRun,
  });
  out.write(`${outcome.text}\n`);
  if (outcome.buttons?.length) out.write('Type "review" in chat (or `rapport exec review`) to look at them.\n');
  return 0;
}

/** `model label list | add NAME "description"`: the labels reps may correct to. */
async function labels(argv: string[], db: Database, out: TextSink): Promise<number> {
  const [action, name, ...description] = argv;
  if (action === 'list' || action === undefined) {
    const known = await readKnownLabels(db);
    out.write(`Model labels: ${known.modelLabels.join(', ') || 'none yet (no active model)'}\n`);
    for (const l of known.added) out.write(`Added: ${l.name} - ${l.description}\n`);
    return 0;
  }
  if (action !== 'add' || !name)
    throw new RapportError('invalid_input', `Usage: rapport model label add NAME "what it means"`);
  const added = await addClassifierLabel(db, name, description.join(' '), `cli:${process.env.USER ?? 'admin'}`);
  out.write(
    added
      ? `Added label ${name.toLowerCase()}: reps can now choose it (label <record id> ${name.toLowerCase()}, and in review menus). ` +
          `The active model cannot predict it yet; the next retrain learns it once ${NEW_LABEL_MIN_CORRECTIONS} or more records are corrected to it, ` +
          'and activates that model only if it scores better beyond noise on the held-out set.\n'
      : `${name.toLowerCase()} is already a label; nothing changed.\n`,
  );
  return 0;
}

/**
 * `rapport model list|activate VERSION|show VERSION|retrain [--dry-run]|label ...`: inspects and
 * switches stored models, retrains now (the nightly job's gate and notice, printed), and manages the
 * labels reps may correct to. Workers pick up an activation on their next active-version check.
 *
 * @param argv - arguments after `model`.
 * @returns exit code: 0 ok, 2 bad input or unknown version (one sentence on `err`).
 */
export async function runModelCommand(
  argv: string[],
  store: ModelStore,
  out: TextSink,
  err: TextSink = out,
  db?: Database,
): Promise<number> {
  try {
    const [given, version, ...rest] = argv;
    // `labels` as well: `rapport model labels add ...` reads as naturally.
    const action = given === 'labels' ? 'label' : given;
    if (action === 'retrain' || action === 'label') {
      if (!db)
        throw new RapportError('invalid_input', `"model ${action}" needs the database; run it where the bot runs.`);
      return action === 'retrain' ? await retrain(argv.slice(1), store, db, out) : await labels(argv.slice(1), db, out);
    }
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
