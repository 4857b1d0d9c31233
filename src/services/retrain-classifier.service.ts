import { loadChurnRiskExamples, loadHeldOutExamples, loadSeedExamples } from '../classifier/default-model.ts';
import type { ModelArtifact } from '../classifier/model-artifact.ts';
import type { ModelStore } from '../classifier/model-store.ts';
import { retrainModel, type CorrectionExample, type RetrainInput, type RetrainResult } from '../classifier/retrain.ts';
import { readCorrections } from '../db/correction.repository.ts';
import type { Database } from '../db/database.ts';
import { erasureMark, trainingMark } from '../db/insights.repository.ts';
import { modelsWithdrawnSinceLastRetrain } from '../db/model-withdrawal.repository.ts';
import { readLastRetrainCorrectionsSeen } from '../db/retrain.repository.ts';
import { writeAudit } from './audit.service.ts';
import { correctableLabels } from './correct-label.service.ts';

/** A command offered next to the notice (rendered as a button of the shared grammar by whoever posts it). */
export interface SuggestedCommand {
  label: string;
  command: string;
}

/** How a retrain request ended. */
export interface RetrainOutcome {
  status:
    | 'activated'
    | 'kept-current'
    | 'no-new-corrections'
    | 'dry-run'
    | 'erased-meanwhile'
    | 'training-changed-meanwhile';
  version?: string;
  /** The notice for the team channel (also in the audit entry `auditId`). */
  text?: string;
  buttons?: SuggestedCommand[];
  auditId?: string;
  artifact?: ModelArtifact;
  /**
   * Stored corrections left out because their label is neither the model's nor an added one
   * (stored before `label` checked, e.g. a typo like `chrun`): training on them would add a label
   * nobody meant. Counted in the notice; the job logs them.
   */
  ignored?: { count: number; labels: string[] };
}

/**
 * Corrections a label the seed set lacks needs before a retrain trains on it: with fewer the model
 * would carry a label it almost never predicts (and one stray correction would add it).
 */
export const NEW_LABEL_MIN_CORRECTIONS = 5;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`;

/** The team-channel notice: the decision, the figures, per-label changes and the corrections that hurt. */
export function retrainNotice(
  artifact: ModelArtifact,
  currentVersion: string | undefined,
  seconds: number,
  ignored?: { count: number; labels: string[] },
  dryRun = false,
  waiting: readonly { label: string; n: number }[] = [],
): string {
  const gate = artifact.metrics.gate!;
  const lines = [
    `Classifier retrained on ${artifact.trainingSummary.examples} examples (${gate.trainedCorrections} corrections) in ${seconds.toFixed(1)} s; ` +
      `held out: ${gate.heldOut.n} messages (${gate.heldOut.corrections} of them the newest corrections).`,
  ];
  if (gate.baseline && gate.delta !== undefined && gate.interval) {
    lines.push(
      `Top-label macro-F1 ${gate.candidate.macroF1.toFixed(3)} against ${gate.baseline.macroF1.toFixed(3)} for ${currentVersion ?? 'the current model'}: ` +
        `${pts(gate.delta)} points (${Math.round((gate.level ?? 0.9) * 100)}% interval ${pts(gate.interval[0])} to ${pts(gate.interval[1])}).`,
    );
    const changes = Object.entries(gate.candidate.perLabel)
      .map(([label, f1]) => ({ label, d: f1 - (gate.baseline!.perLabel[label] ?? 0) }))
      .filter((c) => Math.abs(c.d) >= 0.005)
      .sort((a, b) => a.d - b.d)
      .map((c) => `${c.label} ${pts(c.d)}`);
    if (changes.length) lines.push(`Per-label F1: ${changes.join(', ')}.`);
  } else lines.push(`Top-label macro-F1 ${gate.candidate.macroF1.toFixed(3)} (no model to compare with).`);
  if (gate.candidate.abstained !== undefined)
    lines.push(
      `Abstentions (scored by their top label above, reported apart): ${pct(gate.candidate.abstained)} unclassified at threshold ${gate.candidate.threshold?.toFixed(2)}` +
        (gate.baseline?.abstained !== undefined
          ? `, against ${pct(gate.baseline.abstained)} at ${gate.baseline.threshold?.toFixed(2)}.`
          : '.'),
    );
  lines.push(
    dryRun
      ? gate.activate
        ? 'Dry run: the gate would activate the new model (better beyond noise); nothing was stored.'
        : `Dry run: the gate would keep ${currentVersion ?? 'the current model'} (the new one is not better beyond noise); nothing was stored.`
      : gate.activate
        ? `Model ${artifact.version} is now active: better beyond noise.`
        : `Kept ${currentVersion ?? 'the current model'}: the new one is not better beyond noise. It is retried when new corrections arrive.`,
  );
  if (gate.harmful.length) {
    lines.push(
      `Corrections that lowered the held-out score (leave-one-out): ${gate.harmful
        .slice(0, 3)
        .map(
          (h) =>
            `record ${h.recordId} as ${h.label} (${h.macroF1Points > 0 ? `${pts(-h.macroF1Points / 100)} points` : 'lower margins'}${h.suggestedLabel ? `; the model before said ${h.suggestedLabel}: label ${h.recordId} ${h.suggestedLabel}` : ''})`,
        )
        .join('; ')}. Review them: \`label <record id> <label>\` changes one, \`review\` lists them.`,
    );
  }
  if (ignored?.count)
    lines.push(
      `Ignored ${ignored.count} stored correction${ignored.count === 1 ? '' : 's'} with a label the model does not know (${ignored.labels.join(', ')}): ` +
        'relabel those records with `label <record id> <label>`, or add the label with `rapport model label add NAME "what it means"`.',
    );
  for (const w of waiting)
    lines.push(
      `Not trained on ${w.label} yet: it has ${w.n} of the ${NEW_LABEL_MIN_CORRECTIONS} corrections a new label needs (label more records with it).`,
    );
  return lines.join('\n');
}

/**
 * Retrains the classifier on the seed set plus every correction, runs the gate (see retrainModel),
 * stores the new model (activated only when the gate says so; a refused one is stored too, with
 * the corrections it saw), writes the audit entry with the notice, and returns it for posting.
 * A scheduled run skips when no correction changed since the last attempt, activated or not, so a
 * refused model is not retrained every tick, unless an erasure withdrew models since (see
 * withdrawModelsTrainedSince). A model whose training an erasure, or a message deleted from a
 * correction's text, overtook is not stored (the training mark changed): the retrain starts over
 * without what left. `dryRun` stores and writes nothing.
 */
export async function retrainClassifier(
  db: Database,
  store: ModelStore,
  request: { requestedBy: string; version: string; dryRun?: boolean },
  /** Runs the training itself (CPU-bound, seconds): on this thread by default, on a worker thread in role all. */
  train: (input: RetrainInput) => Promise<RetrainResult> = async (input) => retrainModel(input),
): Promise<RetrainOutcome> {
  // An erasure (or a platform delete) committing while this trains may change corrections it read: the
  // model is then not stored and the retrain starts over on what is left (twice at most; the next run
  // tries again).
  for (let attempt = 1; ; attempt++) {
    const outcome = await retrainOnce(db, store, request, train);
    const overtaken = outcome.status === 'erased-meanwhile' || outcome.status === 'training-changed-meanwhile';
    if (!overtaken || attempt === RETRAIN_ATTEMPTS) return outcome;
  }
}

/** How often a retrain starts over when erasures keep committing while it trains. */
const RETRAIN_ATTEMPTS = 3;

async function retrainOnce(
  db: Database,
  store: ModelStore,
  request: { requestedBy: string; version: string; dryRun?: boolean },
  train: (input: RetrainInput) => Promise<RetrainResult>,
): Promise<RetrainOutcome> {
  // Read before the corrections: the model is stored only if the training data did not change since
  // (an erasure, a message deleted from a correction's text; see save). The erasure mark says which.
  const erasedMark = await erasureMark(db.sql);
  const mark = await trainingMark(db.sql);
  const allRows = await readCorrections(db);
  const newest = allRows.length ? allRows[allRows.length - 1].updatedAt : null;
  if (request.requestedBy === 'schedule') {
    const seen = await readLastRetrainCorrectionsSeen(db);
    // An erasure that withdrew models trained on its corrections asks for one more run, on what is left.
    if (!newest || (seen && newest.getTime() <= seen.getTime() && !(await modelsWithdrawnSinceLastRetrain(db))))
      return { status: 'no-new-corrections' };
  }
  const seedExamples = loadSeedExamples();
  const known = new Set([...seedExamples.map((e) => e.label), ...(await correctableLabels(db))]);
  const usable = allRows.filter((r) => known.has(r.label));
  const unknownLabels = [...new Set(allRows.filter((r) => !known.has(r.label)).map((r) => r.label))].sort();
  const ignored = { count: allRows.length - usable.length, labels: unknownLabels };
  // A label the seed set lacks (added by an administrator) joins the model only with enough examples.
  const seedLabels = new Set(seedExamples.map((e) => e.label));
  const newLabelCounts = new Map<string, number>();
  for (const r of usable)
    if (!seedLabels.has(r.label)) newLabelCounts.set(r.label, (newLabelCounts.get(r.label) ?? 0) + 1);
  const waiting = [...newLabelCounts]
    .filter(([, n]) => n < NEW_LABEL_MIN_CORRECTIONS)
    .map(([label, n]) => ({ label, n }));
  const rows = usable.filter((r) => !waiting.some((w) => w.label === r.label));
  const started = Date.now();
  const current = await store.getActive();
  const trainedThrough = current?.trainingSummary.correctionsTrainedThrough;
  const corrections: CorrectionExample[] = rows.map((r) => ({
    text: r.text,
    label: r.label,
    recordId: r.recordId,
    correctedAt: r.updatedAt,
    group: r.companyId ?? r.recordId,
  }));
  const result = await train({
    seedExamples,
    heldOut: loadHeldOutExamples(),
    corrections,
    options: { signalExamples: loadChurnRiskExamples() },
    current: current
      ? {
          artifact: current,
          trainedThrough: trainedThrough ? new Date(trainedThrough) : null,
          fromSeed: current.version.startsWith('crm-'),
        }
      : undefined,
  });
  const artifact: ModelArtifact = {
    ...result.artifact,
    version: request.version,
    trainingSummary: {
      ...result.artifact.trainingSummary,
      correctionsSeen: (newest ?? new Date(0)).toISOString(),
      correctionsTrainedThrough: result.trainedThrough?.toISOString() ?? null,
    },
  };
  const text = retrainNotice(
    artifact,
    current?.version,
    (Date.now() - started) / 1000,
    ignored,
    request.dryRun,
    waiting,
  );
  const buttons: SuggestedCommand[] = [
    ...result.gate.harmful.slice(0, 3).flatMap((h) =>
      h.suggestedLabel
        ? [
            {
              label: `${h.recordId.slice(0, 8)}: ${h.suggestedLabel}`,
              command: `label ${h.recordId} ${h.suggestedLabel}`,
            },
          ]
        : [],
    ),
    ...(result.gate.harmful.length ? [{ label: 'Review them', command: 'review' }] : []),
  ];
  if (request.dryRun) return { status: 'dry-run', version: artifact.version, text, buttons, artifact, ignored };
  const existing = await store.list();
  // A retried job saves (and posts) the same version, never a second model.
  if (
    !existing.some((m) => m.version === artifact.version) &&
    !(await store.save(artifact, { activate: result.gate.activate, unlessTrainingChangedSince: mark }))
  )
    return (await erasureMark(db.sql)) !== erasedMark
      ? {
          status: 'erased-meanwhile',
          version: artifact.version,
          text: 'A customer was erased while the classifier retrained: the new model was not stored (it may hold their words).',
          ignored,
        }
      : {
          status: 'training-changed-meanwhile',
          version: artifact.version,
          text: "The training data changed while the classifier retrained (a message in a correction's text was deleted by its author): the new model was not stored.",
          ignored,
        };
  const auditId = await writeAudit(db.prisma, {
    action: 'model.retrain',
    subject: artifact.version,
    details: {
      text,
      buttons,
      activated: result.gate.activate,
      macroF1: result.gate.candidate.macroF1,
      deltaPoints: result.gate.delta === undefined ? null : result.gate.delta * 100,
      requestedBy: request.requestedBy,
      ignoredCorrections: ignored.count,
    },
  });
  return {
    status: result.gate.activate ? 'activated' : 'kept-current',
    version: artifact.version,
    text,
    buttons,
    auditId,
    artifact,
    ignored,
  };
}
