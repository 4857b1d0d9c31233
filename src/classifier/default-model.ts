import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDataset } from './dataset-reader.ts';
import { evaluatePredictions } from './evaluate.ts';
import { loadClassifier } from './classifier.ts';
import type { LabeledExample } from './labeled-example.ts';
import type { ModelArtifact } from './model-artifact.ts';
import { trainModel } from './train.ts';

/** Labels of the default CRM model. */
export const CRM_LABELS = ['need', 'feedback', 'issue', 'purchase', 'churn', 'scheduling', 'other'] as const;

const dataFile = (name: string) => new URL(`../../training-data/${name}`, import.meta.url);

/**
 * Version string of the model built from the shipped seed set: `crm-default-<hash of the seed file>`,
 * so every worker building it names it the same, and changed seed data gives a new version.
 */
export function defaultModelVersion(): string {
  return `crm-default-${createHash('sha256')
    .update(readFileSync(dataFile('crm-seed.jsonl')))
    .digest('hex')
    .slice(0, 10)}`;
}

/** The synthetic seed training set shipped with Rapport (see training-data/README.md). */
export function loadSeedExamples(): LabeledExample[] {
  return parseDataset(readFileSync(dataFile('crm-seed.jsonl'), 'utf8'), 'crm-seed.jsonl');
}

/** The separately written held-out evaluation set. */
export function loadHeldOutExamples(): LabeledExample[] {
  return parseDataset(readFileSync(dataFile('crm-heldout.jsonl'), 'utf8'), 'crm-heldout.jsonl');
}

/**
 * Builds the default CRM model from the seed set: linear backend, 3-fold calibration, evaluated on
 * the held-out set (stored in `metrics.heldOut`). Takes well under a second, so the app builds it at
 * first start instead of shipping weights.
 */
export function buildDefaultModel(): ModelArtifact {
  const heldOut = loadHeldOutExamples();
  const artifact = trainModel(loadSeedExamples(), {
    version: defaultModelVersion(),
    source: 'crm-seed.jsonl (synthetic)',
  });
  const classifier = loadClassifier(artifact);
  const report = evaluatePredictions(
    heldOut.map((e) => e.label),
    heldOut.map((e) => classifier.classifyTop(e.text).label),
  );
  return { ...artifact, metrics: { ...artifact.metrics, heldOut: report } };
}
