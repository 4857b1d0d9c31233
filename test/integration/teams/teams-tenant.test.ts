import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { LOG_TO_CRM_COMMAND_ID } from '../../../connectors/teams/log-to-crm.action.ts';
import { LOG_FORM_ID } from '../../../connectors/teams/render-log-form.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { TeamsRecorder, type RecordedMember } from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

// Our tenant is MICROSOFT_APP_TENANT_ID, never the tenant an activity names. Anyone who sees the
// bot's id (28:<app id>) in a cross-tenant chat can upload an app with that bot id in a tenant of
// their own and write to it from there: Teams then sends their activities with their tenant, and
// getMember answers with their own member record. Through the real CloudAdapter (Emulator mode)
// against the Bot Connector recorder, with payloads shaped like botbuilder-js's Teams tests
// (channelData { tenant }, conversation.tenantId, TeamsChannelAccount { tenantId, userRole }).
const OURS = 'tenant-ours';
const EVIL = 'tenant-evil';
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };
/** A member of another tenant, as Teams describes them (their tenant named). */
const zed = { id: '29:zed', name: 'Zed Elsewhere', aadObjectId: 'aad-zed' };
/** A member of another tenant whose record names no tenant and shows an email of our domain (a colleague's). */
const mal = { id: '29:mal', name: 'Mal Lookalike', aadObjectId: 'aad-mal' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: OURS, userRole: 'user' },
  sam: { ...sam, email: 'sam@ours.example', tenantId: OURS, userRole: 'user' },
  zed: { ...zed, email: 'zed@evil.example', tenantId: EVIL, userRole: 'user' },
  mal: { ...mal, email: 'sam@ours.example', userRole: 'user' },
};
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };
const OUTSIDER = /people from outside that team \(guests and other organisations\) cannot use it/;
/** What a leak of the customer's data would show. */
const SECRET = /Tenantco|renewal at 42k/;

/** A 1:1 chat with the bot in `tenantId`, as Teams starts it, with its one member in the recorder. */
function personalChat(recorder: TeamsRecorder, member: RecordedMember, tenantId: string) {
  const conversation = { id: `a:personal-${member.id}-${tenantId}`, conversationType: 'personal', tenantId };
  recorder.setMembers(conversation.id, [member]);
  return conversation;
}

describe('Teams: activities from another tenant than MICROSOFT_APP_TENANT_ID', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;
  const personal = (conversation: ReturnType<typeof personalChat>, from: typeof ann, text: string) =>
    rapport.send(
      rapport.activity(conversation, {
        type: 'message',
        from,
        text,
        channelData: { tenant: { id: conversation.tenantId } },
      }),
    );
  /** What Rapport sent since `mark`, anywhere. */
  const sentSince = (mark: number) => JSON.stringify(recorder.calls.slice(mark).map((x) => x.activity));

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      MICROSOFT_APP_TENANT_ID: OURS,
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
    });
    const co = await db().company.create({
      data: { name: 'Tenantco', normalizedName: normalizeCompanyName('Tenantco'), domains: ['tenantco.example'] },
    });
    // Our rep logs something about the customer: what the other tenant's people must not see.
    const annChat = personalChat(recorder, MEMBERS.ann, OURS);
    expect((await personal(annChat, ann, 'log tenantco "Discussed the renewal at 42k"')).status).toBe(200);
    expect(await db().communicationRecord.count({ where: { companyId: co.id } })).toBe(1);
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it('a 1:1 chat from another tenant runs no command (lookup, export): the outsider sentence, no customer data, no Rep', async () => {
    const annChat = personalChat(recorder, MEMBERS.ann, OURS);
    let mark = recorder.calls.length;
    // Our rep, for contrast: the same commands answer with the customer's data.
    await personal(annChat, ann, 'lookup tenantco');
    expect(sentSince(mark)).toMatch(SECRET);

    for (const who of ['zed', 'mal'] as const) {
      const chat = personalChat(recorder, MEMBERS[who], EVIL);
      const from = who === 'zed' ? zed : mal;
      for (const command of ['lookup tenantco', 'export tenantco', 'followups all', 'help']) {
        mark = recorder.calls.length;
        expect((await personal(chat, from, command)).status).toBe(200);
        const answer = sentSince(mark);
        expect(answer).toMatch(OUTSIDER);
        expect(answer).not.toMatch(SECRET);
      }
    }
    // A card click (Action.Execute) and a "Log to CRM" submit from there: 403, the sentence in the invoke's own shape.
    const chat = personalChat(recorder, MEMBERS.mal, EVIL);
    const invoke = (name: string, value: Record<string, unknown>) =>
      rapport.send(
        rapport.activity(chat, { type: 'invoke', name, from: mal, channelData: { tenant: { id: EVIL } }, value }),
      );
    const click = await invoke('adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: 'rapport', data: { rapport: 'lookup tenantco' } },
    });
    expect(click.status).toBe(403);
    expect(click.body).toMatchObject({ statusCode: 403, type: 'application/vnd.microsoft.error' });
    expect(JSON.stringify(click.body)).toMatch(OUTSIDER);
    const submit = await invoke('composeExtension/submitAction', {
      commandId: LOG_TO_CRM_COMMAND_ID,
      commandContext: 'message',
      data: { rapportForm: LOG_FORM_ID, sourceKey: `teams:message:${chat.id}/1`, customer: 'tenant', notes: 'x' },
    });
    expect(submit.status).toBe(403);
    expect(submit.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(OUTSIDER) } });
    expect(JSON.stringify([click.body, submit.body])).not.toMatch(SECRET);
    // Nobody of the other tenant became a Rep, or joined the colleague whose email one of them shows.
    const ids = (await db().rep.findMany({ select: { platformUserIds: true } })).flatMap((r) => r.platformUserIds);
    expect(ids).not.toContain('teams:aad-zed');
    expect(ids).not.toContain('teams:aad-mal');
    // Their 1:1 chats are not places Rapport knows (no stored reference to post to).
    expect(await db().channelLink.count({ where: { channelRef: { contains: EVIL } } })).toBe(0);
  }, 120_000);

  it('every invoke from another tenant (or none) is refused with 403 at once: nothing runs, nothing is stored, nothing is posted', async () => {
    // A channel of the other tenant, and a 1:1 chat there; each invoke as Teams sends it (botbuilder-js
    // libraries/botbuilder/tests/teams/teamsActivityHandler.test.js, Microsoft Learn's Universal Actions,
    // message extension and dialog (task module) pages): name, value, channelData { tenant, team, channel }.
    const evilChannel = `19:evil-invoke-${Date.now()}@thread.tacv2`;
    recorder.setMembers(evilChannel, [MEMBERS.mal, MEMBERS.zed]);
    const channel = { id: evilChannel, conversationType: 'channel', isGroup: true, tenantId: EVIL };
    const channelData = { tenant: { id: EVIL }, team: { id: evilChannel }, channel: { id: evilChannel } };
    const chat = personalChat(recorder, MEMBERS.mal, EVIL);
    /** The same chat as an activity naming no tenant at all (no channelData.tenant, no conversation.tenantId). */
    const noTenant = { id: `a:personal-notenant-${Date.now()}`, conversationType: 'personal' };
    recorder.setMembers(noTenant.id, [MEMBERS.mal]);
    const messageId = '1700000000555';
    const messagePayload = {
      id: messageId,
      createdDateTime: new Date().toISOString(),
      from: { user: { id: 'aad-mal', displayName: 'Mal Lookalike', userIdentityType: 'aadUser' } },
      body: { contentType: 'html', content: '<p>Please send me the renewal numbers</p>' },
    };
    const invokes: Array<[string, Record<string, unknown>]> = [
      // An Action.Execute card button (Universal Actions).
      [
        'adaptiveCard/action',
        {
          action: { type: 'Action.Execute', verb: 'rapport', data: { rapport: 'lookup tenantco' } },
          trigger: 'manual',
        },
      ],
      // "Log to CRM" on a message: the form opened, then submitted.
      [
        'composeExtension/fetchTask',
        { commandId: LOG_TO_CRM_COMMAND_ID, commandContext: 'message', context: { theme: 'default' }, messagePayload },
      ],
      [
        'composeExtension/submitAction',
        {
          commandId: LOG_TO_CRM_COMMAND_ID,
          commandContext: 'message',
          context: { theme: 'default' },
          data: {
            rapportForm: LOG_FORM_ID,
            sourceKey: `teams:message:${evilChannel}/${messageId}`,
            customer: 'tenantco',
            notes: 'x',
          },
          messagePayload,
        },
      ],
      // A message extension search, and a dialog (task module) opened and submitted from a card.
      [
        'composeExtension/query',
        {
          commandId: 'searchQuery',
          parameters: [{ name: 'searchQuery', value: 'tenantco' }],
          queryOptions: { skip: 0, count: 25 },
        },
      ],
      [
        'task/fetch',
        { data: { msteams: { type: 'task/fetch' }, rapport: 'lookup tenantco' }, context: { theme: 'default' } },
      ],
      ['task/submit', { data: { rapport: 'export tenantco' }, context: { theme: 'default' } }],
    ];
    const where = [
      { conversation: channel, extra: { channelData, replyToId: '1700000000001' } },
      { conversation: chat, extra: { channelData: { tenant: { id: EVIL } } } },
      { conversation: noTenant, extra: { channelData: {} } },
    ];
    const records = await db().communicationRecord.count();
    const messages = await db().message.count();
    const links = await db().channelLink.count();
    const mark = recorder.calls.length;
    for (const { conversation, extra } of where)
      for (const [name, value] of invokes) {
        const started = Date.now();
        const answer = await rapport.send(
          rapport.activity(conversation, { type: 'invoke', name, from: mal, value, ...extra }),
        );
        expect({ name, conversation: conversation.id, status: answer.status }).toEqual({
          name,
          conversation: conversation.id,
          status: 403,
        });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(JSON.stringify(answer.body ?? {})).not.toMatch(SECRET);
      }
    // Nothing ran or was stored: no record, message, link or conversation reference, no Rep, no post anywhere.
    expect(await db().communicationRecord.count()).toBe(records);
    expect(await db().message.count()).toBe(messages);
    expect(await db().channelLink.count()).toBe(links);
    for (const { conversation } of where)
      expect(await db().channelLink.findFirst({ where: { channelRef: conversation.id } })).toBeNull();
    const ids = (await db().rep.findMany({ select: { platformUserIds: true } })).flatMap((r) => r.platformUserIds);
    expect(ids).not.toContain('teams:aad-mal');
    expect(recorder.calls.slice(mark)).toEqual([]);
  }, 120_000);

  it("notify … here in another tenant's channel routes no card there, and adding the bot there stores nothing", async () => {
    const evilChannel = `19:evil-${Date.now()}@thread.tacv2`;
    // Only Mal, whose record shows our domain: the roster itself looks like ours.
    recorder.setMembers(evilChannel, [MEMBERS.mal]);
    const conversation = { id: evilChannel, conversationType: 'channel', isGroup: true, tenantId: EVIL };
    const evilTeam = `19:team-evil-${Date.now()}@thread.tacv2`;
    recorder.setMembers(evilTeam, [MEMBERS.mal]);
    const channelData = { tenant: { id: EVIL }, team: { id: evilTeam }, channel: { id: evilChannel } };
    expect(
      (
        await rapport.send(
          rapport.activity(conversation, { type: 'conversationUpdate', membersAdded: [TEST_BOT], channelData }),
        )
      ).status,
    ).toBe(200);
    for (const from of [mal, zed]) {
      const mark = recorder.calls.length;
      const said = await rapport.send(
        rapport.activity(conversation, {
          type: 'message',
          from,
          text: '<at>Rapport</at> notify tenantco here',
          entities: [mention],
          channelData,
        }),
      );
      expect(said.status).toBe(200);
      expect(sentSince(mark)).toMatch(OUTSIDER);
    }
    const co = await db().company.findFirstOrThrow({ where: { name: 'Tenantco' } });
    expect(await db().teamChannel.findMany({ where: { companyId: co.id } })).toEqual([]);
    expect(await db().channelLink.findFirst({ where: { channelRef: evilChannel } })).toBeNull();
    // Tenantco's internal cards (a reminder, due now) go anywhere but the other tenant's channel.
    const annChat = personalChat(recorder, MEMBERS.ann, OURS);
    expect((await personal(annChat, ann, 'remind tenantco in 1 minute call about the renewal at 42k')).status).toBe(
      200,
    );
    const f = await db().followUp.findFirstOrThrow({ where: { companyId: co.id, title: { contains: 'renewal' } } });
    expect(f.remindTarget).not.toBe(`teams:${evilChannel}`);
    await db().followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    await eventually(
      'the reminder delivered',
      async () => (await db().delivery.findFirst({ where: { key: { contains: f.id }, status: 'sent' } })) ?? undefined,
      60_000,
    );
    const there = recorder.calls.filter((x) => x.conversationId.split(';')[0] === evilChannel);
    expect(JSON.stringify(there)).not.toMatch(SECRET);
    expect(there.filter((x) => (x.activity.attachments as unknown[] | undefined)?.length)).toEqual([]);
  }, 120_000);

  it("a member of another tenant writing in our linked channel is logged as the customer's side, never joined to the colleague whose email they show", async () => {
    const shared = `19:shared-${Date.now()}@thread.tacv2`;
    // A shared channel of our team: our rep, and the other tenant's member whose record shows Sam's email.
    const team = `19:team-${Date.now()}@thread.tacv2`;
    // getMember in a team channel asks the team's roster.
    for (const id of [shared, team])
      recorder.setMembers(id, [MEMBERS.ann, MEMBERS.sam, { ...MEMBERS.mal, tenantId: EVIL }]);
    const conversation = { id: shared, conversationType: 'channel', isGroup: true, tenantId: OURS };
    const channelData = { tenant: { id: OURS }, team: { id: team }, channel: { id: shared } };
    const send = (from: typeof ann, text: string, extra: Record<string, unknown> = {}) =>
      rapport.send(rapport.activity(conversation, { type: 'message', from, text, channelData, ...extra }));
    expect((await send(ann, '<at>Rapport</at> link tenantco', { entities: [mention] })).status).toBe(200);
    // Sam is one of ours and a Rep already (by his own message).
    const samSaid = await send(sam, 'Hi all, Sam here');
    expect(samSaid.status).toBe(200);
    const samRep = await db().rep.findFirstOrThrow({ where: { email: 'sam@ours.example' } });
    const id = String(Date.now());
    expect((await send(mal, 'Please send me the renewal numbers', { id })).status).toBe(200);
    const logged = await db().message.findUniqueOrThrow({ where: { externalId: `teams:${shared}/${id}` } });
    // Logged (the customer's conversation is kept), as the customer's side: never our rep's words.
    expect(logged.direction).toBe('inbound');
    expect((await db().rep.findUniqueOrThrow({ where: { id: samRep.id } })).platformUserIds).not.toContain(
      'teams:aad-mal',
    );
    const ids = (await db().rep.findMany({ select: { platformUserIds: true } })).flatMap((r) => r.platformUserIds);
    expect(ids).not.toContain('teams:aad-mal');
  }, 120_000);
});

describe('Teams in Emulator mode without MICROSOFT_APP_TENANT_ID: no tenant is ours', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;

  beforeAll(async () => {
    await recorder.start();
    // The old default took "our tenant" from each activity: a person was ours in a chat of their own tenant.
    rapport = await startTeamsProcess('pglite', recorder, { MICROSOFT_APP_TENANT_ID: '' });
    await rapport.proc.runtime.db.prisma.company.create({
      data: { name: 'Tenantco', normalizedName: normalizeCompanyName('Tenantco'), domains: ['tenantco.example'] },
    });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it('a person of any tenant writing 1:1 is not a member: lookup and export are refused', async () => {
    const chat = personalChat(recorder, MEMBERS.zed, EVIL);
    for (const command of ['lookup tenantco', 'export tenantco']) {
      const mark = recorder.calls.length;
      const answer = await rapport.send(
        rapport.activity(chat, { type: 'message', from: zed, text: command, channelData: { tenant: { id: EVIL } } }),
      );
      expect(answer.status).toBe(200);
      const sent = JSON.stringify(recorder.calls.slice(mark).map((x) => x.activity));
      expect(sent).toMatch(/Rapport could not check who you are|cannot use it/);
      expect(sent).not.toMatch(/Tenantco/);
    }
    const reps = await rapport.proc.runtime.db.prisma.rep.findMany({ select: { platformUserIds: true } });
    expect(reps.flatMap((r) => r.platformUserIds)).not.toContain('teams:aad-zed');
  }, 60_000);
});
