import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DailyDigestData } from '../../../jobs/job-data.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { TeamsRecorder, type RecordedCall, type RecordedMember } from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };
const gus = { id: '29:gus', name: 'Gus Guest', aadObjectId: 'aad-gus' };
const jo = { id: '29:jo', name: 'Jo Customer', aadObjectId: 'aad-jo' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
  sam: { ...sam, email: 'sam@ours.example', tenantId: tenant.id, userRole: 'user' },
  gus: { ...gus, email: 'gus@initech.example', tenantId: tenant.id, userRole: 'guest' },
  jo: { ...jo, email: 'jo@initech.example', tenantId: 'tenant-initech', userRole: 'user' },
};
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };
const TAKEN_BACK = 'Taken back: this channel is now shared with people outside the company.';

/**
 * A team channel (internal) holds a customer's reminder and the daily digest; then a guest, or a member
 * of the customer's tenant, is added (conversationUpdate with membersAdded, as botbuilder's
 * TeamsActivityHandler receives it: channelData.eventType teamMemberAdded). Each card is updated in
 * place (PUT .../activities/{id}) to one neutral line. On the code before, the conversationUpdate only
 * dropped the cached roster: the cards stayed as posted.
 */
describe('Teams: a channel that gets a guest or another tenant’s member gets back nothing Rapport posted there', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  let queues: PipelineQueues;
  let redis: ReturnType<typeof connectRedis>;
  const db = () => rapport.proc.runtime.db.prisma;

  const channel = (name: string, who: Array<keyof typeof MEMBERS>) =>
    rapport.addedToChannel(
      name,
      tenant,
      who.map((w) => MEMBERS[w]),
    );
  type Channel = Awaited<ReturnType<typeof channel>>;
  const command = (c: Channel, text: string) =>
    rapport.say(c, ann, `<at>Rapport</at> ${text}`, { entities: [mention] });
  const cardIn = (c: Channel, title: string, after: number) =>
    eventually(
      `"${title}" posted in ${c.id}`,
      async () =>
        recorder.calls
          .slice(after)
          .find((x) => x.method === 'POST' && x.conversationId === c.id && JSON.stringify(x.activity).includes(title)),
      90_000,
    );
  const updateOf = (card: RecordedCall) =>
    eventually(
      `the update of ${card.answeredId}`,
      async () => recorder.calls.find((x) => x.method === 'PUT' && x.activityId === card.answeredId),
      30_000,
    );
  /** Every card Rapport posted in the channel or its reply chains (the pipeline's, answers, the welcome card). */
  const postsIn = (c: Channel) =>
    recorder.calls.filter(
      (x) =>
        x.method === 'POST' &&
        x.conversationId.split(';')[0] === c.id &&
        Array.isArray(x.activity.attachments) &&
        x.activity.attachments.length > 0,
    );
  /** A customer of its own, its team channel, and a reminder and the digest posted there. */
  const teamChannelWithCards = async (name: string) => {
    await db().company.create({
      data: { name, normalizedName: normalizeCompanyName(name), domains: [`${name.toLowerCase()}.example`] },
    });
    const team = await channel(`${name.toLowerCase()}-team`, ['ann', 'sam']);
    expect((await command(team, `notify ${name} here`)).status).toBe(200);
    let mark = recorder.calls.length;
    await command(team, `remind ${name} in 1 minute send the renewal quote`);
    const f = await db().followUp.findFirstOrThrow({
      where: { company: { name }, title: { contains: 'renewal quote' } },
    });
    await db().followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await rapport.proc.runtime.hooks.followUpChanged(f.id);
    const reminder = await cardIn(team, `Reminder: follow up with ${name}`, mark);
    mark = recorder.calls.length;
    const digestJob: DailyDigestData = { target: `teams:${team.id}`, timezone: 'UTC' };
    await queues[QueueName.DailyDigest].add('digest', digestJob);
    const digest = await cardIn(team, 'Daily digest', mark);
    expect(JSON.stringify(digest.activity)).toContain(name);
    return { team, cards: [reminder, digest], followUpId: f.id };
  };
  const memberAdded = (c: Channel, who: { id: string; name?: string; aadObjectId?: string }) =>
    rapport.send(
      rapport.activity(c.conversation, {
        type: 'conversationUpdate',
        membersAdded: [who],
        channelData: { ...c.channelData, eventType: 'teamMemberAdded' },
      }),
    );

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
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

  it.each([
    ['a guest', 'Initech', 'gus'],
    ["a member of the customer's tenant", 'Vandelay', 'jo'],
  ] as const)(
    '%s added: the reminder and the digest are updated to the neutral line',
    async (_, name, who) => {
      const { team, cards, followUpId } = await teamChannelWithCards(name);
      recorder.setMembers(team.id, [MEMBERS.ann, MEMBERS.sam, MEMBERS[who]]);
      expect(
        (
          await memberAdded(team, {
            id: MEMBERS[who].id,
            name: MEMBERS[who].name,
            aadObjectId: MEMBERS[who].aadObjectId,
          })
        ).status,
      ).toBe(200);
      for (const card of cards) {
        const update = await updateOf(card);
        const shown = JSON.stringify(update.activity);
        expect(shown).toContain(TAKEN_BACK);
        expect(shown).not.toMatch(new RegExp(`${name}|renewal|quote|Daily digest|Action\\.Execute`));
      }
      // So is every other message Rapport posted there: the welcome card and the answers to notify and remind.
      expect(postsIn(team).length).toBeGreaterThan(cards.length);
      for (const posted of postsIn(team))
        expect(JSON.stringify((await updateOf(posted)).activity)).toContain(TAKEN_BACK);
      expect(await db().teamChannel.count({ where: { channelRef: team.id } })).toBe(0);
      // Nothing puts a card back: a change to the follow-up updates nothing there.
      const mark = recorder.calls.length;
      await db().followUp.update({ where: { id: followUpId }, data: { title: 'send the quote today' } });
      await rapport.proc.runtime.hooks.followUpChanged(followUpId);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(recorder.calls.slice(mark).filter((x) => x.conversationId.split(';')[0] === team.id)).toHaveLength(0);
    },
    150_000,
  );

  // On the code before, an answer shown in the channel was recorded nowhere: the guest scrolled back to it.
  it('a lookup answered in an internal channel, then a guest added: the answer is updated to the neutral line', async () => {
    await db().company.create({
      data: { name: 'Globex', normalizedName: normalizeCompanyName('Globex'), domains: ['globex.example'] },
    });
    const team = await channel('globex-desk', ['ann', 'sam']);
    const mark = recorder.calls.length;
    const asked = await command(team, 'lookup globex');
    expect(asked.status).toBe(200);
    // Answered in the channel (its roster is ours only), in the question's reply chain.
    const answer = recorder.calls
      .slice(mark)
      .find((x) => x.method === 'POST' && x.conversationId === `${team.id};messageid=${asked.id}`);
    expect(JSON.stringify(answer?.activity)).toMatch(/Globex/);

    recorder.setMembers(team.id, [MEMBERS.ann, MEMBERS.sam, MEMBERS.gus]);
    expect((await memberAdded(team, gus)).status).toBe(200);
    const update = await updateOf(answer!);
    expect(update.conversationId).toBe(answer!.conversationId);
    const shown = JSON.stringify(update.activity);
    expect(shown).toContain(TAKEN_BACK);
    expect(shown).not.toMatch(/Globex|globex\.example|Action\.Execute/);
  }, 150_000);

  it('one of ours added: nothing is taken back', async () => {
    const { team, cards } = await teamChannelWithCards('Hooli');
    recorder.setMembers(team.id, [MEMBERS.ann, MEMBERS.sam]);
    const mark = recorder.calls.length;
    expect((await memberAdded(team, sam)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(recorder.calls.slice(mark).filter((x) => x.method === 'PUT')).toHaveLength(0);
    expect(cards).toHaveLength(2);
    expect(await db().teamChannel.count({ where: { channelRef: team.id } })).toBe(1);
  }, 150_000);
});
