import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DailyDigestData } from '../../../jobs/job-data.ts';
import { LOG_TO_CRM_COMMAND_ID } from '../../../connectors/teams/log-to-crm.action.ts';
import { LOG_FORM_ID } from '../../../connectors/teams/render-log-form.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { TeamsRecorder, type RecordedCall, type RecordedMember } from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

// Issue 14 end to end in a Teams channel with a guest and a member of the customer's tenant, through the
// real CloudAdapter (Emulator mode) against the Bot Connector recorder. Payload shapes follow
// microsoft/botbuilder-js libraries/botbuilder/tests/teams (channelData { tenant, team, channel },
// TeamsChannelAccount { tenantId, userRole }, Action.Execute invokes, composeExtension/fetchTask).
const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };
const jo = { id: '29:jo', name: 'Jo Customer', aadObjectId: 'aad-jo' };
const gus = { id: '29:gus', name: 'Gus Guest', aadObjectId: 'aad-gus' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
  sam: { ...sam, email: 'sam@ours.example', tenantId: tenant.id, userRole: 'user' },
  jo: { ...jo, email: 'jo@hooli.example', tenantId: 'tenant-hooli', userRole: 'user' },
  gus: { ...gus, email: 'gus@hooli.example', tenantId: tenant.id, userRole: 'guest' },
};
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };
const OUTSIDER = /people from outside that team \(guests and other organisations\) cannot use it/;
const ADMIN_ONLY = /Only a Rapport admin can/;
const personalOf = (who: typeof ann) => ({
  id: `a:personal-${who.id}`,
  conversationType: 'personal',
  tenantId: tenant.id,
});

describe('Teams: the whole lifecycle with a guest in the customer channel', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  let queues: PipelineQueues;
  let redis: ReturnType<typeof connectRedis>;
  const db = () => rapport.proc.runtime.db.prisma;

  /** A channel of its own: its roster in the recorder, and the bot added to it (its reference stored). */
  const channel = (name: string, who: Array<keyof typeof MEMBERS>) =>
    rapport.addedToChannel(
      name,
      tenant,
      who.map((w) => MEMBERS[w]),
    );
  type Channel = Awaited<ReturnType<typeof channel>>;
  const say = (c: Channel, from: typeof ann, text: string, extra: Record<string, unknown> = {}) =>
    rapport.say(c, from, text, extra);
  const command = (c: Channel, from: typeof ann, text: string) =>
    say(c, from, `<at>Rapport</at> ${text}`, { entities: [mention] });
  const personal = (from: typeof ann, text: string) =>
    rapport.send(rapport.activity(personalOf(from), { type: 'message', from, text }));
  /** A click on a card button (Action.Execute), as Teams sends it from the conversation the card is in. */
  const click = (c: Channel, from: typeof ann, card: RecordedCall, command: string) =>
    rapport.click(c.conversation, from, card, command, c.channelData);
  /** The commands a card's buttons run. */
  const commandsOf = (card: RecordedCall) =>
    [...JSON.stringify(card.activity).matchAll(/"rapport":"([^"]+)"/g)].map((m) => m[1]);
  const cardIn = (c: Channel, title: string, after = 0) =>
    eventually(
      `"${title}" posted in the team channel`,
      async () =>
        recorder.calls
          .slice(after)
          .find((x) => x.method === 'POST' && x.conversationId === c.id && JSON.stringify(x.activity).includes(title)),
      90_000,
    );
  const postsTo = (c: Channel) => recorder.calls.filter((x) => x.conversationId.split(';')[0] === c.id);

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
      RAPPORT_ADMINS: 'teams:aad-ann', // forget is for admins
      // Escalate as soon as a reminder is due and still open.
      RAPPORT_ESCALATE_AFTER_HOURS: '0',
    });
    redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    queues = createQueues(redis, rapport.prefix);
  }, 120_000);
  afterAll(async () => {
    if (queues) await closeQueues(queues);
    await redis?.quit();
    await rapport?.dispose();
    await recorder.stop();
  });

  it('log → classify → suggest → accept → remind → escalate → digest → forget: zero internal posts to the guest channel, every guest and other-tenant click and command refused', async () => {
    await db().company.create({
      data: { name: 'Hooli', normalizedName: normalizeCompanyName('Hooli'), domains: ['hooli.example'] },
    });
    const guestChannel = await channel('hooli-shared', ['ann', 'jo', 'gus']);
    const team = await channel('hooli-team', ['ann', 'sam']);
    const beforeLink = postsTo(guestChannel).length;
    expect((await command(guestChannel, ann, 'link hooli')).status).toBe(200);
    // link's answer is for the channel ("linked to Hooli"), posted there and recorded as naming Hooli.
    const linkAnswer = postsTo(guestChannel)
      .slice(beforeLink)
      .find((x) => x.method === 'POST' && /Hooli/.test(JSON.stringify(x.activity)));
    expect(linkAnswer).toBeDefined();
    expect((await command(team, ann, 'notify hooli here')).status).toBe(200);
    const hooli = await db().company.findFirstOrThrow({ where: { name: 'Hooli' } });
    expect(await db().teamChannel.findFirst({ where: { companyId: hooli.id } })).toMatchObject({
      channelRef: team.id,
    });
    // From here on, nothing internal may reach the guest channel.
    const sharedMark = postsTo(guestChannel).length;

    /** Jo (the customer's tenant) and Gus (a guest) try every button of `card` and a few commands: refused, nothing changes. */
    const outsidersRefused = async (card: RecordedCall) => {
      // What a click or command could change (the pipeline itself may move on meanwhile: escalation, card refs).
      const state = () =>
        db().followUp.findMany({
          where: { companyId: hooli.id },
          orderBy: { id: 'asc' },
          select: { id: true, status: true, dueAt: true, assigneeRepId: true, title: true, completedAt: true },
        });
      const before = await state();
      const buttons = commandsOf(card);
      expect(buttons.length).toBeGreaterThan(0);
      for (const who of [jo, gus]) {
        for (const cmd of buttons) {
          const answer = await click(guestChannel, who, card, cmd);
          // A refused click is a Universal Actions error: the card stays as it was and Teams shows the sentence.
          expect(answer.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
          expect(String((answer.body!.value as { message?: string }).message)).toMatch(OUTSIDER);
        }
        for (const cmd of ['lookup hooli', 'followups all', 'forget hooli', 'remind hooli tomorrow call them']) {
          const mark = recorder.calls.length;
          expect((await command(guestChannel, who, cmd)).status).toBe(200);
          const answers = recorder.calls.slice(mark);
          expect(answers.some((x) => OUTSIDER.test(JSON.stringify(x.activity)))).toBe(true);
          expect(JSON.stringify(answers)).not.toMatch(/Hooli|considering other options/);
        }
      }
      expect(await state()).toEqual(before);
    };

    // log → classify → suggest: the customer's words, logged once as theirs; the card in the team channel.
    const churn = await say(guestChannel, jo, 'Honestly we are considering other options, the sync is broken');
    expect(churn.status).toBe(200);
    const suggestion = await cardIn(team, 'Suggested follow-up for Hooli');
    const logged = await db().message.findUniqueOrThrow({
      where: { externalId: `teams:${guestChannel.id}/${churn.id}` },
      include: { contact: true },
    });
    expect(logged.direction).toBe('inbound');
    expect(logged.contact?.companyId).toBe(hooli.id);
    await outsidersRefused(suggestion);
    // The guest cannot open "Log to CRM" either (it would show which customer the chat is linked to).
    const form = await rapport.send(
      rapport.activity(guestChannel.conversation, {
        type: 'invoke',
        name: 'composeExtension/fetchTask',
        from: gus,
        channelData: guestChannel.channelData,
        value: {
          commandId: LOG_TO_CRM_COMMAND_ID,
          commandContext: 'message',
          messagePayload: { id: churn.id, body: { contentType: 'text', content: 'x' } },
        },
      }),
    );
    expect(JSON.stringify(form.body)).toMatch(OUTSIDER);

    // accept (our rep's click on the card in the team channel).
    const f = await db().followUp.findFirstOrThrow({ where: { companyId: hooli.id, status: 'suggested' } });
    const accepted = await click(team, ann, suggestion, `accept ${f.number}`);
    // The clicker is told; the pipeline updates the card in place (once).
    expect(accepted.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect((await db().followUp.findUniqueOrThrow({ where: { id: f.id } })).status).toBe('open');

    // remind: due now, the reminder goes to the team channel.
    let mark = recorder.calls.length;
    await db().followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    const reminder = await cardIn(team, 'Reminder: follow up with Hooli', mark);
    // escalate: still open once due (RAPPORT_ESCALATE_AFTER_HOURS=0), to the team channel too.
    const escalation = await cardIn(team, 'Overdue follow-up for Hooli', mark);
    await outsidersRefused(reminder);
    await outsidersRefused(escalation);

    // digest: the team channel's daily digest (its scheduler's job, fired now) lists Hooli's follow-up.
    mark = recorder.calls.length;
    const digestJob: DailyDigestData = { target: `teams:${team.id}`, timezone: 'UTC' };
    await queues[QueueName.DailyDigest].add('digest', digestJob);
    const digest = await cardIn(team, 'Daily digest', mark);
    expect(JSON.stringify(digest.activity)).toMatch(/Hooli/);

    // forget (admin, in her 1:1 chat, confirmed): the team channel's cards are erased in place.
    mark = recorder.calls.length;
    await personal(ann, 'forget hooli');
    const confirm = /forget \\?"?Hooli\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(recorder.calls.slice(mark)));
    expect(confirm).not.toBeNull();
    await personal(ann, confirm![0].replaceAll('\\"', '"'));
    expect(await db().company.count({ where: { id: hooli.id } })).toBe(0);
    await eventually('the suggestion card erased in place', async () =>
      recorder.calls.find(
        (x) =>
          x.method === 'PUT' && x.activityId === suggestion.answeredId && /Erased/.test(JSON.stringify(x.activity)),
      ),
    );

    // The daily digest listed Hooli's follow-up: taken back the same way, in place (its Delivery row names
    // Hooli; README "Erase means erase": the daily digest and the weekly insights post).
    const digestGone = await eventually('the digest erased in place', async () =>
      recorder.calls.find((x) => x.method === 'PUT' && x.activityId === digest.answeredId),
    );
    expect(JSON.stringify(digestGone.activity)).toMatch(/Erased/);
    expect(JSON.stringify(digestGone.activity)).not.toMatch(/Hooli|considering other options/);

    // The one change there: link's answer, which named Hooli, replaced in place by the erased line.
    const retracted = await eventually('the link answer erased in place', async () =>
      postsTo(guestChannel).find((x) => x.method === 'PUT' && x.activityId === linkAnswer!.answeredId),
    );
    expect(JSON.stringify(retracted.activity)).toMatch(/Erased/);
    // Zero internal posts to the guest channel: no card, and nothing naming the customer or quoting them.
    const shared = postsTo(guestChannel)
      .slice(sharedMark)
      .filter((x) => x !== retracted);
    expect(shared.filter((x) => (x.activity.attachments as unknown[] | undefined)?.length)).toEqual([]);
    expect(JSON.stringify(shared)).not.toMatch(/Hooli|considering other options|Suggested|Reminder|Overdue|digest/);
    expect(shared.filter((x) => x.method === 'PUT' || x.method === 'DELETE')).toEqual([]);
  }, 400_000);

  it("role matrix: each command × admin, rep, guest, member of the customer's tenant, another tenant", async () => {
    await db().company.create({
      data: { name: 'Rolematrix', normalizedName: normalizeCompanyName('Rolematrix'), domains: ['rolematrix.example'] },
    });
    const guestChannel = await channel('matrix-shared', ['ann', 'jo', 'gus']);
    const team = await channel('matrix-team', ['ann', 'sam']);
    expect((await command(guestChannel, ann, 'link rolematrix')).status).toBe(200);
    // Someone of a tenant this deployment does not serve, in a chat of their own tenant.
    const zed = { id: '29:zed', name: 'Zed Elsewhere', aadObjectId: 'aad-zed' };
    const zedChat = { id: 'a:personal-29:zed', conversationType: 'personal', tenantId: 'tenant-zz' };
    recorder.setMembers(zedChat.id, [
      { ...zed, email: 'zed@elsewhere.example', tenantId: 'tenant-zz', userRole: 'user' },
    ]);
    const people = {
      admin: (text: string) => command(team, ann, text),
      rep: (text: string) => command(team, sam, text),
      guest: (text: string) => command(guestChannel, gus, text),
      external: (text: string) => command(guestChannel, jo, text),
      'other tenant': (text: string) =>
        rapport.send(
          rapport.activity(zedChat, {
            type: 'message',
            from: zed,
            text,
            channelData: { tenant: { id: 'tenant-zz' } },
          }),
        ),
    };
    const commands = [
      'help',
      'lookup rolematrix',
      'followups all',
      'log rolematrix "Called about the renewal"',
      'remind rolematrix tomorrow 10am check in',
      'export rolematrix',
      'review',
      'forget rolematrix',
    ];
    const matrix: Record<string, Record<string, string>> = {};
    for (const [who, run] of Object.entries(people)) {
      matrix[who] = {};
      for (const c of commands) {
        const mark = recorder.calls.length;
        expect((await run(c)).status).toBe(200);
        // The answer, wherever it went (the channel, or the asker's 1:1 chat with a line in the channel).
        const answer = JSON.stringify(recorder.calls.slice(mark).map((x) => x.activity));
        matrix[who][c] = OUTSIDER.test(answer) ? 'refused' : ADMIN_ONLY.test(answer) ? 'admin only' : 'allowed';
      }
    }
    const row = (v: string, forget = v) =>
      Object.fromEntries(commands.map((c) => [c, c === 'forget rolematrix' ? forget : v]));
    expect(matrix).toEqual({
      admin: row('allowed'),
      rep: row('allowed', 'admin only'),
      guest: row('refused'),
      external: row('refused'),
      'other tenant': row('refused'),
    });
    // Nobody outside became a Rep or wrote anything.
    const reps = await db().rep.findMany({ select: { platformUserIds: true } });
    const ids = reps.flatMap((r) => r.platformUserIds);
    for (const outsider of ['teams:aad-gus', 'teams:aad-jo', 'teams:aad-zed']) expect(ids).not.toContain(outsider);
    const matrixCo = await db().company.findFirstOrThrow({ where: { name: 'Rolematrix' } });
    expect(await db().communicationRecord.count({ where: { companyId: matrixCo.id } })).toBe(2); // admin's and rep's logs
  }, 300_000);

  it('"Log to CRM" submitted by a guest or another tenant\'s member (no form opened) is refused before any customer is looked up: no names, nothing written', async () => {
    // Near misses of a typed customer would be named ("Did you mean …"): a customer-name oracle.
    for (const name of ['Oraclea One', 'Oraclea Two'])
      await db().company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains: [] } });
    const guestChannel = await channel('oracle-shared', ['ann', 'jo', 'gus']);
    const submit = (from: typeof ann, data: Record<string, unknown>) =>
      rapport.send(
        rapport.activity(guestChannel.conversation, {
          type: 'invoke',
          name: 'composeExtension/submitAction',
          from,
          channelData: guestChannel.channelData,
          value: { commandId: LOG_TO_CRM_COMMAND_ID, commandContext: 'message', data },
        }),
      );
    const records = () => db().communicationRecord.count();
    const before = await records();
    for (const who of [gus, jo])
      for (const customer of ['oraclea', 'Oraclea One']) {
        const answer = await submit(who, {
          rapportForm: LOG_FORM_ID,
          sourceKey: `teams:message:${guestChannel.id}/1`,
          customer,
          kind: 'meeting',
          notes: 'probing',
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(OUTSIDER) } });
        expect(JSON.stringify(answer.body)).not.toMatch(/Oraclea|Did you mean|Logged/);
      }
    expect(await records()).toBe(before);
    // Our rep's submit still gets the near misses (the check is on who submits, not on the form).
    const rep = await submit(ann, {
      rapportForm: LOG_FORM_ID,
      sourceKey: `teams:message:${guestChannel.id}/1`,
      customer: 'oraclea',
      kind: 'meeting',
      notes: 'a call',
    });
    expect(JSON.stringify(rep.body)).toMatch(/Did you mean \\"Oraclea/);
  }, 120_000);

  it("a rep's private remind typed in their 1:1 chat never reaches the customer's guest channel", async () => {
    await db().company.create({
      data: { name: 'Pied Piper', normalizedName: normalizeCompanyName('Pied Piper'), domains: ['piedpiper.example'] },
    });
    const guestChannel = await channel('piper-shared', ['ann', 'jo', 'gus']);
    expect((await command(guestChannel, ann, 'link pied piper')).status).toBe(200);
    const sharedMark = postsTo(guestChannel).length;
    // The customer has no team channel: the reminder goes to the rep's own chat or the default channel, never to the link.
    expect((await personal(ann, 'remind pied piper in 1 minute Call Jo back about the invoice')).status).toBe(200);
    const piper = await db().company.findFirstOrThrow({ where: { name: 'Pied Piper' } });
    const f = await db().followUp.findFirstOrThrow({ where: { companyId: piper.id, title: { contains: 'invoice' } } });
    expect(f.remindTarget).not.toBe(`teams:${guestChannel.id}`);
    await db().followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    await eventually(
      'the reminder delivered',
      async () => (await db().delivery.findFirst({ where: { key: { contains: f.id }, status: 'sent' } })) ?? undefined,
      60_000,
    );
    const shared = postsTo(guestChannel).slice(sharedMark);
    expect(JSON.stringify(shared)).not.toMatch(/invoice|Reminder|Pied Piper/);
    expect(shared).toEqual([]);
  }, 200_000);
});
