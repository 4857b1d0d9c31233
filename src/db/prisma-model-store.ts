import type { Prisma } from './generated/client.ts';
import type { Database } from './database.ts';
import { RapportError } from '../errors.ts';
import { artifactToRow, rowToArtifact, type ModelArtifact, type ModelRow } from '../classifier/model-artifact.ts';
import type { ModelStore, SaveModelOptions, StoredModelInfo } from '../classifier/model-store.ts';
import { type DbClient, inTransaction } from './db-client.ts';
import { lockTrainingMark } from './insights.repository.ts';

/** The classifier's model store on the `Model` table: versions are never overwritten; exactly one is active. */
export class PrismaModelStore implements ModelStore {
  constructor(private readonly db: Database) {}

  async save(artifact: ModelArtifact, options: SaveModelOptions = {}): Promise<boolean> {
    const row = artifactToRow(artifact, false);
    const data = {
      version: row.version,
      backend: row.backend,
      labels: row.labels,
      featurizer: row.featurizer as unknown as Prisma.InputJsonValue,
      metrics: row.metrics as unknown as Prisma.InputJsonValue,
      trainingSummary: row.trainingSummary as unknown as Prisma.InputJsonValue,
      weights: Buffer.from(
        row.weights.buffer,
        row.weights.byteOffset,
        row.weights.byteLength,
      ) as unknown as Uint8Array<ArrayBuffer>,
      active: false,
    };
    const mark = options.unlessTrainingChangedSince;
    try {
      if (mark === undefined) await this.db.prisma.model.create({ data });
      else {
        // The training mark's row is held until this commits: an erasure or a platform delete waits,
        // then withdraws this model if it trained on what left; one that committed first leaves a new
        // mark and nothing is saved.
        return await inTransaction(
          this.db,
          async (tx) => {
            if ((await lockTrainingMark(tx)) !== mark) return false;
            await tx.model.create({ data });
            if (options.activate) await activateIn(tx, artifact.version);
            return true;
          },
          { timeout: 60_000 },
        );
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') {
        throw new RapportError(
          'invalid_input',
          `Model version "${artifact.version}" already exists; versions are never overwritten.`,
        );
      }
      throw err;
    }
    if (options.activate) await this.activate(artifact.version);
    return true;
  }

  async get(version: string): Promise<ModelArtifact> {
    const row = await this.db.prisma.model.findUnique({ where: { version } });
    if (!row)
      throw new RapportError(
        'not_found',
        `There is no model version "${version}"; run \`rapport model list\` to see the stored versions.`,
      );
    return toArtifact(row);
  }

  async getActive(): Promise<ModelArtifact | null> {
    const row = await this.db.prisma.model.findFirst({ where: { active: true } });
    return row ? toArtifact(row) : null;
  }

  async activeVersion(): Promise<string | null> {
    const row = await this.db.prisma.model.findFirst({ where: { active: true }, select: { version: true } });
    return row?.version ?? null;
  }

  async activate(version: string): Promise<void> {
    const rows = await this.db.sql.query<{ n: number }>(ACTIVATE, [version]);
    if (rows[0]?.n !== 1) throw notFound(version);
  }

  async list(): Promise<StoredModelInfo[]> {
    const rows = await this.db.prisma.model.findMany({
      orderBy: { createdAt: 'asc' },
      select: { version: true, backend: true, labels: true, active: true, createdAt: true, metrics: true },
    });
    return rows.map((r) => {
      const m = r.metrics as ModelRow['metrics'];
      const macroF1 = m.heldOut?.macroF1 ?? m.crossValidation?.macroF1;
      return {
        version: r.version,
        backend: r.backend,
        labels: r.labels,
        active: r.active,
        createdAt: r.createdAt.toISOString(),
        ...(macroF1 !== undefined ? { macroF1 } : {}),
      };
    });
  }
}

/** Makes $1 the only active model. One statement, so concurrent activations can never leave two active rows. */
const ACTIVATE = `WITH changed AS (UPDATE "Model" SET active = (version = $1) WHERE active OR version = $1 RETURNING version) SELECT count(*)::int AS n FROM changed WHERE version = $1`;

const notFound = (version: string) =>
  new RapportError(
    'not_found',
    `There is no model version "${version}"; run \`rapport model list\` to see the stored versions.`,
  );

/** {@link ACTIVATE} in a transaction. */
async function activateIn(client: DbClient, version: string): Promise<void> {
  const rows = await client.$queryRawUnsafe<{ n: number }[]>(ACTIVATE, version);
  if (rows[0]?.n !== 1) throw notFound(version);
}

function toArtifact(row: {
  version: string;
  backend: string;
  labels: string[];
  featurizer: unknown;
  metrics: unknown;
  trainingSummary: unknown;
  weights: Uint8Array;
}): ModelArtifact {
  return rowToArtifact({
    version: row.version,
    backend: row.backend,
    labels: row.labels,
    featurizer: row.featurizer as ModelRow['featurizer'],
    metrics: row.metrics as ModelRow['metrics'],
    trainingSummary: row.trainingSummary as ModelRow['trainingSummary'],
    weights: new Uint8Array(row.weights),
  });
}
