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

/**
 * Languages the default model is trained on: English (`crm-seed.jsonl`) plus `crm-seed.<language>.jsonl`.
 * English held-out macro-F1 over 5 training seeds: median 0.770 with all four, 0.766 English alone
 * (`npm run bench:classifier`); Chinese 0.809.
 */
export const DEFAULT_MODEL_LANGUAGES = ['en', 'zh', 'de', 'es'] as const;

/** Every language with shipped seed and held-out files (`bench:classifier` reports each). */
export const SHIPPED_DATA_LANGUAGES = ['en', 'zh', 'de', 'es'] as const;

const dataFile = (name: string) => new URL(`../../training-data/${name}`, import.meta.url);
const fileOf = (part: 'seed' | 'heldout', language: string) =>
  language === 'en' ? `crm-${part}.jsonl` : `crm-${part}.${language}.jsonl`;

function load(part: 'seed' | 'heldout', language: string): LabeledExample[] {
  const name = fileOf(part, language);
  // The English files predate the language column.
  return parseDataset(readFileSync(dataFile(name), 'utf8'), name).map((e) => ({
    ...e,
    language: e.language ?? language,
  }));
}

/**
 * Version string of the model built from the shipped seed sets: `crm-default-<hash of the seed files>`,
 * so every worker building it names it the same, and changed seed data gives a new version.
 */
export function defaultModelVersion(): string {
  const hash = createHash('sha256');
  for (const language of DEFAULT_MODEL_LANGUAGES) hash.update(readFileSync(dataFile(fileOf('seed', language))));
  return `crm-default-${hash.digest('hex').slice(0, 10)}`;
}

/** The synthetic seed training sets shipped with Rapport, every language (see training-data/README.md). */
export function loadSeedExamples(language?: (typeof SHIPPED_DATA_LANGUAGES)[number]): LabeledExample[] {
  return (language ? [language] : DEFAULT_MODEL_LANGUAGES).flatMap((l) => load('seed', l));
}

/** The separately written held-out evaluation sets, every language or one. */
export function loadHeldOutExamples(language?: (typeof SHIPPED_DATA_LANGUAGES)[number]): LabeledExample[] {
  return (language ? [language] : DEFAULT_MODEL_LANGUAGES).flatMap((l) => load('heldout', l));
}

/**
 * Builds the default CRM model from the seed set: linear backend, 3-fold calibration, evaluated on
 * the held-out set (stored in `metrics.heldOut`). Takes well under a second, so the app builds it at
 * first start instead of shipping weights.
 */
export function buildDefaultModel(): ModelArtifact {
  // Deterministic for the shipped files, and with four languages it takes ~8x the English-only build:
  // built once per process (several pipelines in one process, as in tests, share it).
  const version = defaultModelVersion();
  if (built?.version === version) return built;
  built = buildFresh(version);
  return built;
}

let built: ModelArtifact | undefined;

function buildFresh(version: string): ModelArtifact {
  const heldOut = loadHeldOutExamples();
  const artifact = trainModel(loadSeedExamples(), {
    version,
    source: `crm-seed{,.zh,.de,.es}.jsonl (synthetic, ${DEFAULT_MODEL_LANGUAGES.join('/')})`,
  });
  const classifier = loadClassifier(artifact);
  const report = evaluatePredictions(
    heldOut.map((e) => e.label),
    heldOut.map((e) => classifier.classifyTop(e.text).label),
  );
  return { ...artifact, metrics: { ...artifact.metrics, heldOut: report } };
}
