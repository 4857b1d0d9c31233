import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

const MIGRATION = '20261207020000_conversation_refs_without_author';

const BOT = { id: '28:bot', name: 'Rapport' };
const SERVICE = 'https://smba.trafficmanager.net/emea/';

describeMigration(MIGRATION, (before) => {
  it("a channel's stored reference forgets who last spoke there; a 1:1 chat keeps only its person's ids", async () => {
    const { t, through } = before();
    const ref = (conversation: Record<string, unknown>, user?: Record<string, unknown>) =>
      JSON.stringify({ channelId: 'msteams', serviceUrl: SERVICE, bot: BOT, conversation, ...(user ? { user } : {}) });
    const rows: Array<[string, string]> = [
      [
        '19:sales@thread.tacv2',
        ref(
          { id: '19:sales@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
          { id: '29:dee', name: 'Dee Former', aadObjectId: 'aad-dee', role: 'user' },
        ),
      ],
      [
        '19:group@thread.v2',
        ref({ id: '19:group@thread.v2', conversationType: 'groupChat' }, { id: '29:eve', name: 'Eve Guest' }),
      ],
      [
        'a:personal-ann',
        ref(
          { id: 'a:personal-ann', conversationType: 'personal', tenantId: 'tenant-1' },
          { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' },
        ),
      ],
      ['19:quiet@thread.tacv2', ref({ id: '19:quiet@thread.tacv2', conversationType: 'channel' })],
    ];
    await t.db.sql.exec(`
      INSERT INTO "ChannelLink" (id, platform, "channelRef", "conversationRef", "createdAt", "updatedAt") VALUES
      ${rows
        .map(
          ([channelRef, json], i) =>
            `('10000000-0000-4000-8000-00000000000${i + 1}', 'teams', '${channelRef}', '${json}'::jsonb, now(), now())`,
        )
        .join(',\n')};
      INSERT INTO "ChannelLink" (id, platform, "channelRef", "createdAt", "updatedAt") VALUES
        ('10000000-0000-4000-8000-000000000009', 'slack', 'T1/C1', now(), now());`);

    expect((await migrate(t.db, through)).applied).toEqual([MIGRATION]);

    const stored = await t.db.sql.query<{ channelRef: string; conversationRef: Record<string, unknown> | null }>(
      `SELECT "channelRef", "conversationRef" FROM "ChannelLink" ORDER BY id`,
    );
    const of = (channelRef: string) => stored.find((r) => r.channelRef === channelRef)?.conversationRef;
    expect(of('19:sales@thread.tacv2')).toEqual({
      channelId: 'msteams',
      serviceUrl: SERVICE,
      bot: BOT,
      conversation: { id: '19:sales@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
    });
    expect(of('19:group@thread.v2')).not.toHaveProperty('user');
    expect(of('a:personal-ann')).toMatchObject({ user: { id: '29:ann', aadObjectId: 'aad-ann' }, bot: BOT });
    expect((of('a:personal-ann') as { user: Record<string, unknown> }).user).toEqual({
      id: '29:ann',
      aadObjectId: 'aad-ann',
    });
    expect(of('19:quiet@thread.tacv2')).toMatchObject({ serviceUrl: SERVICE, bot: BOT });
    expect(of('T1/C1')).toBeNull();
    expect(JSON.stringify(stored)).not.toMatch(/Dee|29:dee|aad-dee|Eve|29:eve|Ann Rep/);
  });
});
