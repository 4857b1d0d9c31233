import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const LINKED = 'CACME'; // an internal channel linked to Acme, with a guest from Acme in it
const DEFAULT = 'CTEAM';
const tsOf = (n: number) => `1763910000.${String(n).padStart(6, '0')}`;

/**
 * Issue 14, "who is who": when users.info fails for the author of a message in a linked channel,
 * Slack does not say whether they are our rep or the customer's guest. The message is held as
 * `unknown` (nobody's contact, not classified, no card) and decided once a lookup succeeds: by the
 * retry, or by the author's next message.
 */
describe('Slack: a failed users.info never makes anyone the customer (or a rep)', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let seq = 0;
  let acmeId: string;

  const post = (body: string, contentType: string) => postSignedToSlackEvents(proc.url, SECRET, body, contentType);
  const say = async (user: string, text: string): Promise<string> => {
    const ts = tsOf(++seq);
    const res = await post(
      eventCallbackBody(
        TEAM,
        { type: 'message', channel_type: 'channel', channel: LINKED, user, team: TEAM, ts, text },
        `Ev${++seq}`,
      ),
      'application/json',
    );
    expect(res.status).toBe(200);
    return ts;
  };
  const messageAt = (ts: string) =>
    proc.runtime.db.prisma.message.findUnique({
      where: { externalId: `slack:${TEAM}/${LINKED}/${ts}` },
      include: { record: true },
    });

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`, LOG_LEVEL: 'info' },
      name: 'slack-held-author',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        // Never ran a command nor listed as members: their first users.info is the message's.
        slack.users.set('UNOTE', { profile: { display_name: 'bob', email: 'bob@ours.example' } });
        slack.users.set('UJO', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
        slack.channelMembers.set(LINKED, ['UBOT', 'UREP']);
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP']);
      },
      acme: { domains: ['acme.example'] },
    });
    slack = bot.slack;
    proc = bot.test.proc;
    acmeId = bot.acmeId!;
    await slackSlashCommand(
      { url: proc.url, slack },
      { teamId: TEAM, channelId: LINKED, userId: 'UREP', text: 'link acme' },
    );
    await eventually('the channel linked', () =>
      proc.runtime.db.prisma.channelLink.findFirst({ where: { platform: 'slack', companyId: acmeId } }),
    );
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  it("our rep's internal note while users.info fails: held unknown (no contact, no card), then decided outbound by the retry", async () => {
    const db = proc.runtime.db;
    // The other test may have run first (tests shuffle in CI): counts are compared with their start.
    const contactsBefore = await db.prisma.contact.count({ where: { companyId: acmeId } });
    const followUpsBefore = await db.prisma.followUp.count({ where: { companyId: acmeId } });
    slack.failingUsers.add('UNOTE');
    const ts = await say('UNOTE', 'Pricing approved by my manager, we can offer 10% off. They may leave otherwise.');
    const held = await eventually('the message held', () => messageAt(ts));
    expect(held).toMatchObject({ direction: 'unknown', contactId: null, record: { companyId: acmeId } });
    expect((held.metadata as { heldBecause?: string }).heldBecause).toMatch(/users\.info failed/);
    expect(await db.prisma.contact.count({ where: { companyId: acmeId } })).toBe(contactsBefore);
    expect(held.record.loggedByRepId).toBeNull();
    expect(await db.prisma.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/UNOTE` } } })).toBe(0);

    slack.failingUsers.delete('UNOTE');
    const decided = await eventually(
      'the held message decided by the retried users.info',
      async () => {
        const m = await messageAt(ts);
        return m?.direction !== 'unknown' ? m : undefined;
      },
      40_000,
    );
    expect(decided).toMatchObject({ direction: 'outbound', contactId: null });
    expect((decided!.metadata as { heldBecause?: string }).heldBecause).toBeUndefined();
    const rep = await db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: `slack:${TEAM}/UNOTE` } } });
    expect(decided!.record.loggedByRepId).toBe(rep.id);
    expect(await db.prisma.contact.count({ where: { companyId: acmeId } })).toBe(contactsBefore);
    // Never classified as the customer's words: no suggestion quoting the rep anywhere.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(slack.messages.filter((m) => JSON.stringify(m).includes('10% off'))).toHaveLength(0);
    expect(await db.prisma.followUp.count({ where: { companyId: acmeId } })).toBe(followUpsBefore);
  }, 60_000);

  it("the customer's guest while users.info fails: held, then their next message (lookup succeeds) decides both inbound and they are classified", async () => {
    const db = proc.runtime.db;
    slack.failingUsers.add('UJO');
    const first = await say('UJO', 'The dashboard keeps crashing, we are really unhappy and considering other options');
    expect(await eventually('the guest message held', () => messageAt(first))).toMatchObject({
      direction: 'unknown',
      contactId: null,
    });
    expect(await db.prisma.contact.count({ where: { companyId: acmeId } })).toBe(0);

    slack.failingUsers.delete('UJO');
    const second = await say('UJO', 'Please call us back today.');
    const decided = await eventually('the held message decided inbound', async () => {
      const m = await messageAt(first);
      return m?.direction === 'inbound' ? m : undefined;
    });
    const next = await eventually('the next message logged', () => messageAt(second));
    expect(next.direction).toBe('inbound');
    const contact = await db.prisma.contact.findFirstOrThrow({ where: { companyId: acmeId } });
    expect(decided.contactId).toBe(contact.id);
    expect(next.contactId).toBe(contact.id);
    // Decided as the customer's words: classified now, the card goes to the team channel.
    const suggestion = await eventually(
      'the suggestion quoting the decided message',
      async () =>
        slack.messages.find((m) => m.channel === DEFAULT && /dashboard keeps crashing/.test(JSON.stringify(m.blocks))),
      30_000,
    );
    expect(suggestion.text).toMatch(/Suggested follow-up/);
    expect(slack.messages.filter((m) => m.channel === LINKED && /Suggested follow-up/.test(m.text ?? ''))).toHaveLength(
      0,
    );
  }, 60_000);
});
