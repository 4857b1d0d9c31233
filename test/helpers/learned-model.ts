import { buildDefaultModel } from '../../src/classifier/default-model.ts';
import { PrismaModelStore } from '../../src/db/prisma-model-store.ts';
import { normalizeCompanyName } from '../../src/domain/normalize-company-name.ts';
import { correctLabel } from '../../src/services/correct-label.service.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** The admin who corrects labels and erases customers in the learned-model tests. */
export const LEARNING_ADMIN = { repId: 'admin', platform: 'console' };

/** The built-in model, built once (it is the same for every database). */
export const DEFAULT_MODEL = buildDefaultModel();

/**
 * A database for tests of what the classifier learns (erasures withdrawing learned models): its model
 * store holds the built-in model, active, as after `rapport start`.
 */
export class LearningDatabase {
  private constructor(
    readonly t: TestDatabase,
    readonly store: PrismaModelStore,
  ) {}

  static async open(kind: 'pglite' | 'postgres'): Promise<LearningDatabase> {
    const t = await createTestDatabase(kind);
    const store = new PrismaModelStore(t.db);
    await store.save(DEFAULT_MODEL, { activate: true });
    return new LearningDatabase(t, store);
  }

  dispose(): Promise<void> {
    return this.t.dispose();
  }

  /** A new customer with this name and domain; its id. */
  async company(name: string, domain: string): Promise<string> {
    return (
      await this.t.db.prisma.company.create({
        data: { name, normalizedName: normalizeCompanyName(name), domains: [domain] },
      })
    ).id;
  }

  /**
   * The learning loop: message `messageId` of record `recordId` is classified `other` by the built-in
   * model, and a rep corrects the record to `label`. Throws when the correction changes nothing.
   */
  async correct(recordId: string, messageId: string, label: string): Promise<void> {
    await this.t.db.prisma.classification.create({
      data: {
        recordId,
        messageId,
        label: 'other',
        confidence: 0.4,
        scores: {},
        modelVersion: DEFAULT_MODEL.version,
      },
    });
    if (!(await correctLabel(this.t.db, recordId, label, LEARNING_ADMIN)).changed)
      throw new Error(`correcting record ${recordId} to ${label} changed nothing`);
  }

  /** The stored `Model` row of `version` as lower-case JSON (what a model keeps), or undefined. */
  async modelRow(version: string): Promise<string | undefined> {
    return (
      await this.t.db.sql.query<{ j: string }>(`SELECT row_to_json(m)::text AS j FROM "Model" m WHERE version = $1`, [
        version,
      ])
    )[0]?.j.toLowerCase();
  }
}
