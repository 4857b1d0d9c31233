import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLogFields } from '../../../src/commands/command-log-fields.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { Database } from '../../../src/db/database.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
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
    const reply = await executeCommand(
      text,
      {
        actor: { platform: 'console', platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
        channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
        now: new Date(),
        requestKey: 'req-log-outage',
      },
      { db, hooks, logger },
    );
    proxy.up();
    expect(reply.tone).toBe('error');
    expect(reply.text).toMatch(/Try again/);
    const logged = lines.join('');
    expect(logged).toMatch(/"verb":"log"/);
    expect(logged).toContain(`"chars":${text.length}`);
    expect(logged).not.toMatch(/acme|Svanstrom|jo@|42k|price/i);
  }, 60_000);

  it('an unexpected database error is logged by class, code, first line and frames: not the values in its detail', async () => {
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
