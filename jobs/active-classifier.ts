import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
import { PrismaModelStore } from '../src/db/prisma-model-store.ts';
import { loadClassifier, type Classifier } from '../src/classifier/classifier.ts';
import { buildDefaultModel } from '../src/classifier/default-model.ts';

/**
 * The active model, loaded once and reloaded when another process activates a new version
 * (checked at most every `recheckMs`). With no model at all, builds and activates the default
 * CRM model (a couple of seconds, once per database).
 */
export class ActiveClassifier {
  private current: Classifier | undefined;
  private checkedAt = 0;
  private loading: Promise<Classifier> | undefined;
  readonly store: PrismaModelStore;

  constructor(
    db: Database,
    private readonly logger: Logger,
    private readonly recheckMs = 5_000,
  ) {
    this.store = new PrismaModelStore(db);
  }

  async get(): Promise<Classifier> {
    if (this.current && Date.now() - this.checkedAt < this.recheckMs) return this.current;
    this.loading ??= this.refresh().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async refresh(): Promise<Classifier> {
    const version = await this.store.activeVersion();
    this.checkedAt = Date.now();
    if (this.current && version === this.current.version) return this.current;
    if (!version) {
      this.current = await this.installDefault();
      return this.current;
    }
    this.current = loadClassifier(await this.store.get(version));
    this.logger.info({ version }, 'classifier model loaded');
    return this.current;
  }

  private async installDefault(): Promise<Classifier> {
    const started = Date.now();
    const artifact = buildDefaultModel();
    try {
      await this.store.save(artifact);
    } catch {
      // Another worker saved it first: fine, versions are deterministic.
    }
    if (!(await this.store.activeVersion())) await this.store.activate(artifact.version);
    this.logger.info({ version: artifact.version, ms: Date.now() - started }, 'default CRM model built and activated');
    const active = await this.store.activeVersion();
    return loadClassifier(active === artifact.version ? artifact : await this.store.get(active!));
  }
}
