import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RapportError } from '../errors.ts';
import { parseModelArtifact, serializeModelArtifact, type ModelArtifact } from './model-artifact.ts';

/** A stored model's listing entry (what `rapport model list` prints). */
export interface StoredModelInfo {
  readonly version: string;
  readonly backend: string;
  readonly labels: string[];
  readonly active: boolean;
  readonly createdAt: string;
  readonly macroF1?: number;
}

/** Options of {@link ModelStore.save}. */
export interface SaveModelOptions {
  readonly activate?: boolean;
  readonly unlessTrainingChangedSince?: string;
}

/**
 * Where versioned models live; exactly one is active. The Prisma `Model` table implements this in
 * src/db (map rows with artifactToRow / rowToArtifact); tests and the CLI without a database use
 * the in-memory or file implementation below. Workers poll {@link ModelStore.activeVersion} and
 * reload when it changes.
 */
export interface ModelStore {
  /**
   * Saves a new version; `MODEL_INVALID` if the version already exists. Activates it when `activate`.
   * With `unlessTrainingChangedSince` (the training mark read before the training data was), saves
   * nothing and returns false when the training data changed since (an erasure, a message deleted from
   * a correction's text): the model may hold the words that left it.
   * Stores without a database hold no customer data and always save.
   */
  save(artifact: ModelArtifact, options?: SaveModelOptions): Promise<boolean>;
  /** The artifact of a version, or `MODEL_NOT_FOUND`. */
  get(version: string): Promise<ModelArtifact>;
  /** The active artifact, or `null` when none is active yet. */
  getActive(): Promise<ModelArtifact | null>;
  /** Cheap check for workers: the active version string, or `null`. */
  activeVersion(): Promise<string | null>;
  /** Makes `version` the only active model; `MODEL_NOT_FOUND` if it does not exist. */
  activate(version: string): Promise<void>;
  list(): Promise<StoredModelInfo[]>;
}

const infoOf = (a: ModelArtifact, active: boolean): StoredModelInfo => ({
  version: a.version,
  backend: a.backend,
  labels: a.labels,
  active,
  createdAt: a.createdAt,
  ...(a.metrics.heldOut
    ? { macroF1: a.metrics.heldOut.macroF1 }
    : a.metrics.crossValidation
      ? { macroF1: a.metrics.crossValidation.macroF1 }
      : {}),
});

const notFound = (version: string) =>
  new RapportError(
    'not_found',
    `There is no model version "${version}"; run \`rapport model list\` to see the stored versions.`,
  );

/** A model store in memory (tests, one-off CLI runs). */
export class InMemoryModelStore implements ModelStore {
  protected readonly models = new Map<string, ModelArtifact>();
  protected active: string | null = null;

  async save(artifact: ModelArtifact, options: SaveModelOptions = {}): Promise<boolean> {
    if (this.models.has(artifact.version))
      throw new RapportError(
        'invalid_input',
        `Model version "${artifact.version}" already exists; versions are never overwritten.`,
      );
    this.models.set(artifact.version, artifact);
    if (options.activate) this.active = artifact.version;
    this.persist();
    return true;
  }
  async get(version: string): Promise<ModelArtifact> {
    const a = this.models.get(version);
    if (!a) throw notFound(version);
    return a;
  }
  async getActive(): Promise<ModelArtifact | null> {
    return this.active ? (this.models.get(this.active) ?? null) : null;
  }
  async activeVersion(): Promise<string | null> {
    return this.active;
  }
  async activate(version: string): Promise<void> {
    if (!this.models.has(version)) throw notFound(version);
    this.active = version;
    this.persist();
  }
  async list(): Promise<StoredModelInfo[]> {
    return [...this.models.values()]
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
      .map((a) => infoOf(a, a.version === this.active));
  }
  /** Hook for subclasses that keep the models somewhere durable. */
  protected persist(): void {}
}

/** A model store in a directory: one `<version>.json` per model and `ACTIVE` naming the active one. */
export class FileModelStore extends InMemoryModelStore {
  constructor(private readonly directory: string) {
    super();
    if (!existsSync(directory)) return;
    for (const name of readdirSync(directory).filter((n) => n.endsWith('.json'))) {
      const artifact = parseModelArtifact(readFileSync(join(directory, name), 'utf8'));
      this.models.set(artifact.version, artifact);
    }
    const activeFile = join(directory, 'ACTIVE');
    if (existsSync(activeFile)) this.active = readFileSync(activeFile, 'utf8').trim() || null;
  }
  protected override persist(): void {
    mkdirSync(this.directory, { recursive: true });
    for (const [version, artifact] of this.models) {
      const file = join(this.directory, `${version.replace(/[^\w.-]/g, '_')}.json`);
      if (!existsSync(file)) writeFileSync(file, serializeModelArtifact(artifact));
    }
    writeFileSync(join(this.directory, 'ACTIVE'), this.active ?? '');
  }
}
