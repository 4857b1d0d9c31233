import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/open-database.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { startTeamsProcess, type TeamsProcess } from '../../helpers/teams-process.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';

const SERVICE = 'https://smba.trafficmanager.net/emea/';
const BOT = { id: '28:bot', name: 'Rapport' };

/**
 * During a rolling deploy a process of the release before the author-free references is still running
 * and stores whoever last spoke again (the migration ran once, before). A process of this release
 * strips them when it starts (and every hour after; the hourly round is not tested here).
 */
describe('Teams: references an older release stored with their author', () => {
  const recorder = new TeamsRecorder();
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let rapport: TeamsProcess | undefined;

  beforeAll(async () => {
    await recorder.start();
    scratch = await createScratchPostgres();
    const db = await openDatabase({ databaseUrl: scratch.url });
    const ref = (conversation: Record<string, unknown>, user: Record<string, unknown>) =>
      JSON.stringify({ channelId: 'msteams', serviceUrl: SERVICE, bot: BOT, conversation, user });
    // As the older release stores them: a channel's last author, a 1:1 chat's person with their name.
    await db.sql.query(
      `INSERT INTO "ChannelLink" (id, platform, "channelRef", "conversationRef", "createdAt", "updatedAt") VALUES
       (gen_random_uuid(), 'teams', '19:old@thread.tacv2', $1::jsonb, now(), now()),
       (gen_random_uuid(), 'teams', 'a:personal-old', $2::jsonb, now(), now())`,
      [
        ref(
          { id: '19:old@thread.tacv2', conversationType: 'channel' },
          { id: '29:dee', name: 'Dee Oldrelease', aadObjectId: 'aad-dee' },
        ),
        ref(
          { id: 'a:personal-old', conversationType: 'personal' },
          { id: '29:ann', name: 'Ann Oldrelease', aadObjectId: 'aad-ann' },
        ),
      ],
    );
    await db.close();
    rapport = await startTeamsProcess('postgres', recorder, { DATABASE_URL: scratch.url });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
    await scratch?.drop();
  });

  it('a process of this release strips them when it starts: a 1:1 chat keeps only its person’s ids', async () => {
    const rows = () =>
      rapport!.proc.runtime.db.sql.query<{ channelRef: string; conversationRef: Record<string, unknown> }>(
        `SELECT "channelRef", "conversationRef" FROM "ChannelLink" WHERE platform = 'teams' ORDER BY "channelRef"`,
      );
    const stripped = await eventually('the authors stripped', async () => {
      const r = await rows();
      return JSON.stringify(r).includes('Oldrelease') ? undefined : r;
    });
    const of = (channelRef: string) => stripped.find((r) => r.channelRef === channelRef)?.conversationRef;
    expect(of('19:old@thread.tacv2')).not.toHaveProperty('user');
    expect(of('19:old@thread.tacv2')).toMatchObject({ serviceUrl: SERVICE, bot: BOT });
    expect(of('a:personal-old')).toMatchObject({ user: { id: '29:ann', aadObjectId: 'aad-ann' } });
    expect(JSON.stringify(stripped)).not.toMatch(/29:dee|aad-dee|Oldrelease/);
  });
});
