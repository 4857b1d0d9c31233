import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/pipeline-harness.ts';
import {
  adaptiveCardProblems,
  TeamsRecorder,
  type RecordedCall,
  type RecordedMember,
} from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

// Issue 20, "Chat cards", on Teams: what Slack does (slack-chat-cards.test.ts) through the real CloudAdapter
// (Emulator mode) against the Bot Connector recorder. Payload shapes follow microsoft/botbuilder-js
// libraries/botbuilder/tests/teams and the Teams docs (channelData { tenant, team }, Action.Execute invokes,
// TeamsChannelAccount { tenantId, userRole }). Each test makes its own customer and channels.
const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };
const jo = { id: '29:jo', name: 'Jo Customer', aadObjectId: 'aad-jo' };
const gus = { id: '29:gus', name: 'Gus Guest', aadObjectId: 'aad-gus' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
  sam: { ...sam, email: 'sam@ours.example', tenantId: tenant.id, userRole: 'user' },
  jo: { ...jo, email: 'jo@customer.example', tenantId: 'tenant-customer', userRole: 'user' },
  gus: { ...gus, email: 'gus@customer.example', tenantId: tenant.id, userRole: 'guest' },
};
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };

describe('Teams chat cards (issue 20)', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;

  /** A team channel of its own: its roster in the recorder, and the bot added to it (its reference stored). */
  const channel = (name: string, who: Array<keyof typeof MEMBERS>) =>
    rapport.addedToChannel(
      name,
      tenant,
      who.map((w) => MEMBERS[w]),
    );
  type Channel = Awaited<ReturnType<typeof channel>>;
  /** A new top-level message in the channel (its own reply chain). */
  const say = async (c: Channel, from: typeof ann, text: string, extra: Record<string, unknown> = {}) => {
    const res = await rapport.say(c, from, text, extra);
    expect(res.status).toBe(200);
    return res;
  };
  const command = (c: Channel, from: typeof ann, text: string) =>
    say(c, from, `<at>Rapport</at> ${text}`, { entities: [mention] });
  /** A click on a card button (Action.Execute), as Teams sends it from the conversation the card is in. */
  const click = (
    conversation: Record<string, unknown> & { id: string },
    from: typeof ann,
    card: RecordedCall,
    cmd: string,
    channelData?: unknown,
  ) => rapport.click(conversation, from, card, cmd, channelData);
  const posted = (conversationId: string, text: string | RegExp, after = 0) =>
    eventually(
      `a post with ${text} in ${conversationId}`,
      async () =>
        recorder.calls
          .slice(after)
          .find(
            (x) =>
              x.method === 'POST' &&
              x.conversationId === conversationId &&
              (typeof text === 'string'
                ? JSON.stringify(x.activity).includes(text)
                : text.test(JSON.stringify(x.activity))),
          ),
      90_000,
    );
  const cardOf = (call: RecordedCall) =>
    (call.activity.attachments as Array<{ content: Record<string, unknown> }>)[0].content;

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
      // Escalations follow their reminder at once, so one test sees both.
      RAPPORT_ESCALATE_AFTER_HOURS: '0',
    });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  /** A follow-up typed by Ann in `c`, made due in a moment so its reminder fires there. */
  const remindSoon = async (c: Channel, customer: string) => {
    await command(c, ann, `log "${customer}" "Met at the fair" --new`);
    await command(c, ann, `remind "${customer}" tomorrow 9am send the deck`);
    const f = await eventually('the follow-up', () =>
      db().followUp.findFirst({ where: { company: { name: customer } }, include: { assignee: true } }),
    );
    expect(f.remindTarget).toBe(`teams:${c.id}`);
    await db().followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 300) } });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    return f;
  };

  it("a reminder in the team channel mentions the assignee and reaches them in a 1:1 chat opened for it; Done there is accepted from them and closes the channel's card too", async () => {
    const team = await channel('remind-team', ['ann', 'sam']);
    const mark = recorder.calls.length;
    const f = await remindSoon(team, 'Remindco');
    const reminder = await posted(team.id, `#${f.number} `, mark);
    expect(JSON.stringify(reminder.activity)).toContain('Reminder: follow up with Remindco');
    // A mention entity in the card (msteams.entities, the Entra object id): Teams notifies Ann.
    expect((cardOf(reminder).msteams as { entities: unknown[] }).entities).toEqual([
      { type: 'mention', text: '<at>Ann Rep</at>', mentioned: { id: ann.aadObjectId, name: 'Ann Rep' } },
    ]);
    // No 1:1 chat with Ann was stored: Rapport opens one (createConversation with her id and the tenant).
    const created = await eventually('the 1:1 chat opened with the assignee', async () =>
      recorder.created.find((c) => JSON.stringify(c.parameters.members).includes('aad-ann')),
    );
    expect(created.parameters).toMatchObject({ isGroup: false, tenantId: tenant.id, channelData: { tenant } });
    const copy = await posted(created.conversationId, /Reminder: follow up with Remindco/, mark);
    expect(adaptiveCardProblems(cardOf(copy))).toEqual([]);
    expect(JSON.stringify(cardOf(copy))).toContain('<at>Ann Rep</at>');
    expect(JSON.stringify(cardOf(copy))).toContain(`"rapport":"done ${f.number}"`);
    // The escalation in the channel, and its copy in the same 1:1 chat.
    await posted(team.id, /Overdue follow-up for Remindco/, mark);
    await posted(created.conversationId, /Overdue follow-up for Remindco/, mark);
    // The channel's card stays the follow-up's card.
    const current = await db().followUp.findUniqueOrThrow({ where: { id: f.id } });
    expect(current.messageRef).toContain(`teams:${team.id}|`);

    // Done, clicked in the 1:1 chat by Ann: accepted, the copy shows it done, and the channel card follows.
    const personal = { id: created.conversationId, conversationType: 'personal', tenantId: tenant.id };
    const done = await click(personal, ann, copy, `done ${f.number}`, { tenant });
    expect(done.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.stringify(done.body!.value)).toContain('Marked done by Ann Rep');
    expect((await db().followUp.findUniqueOrThrow({ where: { id: f.id } })).status).toBe('done');
    const cardId = current.messageRef!.split('|')[1];
    await eventually('the channel card updated in place', async () =>
      recorder.calls.find(
        (x) =>
          x.method === 'PUT' && x.activityId === cardId && /Marked done by Ann Rep/.test(JSON.stringify(x.activity)),
      ),
    );
  }, 240_000);

  it('never sends the private copy to an assignee who is not one of ours (a guest): the channel has the reminder', async () => {
    const team = await channel('guest-assignee', ['ann', 'sam']);
    const mark = recorder.calls.length;
    await command(team, ann, 'log "Guestco" "Met at the fair" --new');
    await command(team, ann, 'remind "Guestco" tomorrow 9am send the deck');
    const f = await eventually('the follow-up', () =>
      db().followUp.findFirst({ where: { company: { name: 'Guestco' } } }),
    );
    // A Rep row that names a guest's Teams id (made by hand: Rapport itself never makes a guest a rep).
    const guestRep = await db().rep.create({ data: { name: 'Gus Guest', platformUserIds: ['teams:aad-gus'] } });
    await db().followUp.update({
      where: { id: f.id },
      data: { assigneeRepId: guestRep.id, dueAt: new Date(Date.now() + 300) },
    });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    await posted(team.id, /Reminder: follow up with Guestco/, mark);
    await eventually('the private copy decided', async () =>
      db().delivery.findFirst({ where: { target: 'teams:@aad-gus', status: { in: ['skipped', 'failed'] } } }),
    );
    expect(recorder.calls.slice(mark).filter((x) => x.conversationId.includes('aad-gus'))).toEqual([]);
  }, 240_000);

  /** A customer channel (our rep and the customer's person) linked to `customer`, whose suggestions go to `team`. */
  const customerChannels = async (customer: string) => {
    const shared = await channel(`${customer.toLowerCase()}-shared`, ['ann', 'jo']);
    const team = await channel(`${customer.toLowerCase()}-team`, ['ann', 'sam']);
    await command(team, ann, `log "${customer}" "First contact" --new`);
    await command(shared, ann, `link ${customer}`);
    await command(team, ann, `notify ${customer} here`);
    return { shared, team };
  };

  it("Accept on a suggestion card: the card is updated once, in place, and quotes the customer's message", async () => {
    const { shared, team } = await customerChannels('Acceptco');
    const mark = recorder.calls.length;
    await say(shared, jo, 'Honestly we are considering other options, the sync keeps breaking');
    const suggestion = await posted(team.id, 'Suggested follow-up for Acceptco', mark);
    const f = await eventually('the suggestion recorded on its follow-up', async () =>
      db().followUp.findFirst({
        where: { company: { name: 'Acceptco' }, status: 'suggested', messageRef: { not: null } },
      }),
    );
    const accepted = await click(team.conversation, ann, suggestion, `accept ${f.number}`, team.channelData);
    // The clicker is told; the card itself is replaced once, for everyone, by the pipeline's update.
    expect(accepted.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(String(accepted.body!.value)).toMatch(/accept/i);
    const update = await eventually('the suggestion card updated in place', async () =>
      recorder.calls.find((x) => x.method === 'PUT' && x.activityId === suggestion.answeredId),
    );
    const card = JSON.stringify(cardOf(update));
    expect(card).toContain('considering other options, the sync keeps breaking');
    expect(card).toContain('"title":"Done"');
    expect(adaptiveCardProblems(cardOf(update))).toEqual([]);
    // Every refresh the click caused has run: still one update of that card.
    await eventually('the refresh deliveries settled', async () => {
      const open = await db().delivery.count({
        where: { payload: { path: ['followUpId'], equals: f.id }, status: { notIn: ['sent', 'skipped', 'failed'] } },
      });
      return open === 0;
    });
    expect(recorder.calls.filter((x) => x.method === 'PUT' && x.activityId === suggestion.answeredId)).toHaveLength(1);
  }, 240_000);

  it("a burst of one customer's messages posts three suggestion cards in the team channel and the rest in the first card's reply chain", async () => {
    const { shared, team } = await customerChannels('Burstco');
    const mark = recorder.calls.length;
    const asks = [
      'Can you send a quote for 50 seats by Friday?',
      'Could you send pricing for 20 more licences this week?',
      'Please send an offer for the enterprise plan by Monday',
      'We want to buy 100 seats, can you send the contract?',
      'Can we get a quote for the premium support add-on?',
      'Please send the invoice for the 30 extra seats',
    ];
    for (const text of asks) await say(shared, jo, text);
    const burstco = await db().company.findFirstOrThrow({ where: { name: 'Burstco' } });
    const suggested = await eventually(
      'every suggestion posted',
      async () => {
        const all = await db().followUp.findMany({ where: { companyId: burstco.id, status: 'suggested' } });
        return all.length >= 5 && all.every((f) => f.messageRef) ? all : undefined;
      },
      180_000,
    );
    const cards = recorder.calls
      .slice(mark)
      .filter(
        (x) =>
          x.method === 'POST' &&
          x.conversationId.startsWith(team.id) &&
          /Suggested follow-up for Burstco/.test(JSON.stringify(x.activity)),
      );
    const topLevel = cards.filter((x) => x.conversationId === team.id);
    const replies = cards.filter((x) => x.conversationId !== team.id);
    expect(topLevel).toHaveLength(3);
    expect(replies).toHaveLength(suggested.length - 3);
    // Replies in the first card's reply chain: conversation "<channel>;messageid=<first card's id>".
    expect(new Set(replies.map((x) => x.conversationId))).toEqual(
      new Set([`${team.id};messageid=${topLevel[0].answeredId}`]),
    );
    for (const r of replies) expect(JSON.stringify(cardOf(r))).toMatch(/"title":"Accept"/);
    // Each grouped card is its follow-up's card: a click there is found and updates it in its chain.
    const grouped = suggested.filter((f) => f.messageRef!.includes(';messageid='));
    expect(grouped).toHaveLength(replies.length);
    const reply = replies[0];
    const f = grouped.find((g) => g.messageRef!.endsWith(`|${reply.answeredId}`))!;
    const chain = { ...team.conversation, id: reply.conversationId };
    const dismissed = await click(chain, ann, reply, `dismiss ${f.number}`, team.channelData);
    expect(dismissed.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    await eventually('the grouped card updated in its chain', async () =>
      recorder.calls.find(
        (x) => x.method === 'PUT' && x.activityId === reply.answeredId && x.conversationId === reply.conversationId,
      ),
    );
  }, 300_000);
});
