import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quarantineMail } from '../../src/db/mail-quarantine.repository.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { eventually } from '../helpers/pipeline-harness.ts';
import { runRapportCli } from '../helpers/spawn-rapport.ts';
import { startTestProcess, type TestProcess } from '../helpers/test-process.ts';

/**
 * `rapport mail` while Rapport runs on the embedded database (the zero-setup default), whose data dir
 * the bot holds: the command runs in the bot, through its HTTP server. On the code before, every
 * `rapport mail` command (the ones `rapport doctor` tells you to run) refused while the bot ran.
 */
describe('rapport mail while Rapport runs on the embedded database', () => {
  let bot: TestProcess | undefined;

  beforeAll(async () => {
    bot = await startTestProcess('pglite', {}, { name: 'mail-running' });
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  /** The real CLI, a child process, on the bot's data dir. */
  const rapport = (...args: string[]) => runRapportCli(bot!.dataDir, args);

  it('lists, retries and drops quarantined mail, with the exit codes it has without the bot', async () => {
    const db = bot!.proc.runtime.db;
    for (const [uid, from, subject] of [
      [51, 'Kim <kim@runningco.com>', 'Invoice 9'],
      [52, 'Lee <lee@runningco.com>', 'Old ticket'],
    ] as const)
      await quarantineMail(db, {
        mailbox: 'support@support.example',
        folder: 'INBOX',
        uid,
        raw: Buffer.from(buildEmail({ from, subject, body: `About ${subject}` })),
        headers: { from, subject },
        error: 'value too long for type character varying(500)',
        note: 'Could not be stored after 3 tries.',
      });
    const rows = await db.prisma.mailQuarantine.findMany({ where: { uid: { in: [51, 52] } }, orderBy: { uid: 'asc' } });
    const [retryId, dropId] = rows.map((r) => r.id);

    const listed = await rapport('mail', 'quarantine');
    expect(listed.out).toContain('2 quarantined mail(s) still failing, oldest first:');
    expect(listed.out).toContain(`${retryId}  support@support.example INBOX UID 51`);
    expect(listed.out).toContain('from Lee <lee@runningco.com>: Old ticket');
    expect(listed.code).toBe(0);

    // Bad usage is told before the bot is asked; an unknown id by the bot, nothing done.
    expect(await rapport('mail', 'retry', 'not-an-id')).toMatchObject({ code: 2 });
    const unknown = await rapport('mail', 'drop', '00000000-0000-4000-8000-000000000000', '--yes');
    expect(unknown.out).toContain('No quarantined mail has the id 00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);

    const retried = await rapport('mail', 'retry', retryId);
    expect(retried.out).toContain('Retried 1 quarantined message(s): 1 logged');
    expect(retried.code).toBe(0);
    const logged = await db.prisma.message.findMany({ where: { authorEmail: 'kim@runningco.com' } });
    expect(logged).toHaveLength(1);
    // Logged by the bot with its pipeline: classified without waiting for the reconciler (whose first pass
    // comes minutes later). The bot's first classification loads the model: give a loaded machine time.
    await eventually(
      'the retried mail classified',
      () => db.prisma.classification.findFirst({ where: { messageId: logged[0].id } }),
      60_000,
    );

    expect(await rapport('mail', 'drop', dropId)).toMatchObject({ code: 2 });
    const dropped = await rapport('mail', 'drop', dropId, '--yes');
    expect(dropped.out).toContain('Deleted 1 quarantined mail(s).');
    expect(dropped.code).toBe(0);
    expect(await db.prisma.mailQuarantine.count({ where: { id: dropId } })).toBe(0);

    const senders = await rapport('mail', 'unconfirmed');
    expect(senders.code).toBe(0);
  }, 180_000);

  it("takes it from the operator's own tools alone: a browser, on another site or the console's own, is refused", async () => {
    const res = await fetch(new URL('/api/mail-command', bot!.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
      body: JSON.stringify({ argv: ['drop', '00000000-0000-4000-8000-000000000000', '--yes'] }),
    });
    expect(res.status).toBe(403);
    // The console's own page in a local browser (the operator, zero-config): not a tool, refused too.
    const page = await fetch(new URL('/api/mail-command', bot!.url), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Origin: new URL(bot!.url).origin,
        'Sec-Fetch-Site': 'same-origin',
      },
      body: JSON.stringify({ argv: ['quarantine'] }),
    });
    expect(page.status).toBe(403);
    const bad = await fetch(new URL('/api/mail-command', bot!.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ argv: 'quarantine' }),
    });
    expect(bad.status).toBe(400);
  });
});
