import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
import { PrismaModelStore } from '../src/db/prisma-model-store.ts';
import { loadClassifier, type Classifier } from '../src/classifier/classifier.ts';
import { buildDefaultModel } from '../src/classifier/default-model.ts';
import type { ModelArtifact } from '../src/classifier/model-artifact.ts';

/**
 * The active model, loaded once and reloaded when another process activates a new version
 * (checked at most every `recheckMs`). With no model at all, builds and activates the default
 * CRM model (a couple of seconds, once per database).
 */
export class ActiveClassifier {
  /** The active model's artifact, and the classifier decoded from it once someone on this thread asked. */
  private current: { artifact: ModelArtifact; classifier?: Classifier } | undefined;
  private checkedAt = 0;
  private loading: Promise<ModelArtifact> | undefined;
  readonly store: PrismaModelStore;

  /**
   * @param buildDefault builds the default CRM model (seconds of CPU): on this thread unless given (role
   *   all builds it on the classifier thread)
   */
  constructor(
    db: Database,
    private readonly logger: Logger,
    private readonly recheckMs = 5_000,
    private readonly buildDefault: () => Promise<ModelArtifact> = async () => buildDefaultModel(),
  ) {
    this.store = new PrismaModelStore(db);
  }

  /** The active model, loaded on this thread. */
  async get(): Promise<Classifier> {
    const artifact = await this.artifact();
    const current = this.current!;
    if (current.artifact !== artifact) return loadClassifier(artifact); // replaced meanwhile: rare
    current.classifier ??= loadClassifier(artifact);
    return current.classifier;
  }

  /** The active model's artifact (for a thread that classifies with it, see ClassifierThread). */
  async artifact(): Promise<ModelArtifact> {
    if (this.current && Date.now() - this.checkedAt < this.recheckMs) return this.current.artifact;
    this.loading ??= this.refresh().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async refresh(): Promise<ModelArtifact> {
    const version = await this.store.activeVersion();
    this.checkedAt = Date.now();
    if (this.current && version === this.current.artifact.version) return this.current.artifact;
    const artifact = version ? await this.store.get(version) : await this.installDefault();
    this.current = { artifact };
    if (version) this.logger.info({ version }, 'classifier model loaded');
    return artifact;
  }

  private async installDefault(): Promise<ModelArtifact> {
    const started = Date.now();
    const artifact = await this.buildDefault();
    try {
      await this.store.save(artifact);
    } catch {
      // Another worker saved it first: fine, versions are deterministic.
    }
    if (!(await this.store.activeVersion())) await this.store.activate(artifact.version);
    this.logger.info({ version: artifact.version, ms: Date.now() - started }, 'default CRM model built and activated');
    const active = await this.store.activeVersion();
    return active === artifact.version ? artifact : await this.store.get(active!);
  }
}
