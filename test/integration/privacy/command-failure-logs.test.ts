import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLogFields } from '../../../src/commands/command-log-fields.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { Database } from '../../../src/db/database.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Logger } from '../../../src/logger.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';

// A command that fails is logged by its verb and length, never its text: the text names customers and
// people and quotes them, and logs live outside the database, where `forget` and `rapport erase` cannot
// reach. The failure is real: PostgreSQL reached through a TCP proxy the test cuts.
const hooks: PipelineHooks = { async recordLogged() {}, async followUpChanged() {} };

describe('a command failing with the database away', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let proxy: TcpProxy;
  let db: Database;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    await (await openDatabase({ databaseUrl: scratch.url })).close();
    const url = new URL(scratch.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({ databaseUrl: url.toString(), migrate: false });
  }, 60_000);
  /** `text` typed by Alice in the console. */
  const aliceRuns = (text: string, requestKey: string, logger: Logger) =>
    executeCommand(
      text,
      {
        actor: { platform: 'console', platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
        channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
        now: new Date(),
        requestKey,
      },
      { db, hooks, logger },
    );

  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await proxy?.close();
    await scratch?.drop();
  });

  it('is answered with what to do and logged without what the rep typed', async () => {
    const lines: string[] = [];
    const logger = loggerInto(lines, 'info');
    proxy.down();
    const text = 'log acme "Called Jo Svanstrom at jo@acme.example, renewal at 42k unless we cut the price"';
    const reply = await aliceRuns(text, 'req-log-outage', logger);
    proxy.up();
    expect(reply.tone).toBe('error');
    expect(reply.text).toMatch(/Try again/);
    const logged = lines.join('');
    expect(logged).toMatch(/"verb":"log"/);
    expect(logged).toContain(`"chars":${text.length}`);
    expect(logged).not.toMatch(/acme|Svanstrom|jo@|42k|price/i);
  }, 60_000);

  it('a unique violation a command meets (`log --new` racing a creation and a removal) is logged without the values', async () => {
    proxy.up();
    const lines: string[] = [];
    const logger = loggerInto(lines, 'info');
    const name = 'Oberg Haulage';
    const normalizedName = normalizeCompanyName(name);
    // Two other sessions, straight to PostgreSQL: one creates the customer, one removes it again.
    const creator = new pg.Client({ connectionString: scratch.url });
    const remover = new pg.Client({ connectionString: scratch.url });
    await creator.connect();
    await remover.connect();
    try {
      // The race of `log "<new name>" ... --new` with another creation and an erasure, made to happen
      // in the one order that fails: the command sees no customer, its insert waits for the other
      // creation's commit and collides with it, and the customer is gone when it looks for the winner.
      await creator.query('BEGIN');
      await creator.query(
        `INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now())`,
        [name, normalizedName],
      );
      const text = `log "${name}" "Called Jo Oberg at jo@oberg.example about the renewal" --new`;
      const replied = aliceRuns(text, 'req-log-collides', logger);
      await waitForLockWait(remover, 'transactionid'); // the command's insert waits for the creator
      await remover.query('BEGIN');
      const locked = remover.query('LOCK TABLE "Company" IN ACCESS EXCLUSIVE MODE');
      await waitForLockWait(creator, 'relation'); // queued behind the creator and the command's insert
      await creator.query('COMMIT'); // the insert fails; the remover takes the table before the command's next look
      await locked;
      await remover.query(`DELETE FROM "Company" WHERE "normalizedName" = $1`, [normalizedName]);
      await remover.query('COMMIT');
      const reply = await replied;
      expect(reply.tone).toBe('error');
      expect(reply.errorCode).toBe('unknown');
      const logged = lines.join('');
      const failed = lines.filter((l) => l.includes('"msg":"command failed"')).map((l) => JSON.parse(l));
      expect(failed).toHaveLength(1);
      expect(failed[0].command).toEqual({ verb: 'log', chars: text.length });
      expect(failed[0].error.type).toBe('PrismaClientKnownRequestError'); // its class, not "Object"
      expect(failed[0].error.code).toBe('P2002'); // Prisma's unique violation, raised by PostgreSQL's 23505
      expect(failed[0].error.stack).toMatch(/^ {4}at /);
      expect(failed[0].error.stack).toMatch(/createCustomer/);
      expect(logged).not.toMatch(/oberg|haulage|renewal|jo@/i);
    } finally {
      await creator.query('ROLLBACK').catch(() => undefined);
      await remover.query('ROLLBACK').catch(() => undefined);
      await creator.end();
      await remover.end();
    }
  }, 60_000);

  // The unique violation a command can meet with a customer's values in its key is Prisma's (above), and
  // Prisma does not pass PostgreSQL's detail on. The raw-SQL writers commands use (records, messages)
  // collide only on request-derived keys, and re-read what collided. A raw error, with its detail, is
  // what errorLogFields gets from those writers and from the mail and chat pipelines, so it is proved here.
  it('a raw PostgreSQL unique violation is logged by class, code, first line and frames: not the values in its detail', async () => {
    proxy.up();
    const name = 'Svanstrom Holdings';
    await db.sql.query(
      `INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now())`,
      [name, 'svanstrom-holdings'],
    );
    const err = await db.sql
      .query(
        `INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now())`,
        [name, 'svanstrom-holdings'],
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // PostgreSQL says which values collided (detail: Key ("normalizedName")=(svanstrom-holdings) already exists).
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toMatch(/svanstrom/i);
    const fields = errorLogFields(err);
    expect(fields.code).toBe('23505');
    expect(fields.message).toMatch(/unique constraint/);
    expect(fields.stack).toMatch(/^ {4}at /);
    expect(JSON.stringify(fields)).not.toMatch(/svanstrom/i);
  }, 60_000);
});

/** Resolves once a session other than `self` waits for a lock of this type (polled through `self`). */
async function waitForLockWait(self: pg.Client, locktype: 'transactionid' | 'relation'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await self.query(
      `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND l.locktype = $1 AND l.pid <> pg_backend_pid() AND a.datname = current_database()
        LIMIT 1`,
      [locktype],
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no session waits for a ${locktype} lock`);
}
