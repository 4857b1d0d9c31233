import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { chatSourceKey } from '../../../src/services/log-chat-message.service.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const CHANNEL = '19:acme-shared@thread.tacv2';
const GROUP_CHAT = '19:unlinked-chat@thread.v2';
const tenant = { id: 'tenant-1' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const jo = { id: '29:jo', name: 'Jo Acme', aadObjectId: 'aad-jo' };
const guest = { id: '29:guest', name: 'Gus Guest', aadObjectId: 'aad-guest' };
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };

describe.each(TEST_DATABASE_KINDS)('Teams auto-logging of linked channels and chats (%s)', (kind) => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;
  const inThread = (root: string, channel = CHANNEL) => ({
    id: `${channel};messageid=${root}`,
    conversationType: 'channel',
    isGroup: true,
    tenantId: tenant.id,
  });
  const postIn = (
    channel: string,
    root: string,
    id: string,
    from: typeof ann,
    text: string,
    extra: Record<string, unknown> = {},
  ) =>
    rapport.send(
      rapport.activity(inThread(root, channel), {
        type: 'message',
        id,
        from,
        text,
        textFormat: 'plain',
        channelData: { tenant, channel: { id: channel } },
        ...extra,
      }),
    );
  const post = (root: string, id: string, from: typeof ann, text: string, extra: Record<string, unknown> = {}) =>
    postIn(CHANNEL, root, id, from, text, extra);
  const record = (root: string, channel = CHANNEL) =>
    db().communicationRecord.findUnique({
      where: { sourceKey: chatSourceKey('teams', channel, root) },
      include: { messages: { orderBy: { sentAt: 'asc' } }, company: true },
    });

  const members = [
    {
      id: ann.id,
      name: ann.name,
      aadObjectId: ann.aadObjectId,
      email: 'ann@ours.example',
      tenantId: tenant.id,
      userRole: 'user',
    },
    {
      id: jo.id,
      name: jo.name,
      aadObjectId: jo.aadObjectId,
      email: 'jo@acme.com',
      tenantId: 'tenant-acme',
      userRole: 'user',
    },
    {
      id: guest.id,
      name: guest.name,
      aadObjectId: guest.aadObjectId,
      email: 'gus@acme.com',
      tenantId: tenant.id,
      userRole: 'guest',
    },
  ];

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess(kind, recorder, { RAPPORT_INTERNAL_DOMAINS: 'ours.example' });
    await db().company.create({
      data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme'), domains: ['acme.com'] },
    });
    recorder.setMembers(CHANNEL, members);
    const linked = await post('1700000000000', '1700000000000', ann, '<at>Rapport</at> link acme', {
      entities: [mention],
    });
    expect(linked.status).toBe(200);
  }, 120_000); // two processes start a PGlite each under a shared machine's load
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it("logs a thread as one record: the customer's root message (inbound, classified) and our rep's reply (outbound), without answering them", async () => {
    const calls = recorder.calls.length;
    expect(
      (
        await post(
          '1700000000100',
          '1700000000100',
          jo,
          '<p>The dashboard keeps <b>crashing</b>, we are really unhappy</p>',
        )
      ).status,
    ).toBe(200);
    expect((await post('1700000000100', '1700000000101', ann, 'Sorry Jo, looking into it now')).status).toBe(200);
    const r = (await record('1700000000100'))!;
    expect(r.company?.name).toBe('Acme');
    expect(r.messages.map((m) => [m.direction, m.cleanText])).toEqual([
      ['inbound', 'The dashboard keeps crashing, we are really unhappy'],
      ['outbound', 'Sorry Jo, looking into it now'],
    ]);
    // Stored as text (what lookups show); the HTML Teams sent is kept in the metadata.
    expect(r.messages[0].text).toBe('The dashboard keeps crashing, we are really unhappy');
    expect((r.messages[0].metadata as { teams: { html: string } }).teams.html).toContain('<b>crashing</b>');
    const rep = await db().rep.findFirstOrThrow({ where: { platformUserIds: { has: 'teams:aad-ann' } } });
    expect(rep.email).toBe('ann@ours.example');
    // Not answered (a suggestion card may be posted to the channel by the pipeline, as a new message).
    expect(
      recorder.calls.slice(calls).filter((c) => c.activityId === '1700000000100' || c.activityId === '1700000000101'),
    ).toEqual([]);
    await eventually('the customer message classified', () =>
      db().classification.findFirst({ where: { recordId: r.id } }),
    );
  });

  it('counts a guest as the customer and a new root message as a new record', async () => {
    // Two root messages of its own (the first test's thread may not exist yet when shuffled).
    await post('1700000000190', '1700000000190', guest, 'A first question');
    await post('1700000000200', '1700000000200', guest, 'Can you send a quote for 50 seats?');
    const r = (await record('1700000000200'))!;
    expect(r.messages.map((m) => m.direction)).toEqual(['inbound']);
    expect(r.id).not.toBe((await record('1700000000190'))!.id);
  });

  it('never logs a re-sent activity twice, and skips bots', async () => {
    // A thread of its own: root and reply, each sent twice, then a bot's message.
    for (let i = 0; i < 2; i++) {
      await post('1700000000110', '1700000000110', jo, 'Our invoices are wrong again');
      await post('1700000000110', '1700000000111', ann, 'Checking with billing');
    }
    await post(
      '1700000000110',
      '1700000000112',
      { id: '28:other-bot', name: 'Other bot', aadObjectId: undefined as unknown as string },
      'Build #42 passed',
    );
    expect((await record('1700000000110'))!.messages).toHaveLength(2);
  });

  it('applies edits (messageUpdate/editMessage) and deletions (messageDelete/softDeleteMessage) to what was logged', async () => {
    // Threads of its own: a root with a reply, and a root alone.
    await post('1700000000120', '1700000000120', jo, 'The dashboard crashes');
    await post('1700000000120', '1700000000121', ann, 'Sorry Jo, looking into it now');
    await post('1700000000130', '1700000000130', guest, 'Is the export fixed?');
    const edit = await rapport.send(
      rapport.activity(inThread('1700000000120'), {
        type: 'messageUpdate',
        id: '1700000000120',
        from: jo,
        text: 'The dashboard crashes every morning',
        channelData: { tenant, eventType: 'editMessage' },
      }),
    );
    expect(edit.status).toBe(200);
    let r = (await record('1700000000120'))!;
    expect(r.messages[0].cleanText).toBe('The dashboard crashes every morning');

    const del = await rapport.send(
      rapport.activity(inThread('1700000000120'), {
        type: 'messageDelete',
        id: '1700000000121',
        from: ann,
        channelData: { tenant, eventType: 'softDeleteMessage' },
      }),
    );
    expect(del.status).toBe(200);
    r = (await record('1700000000120'))!;
    expect(r.messages.map((m) => m.externalId)).toEqual([`teams:${CHANNEL}/1700000000120`]);
    // The last message deleted: the record goes too.
    expect(await record('1700000000130')).not.toBeNull();
    await rapport.send(
      rapport.activity(inThread('1700000000130'), {
        type: 'messageDelete',
        id: '1700000000130',
        from: guest,
        channelData: { tenant, eventType: 'softDeleteMessage' },
      }),
    );
    expect(await record('1700000000130')).toBeNull();
  });

  it('runs @mentions and personal chats as commands (answered, not logged), and logs nothing in an unlinked chat', async () => {
    const records = await db().communicationRecord.count();
    const before = recorder.calls.length;
    await post('1700000000300', '1700000000300', ann, '<at>Rapport</at> lookup acme', { entities: [mention] });
    await rapport.send(
      rapport.activity(
        { id: 'a:personal-ann', conversationType: 'personal', tenantId: tenant.id },
        { type: 'message', from: ann, text: 'help' },
      ),
    );
    await rapport.send(
      rapport.activity(
        { id: GROUP_CHAT, conversationType: 'groupChat', isGroup: true, tenantId: tenant.id },
        { type: 'message', from: jo, text: 'Anyone around?' },
      ),
    );
    const answered = recorder.calls.slice(before).map((c) => c.conversationId);
    expect(answered).toContain(`${CHANNEL};messageid=1700000000300`);
    expect(answered).toContain('a:personal-ann');
    expect(answered).not.toContain(GROUP_CHAT);
    expect(await db().communicationRecord.count()).toBe(records);
  });

  it('stores one reference per channel (not per thread), so unlink in a thread unlinks the channel and logging stops', async () => {
    // A channel of its own, linked here: the other tests keep theirs linked whatever the order.
    const other = '19:acme-escalations@thread.tacv2';
    recorder.setMembers(other, members);
    expect(
      (
        await postIn(other, '1700000000350', '1700000000350', ann, '<at>Rapport</at> link acme', {
          entities: [mention],
        })
      ).status,
    ).toBe(200);
    await postIn(other, '1700000000360', '1700000000360', jo, 'Hello');
    expect(await record('1700000000360', other)).not.toBeNull();
    expect(await db().channelLink.count({ where: { platform: 'teams', channelRef: { startsWith: other } } })).toBe(1);
    await postIn(other, '1700000000400', '1700000000400', ann, '<at>Rapport</at> unlink', { entities: [mention] });
    await postIn(other, '1700000000500', '1700000000500', jo, 'Hello again');
    expect(await record('1700000000500', other)).toBeNull();
    expect(
      await db().channelLink.count({ where: { platform: 'teams', channelRef: other, companyId: { not: null } } }),
    ).toBe(0);
  });
});
