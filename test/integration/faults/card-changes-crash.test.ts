import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { spawnedSlackBots, type SpawnedSlackBots } from '../../helpers/spawned-slack-bot.ts';
import type { Database } from '../../../src/db/database.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where the suggestion cards go
const COMPLAINT = 'The export crashes every morning, we are unhappy and want a refund';
const EDITED = 'The export works again since the update, thanks for the quick help';

/**
 * A customer edits the message a suggestion card was made from, or a rep corrects the conversation's
 * label (the suggestion is dismissed) or accepts the suggestion: its card is refreshed. The bot process is SIGKILLed
 * while it writes that refresh down, held there by another session's lock on the Delivery table (the
 * statement then never runs, as one that never left a killed process). Whatever it had done must be
 * whole after a restart: the change with its dismissal and refresh, or none of them. Before, the change
 * and the dismissal committed first and the refresh after: killed in between, the card kept Accept on a
 * dismissed suggestion (and the old words), for good. Each test has its own customer, channel and guest.
 */
describe('a bot killed while a card follows a change', () => {
  let bots: SpawnedSlackBots;
  let slack: SlackRecorder;
  let db: Database;

  let seq = 0;
  const post = async (event: Record<string, unknown>) => {
    const res = await bots.event(event);
    expect(res.status).toBe(200);
  };
  const cardIn = (ts: string): RecordedMessage | undefined =>
    slack.messages.find((m) => m.channel === DEFAULT && m.ts === ts);

  beforeAll(async () => {
    bots = await spawnedSlackBots('card-crash', {
      teamId: TEAM,
      defaultChannel: DEFAULT,
      // The periodic reconcile is an hour away: nothing but the restart's own run drives lost work.
      env: { RAPPORT_RECONCILE_SECONDS: '3600' },
    });
    ({ slack, db } = bots);
    slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
    slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
  }, 120_000);
  afterAll(async () => {
    await bots?.dispose();
  });

  let running: SpawnedRapport | undefined;
  /** The bot, started if no test has started it yet (or the last one killed it). */
  const bot = async (): Promise<SpawnedRapport> => {
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) running = await bots.start();
    return running;
  };
  const crm = async (channel: string, text: string) => {
    const res = await bots.command(channel, 'UADMIN', text);
    expect(res.status).toBe(200);
  };
  /** A customer with its own linked channel and guest, whose complaint got a suggestion card in the team channel. */
  const customerWithCard = async (name: string) => {
    await bot();
    const slug = name.toLowerCase();
    const channel = `C${name.toUpperCase()}`;
    const guest = `U${name.toUpperCase()}GUEST`;
    slack.users.set(guest, { is_restricted: true, profile: { display_name: 'jo', email: `jo@${slug}.example` } });
    slack.channelMembers.set(channel, ['UBOT', 'UADMIN', guest]);
    const company = await db.prisma.company.create({
      data: { name, normalizedName: slug, domains: [`${slug}.example`] },
    });
    await crm(channel, `link ${slug}`);
    await eventually(
      'the channel linked',
      () => db.prisma.channelLink.findFirst({ where: { platform: 'slack', companyId: company.id } }),
      60_000,
    );
    const ts = `1763950000.${String(++seq).padStart(6, '0')}`;
    await post({ type: 'message', channel, user: guest, ts, text: COMPLAINT });
    const message = await eventually('the complaint logged', () =>
      db.prisma.message.findUnique({ where: { externalId: `slack:${TEAM}/${channel}/${ts}` } }),
    );
    const card = await eventually(
      'the suggestion card in the team channel',
      async () => slack.messages.find((m) => m.channel === DEFAULT && JSON.stringify(m.blocks).includes(name)),
      90_000,
    );
    expect(JSON.stringify(card.blocks)).toMatch(/"Accept"/);
    // Nothing else is on its way: every delivery so far is recorded as sent.
    await eventually('the deliveries recorded as sent', async () =>
      (await db.prisma.delivery.count({ where: { status: { not: 'sent' } } })) === 0 ? true : undefined,
    );
    return { company, channel, guest, ts, message, card };
  };
  /**
   * Runs `act` while another session holds a write lock on the Delivery table, SIGKILLs the bot once it
   * waits on that lock (its write of the card change) and ends the waiting statement (as one that never
   * left a killed process), then starts the bot again.
   */
  const killedWhileWritingCardChange = async (act: () => Promise<void>) => {
    const victim = await bot();
    await killAtHeldWrite({
      databaseUrl: bots.databaseUrl,
      table: 'Delivery',
      what: 'the bot waiting on its write of the card change',
      act,
      kill: async () => {
        victim.child.kill('SIGKILL');
        await victim.exited;
      },
    });
    await bot();
  };
  /** The card shows Dismissed (refreshed in place) and offers Accept no more. */
  const dismissedCard = async (card: RecordedMessage) => {
    const now = await eventually(
      'the card refreshed to Dismissed',
      async () => {
        const c = cardIn(card.ts);
        return c?.edited && /Dismissed/.test(JSON.stringify(c)) ? c : undefined;
      },
      60_000,
    );
    expect(JSON.stringify(now.blocks)).not.toMatch(/"Accept"/);
  };
  const suggestionOf = (companyId: string) => db.prisma.followUp.findFirstOrThrow({ where: { companyId } });

  it('killed as it writes the refresh of an edit down: after a restart the edit, its dismissal and the card are whole, or none of them happened', async () => {
    const { company, channel, guest, ts, card } = await customerWithCard('Acme');
    await killedWhileWritingCardChange(() =>
      post({
        type: 'message',
        subtype: 'message_changed',
        hidden: true,
        channel,
        ts: `1763950000.${String(++seq).padStart(6, '0')}`,
        message: { type: 'message', user: guest, text: EDITED, ts, edited: { user: guest, ts: '1763950060.000000' } },
        previous_message: { type: 'message', user: guest, text: COMPLAINT, ts },
      }),
    );
    const message = await db.prisma.message.findUniqueOrThrow({
      where: { externalId: `slack:${TEAM}/${channel}/${ts}` },
    });
    const suggestion = await suggestionOf(company.id);
    if (message.text === EDITED) {
      // The edit committed: its suggestion is dismissed, and the card says so.
      expect(suggestion.status).toBe('dismissed');
      await dismissedCard(card);
    } else {
      // None of it committed: the suggestion still waits and its card still offers it, as it was.
      expect(message.text).toBe(COMPLAINT);
      expect(suggestion.status).toBe('suggested');
      expect(JSON.stringify(cardIn(card.ts)?.blocks)).toMatch(/"Accept"/);
    }
  }, 300_000);

  it("killed as it writes the refresh of a rep's label correction down: the new label, the dismissal of the suggestion made for the old one and the card are whole, or none of them happened", async () => {
    const { company, message, card } = await customerWithCard('Globex');
    const classification = await eventually('the complaint classified', () =>
      db.prisma.classification.findFirst({ where: { recordId: message.recordId } }),
    );
    const to = classification.label === 'feedback' ? 'need' : 'feedback';
    await killedWhileWritingCardChange(() => crm(DEFAULT, `label ${message.recordId} ${to}`));
    const now = await db.prisma.classification.findUniqueOrThrow({ where: { id: classification.id } });
    const suggestion = await suggestionOf(company.id);
    if (now.correctedLabel === to) {
      expect(suggestion.status).toBe('dismissed');
      await dismissedCard(card);
    } else {
      expect(now.correctedLabel).toBeNull();
      expect(suggestion.status).toBe('suggested');
      expect(JSON.stringify(cardIn(card.ts)?.blocks)).toMatch(/"Accept"/);
    }
  }, 300_000);

  it('killed as it writes the refresh of an Accept down: the accepted follow-up and its card are whole, or neither changed', async () => {
    const { company, card } = await customerWithCard('Initech');
    const suggestion = await suggestionOf(company.id);
    await killedWhileWritingCardChange(() => crm(DEFAULT, `accept ${suggestion.number}`));
    const now = await suggestionOf(company.id);
    if (now.status === 'open') {
      const shown = await eventually(
        'the card refreshed to the accepted follow-up',
        async () => {
          const c = cardIn(card.ts);
          return c?.edited && !/"Accept"/.test(JSON.stringify(c.blocks)) ? c : undefined;
        },
        60_000,
      );
      expect(JSON.stringify(shown.blocks)).toMatch(/"Done"/);
    } else {
      expect(now.status).toBe('suggested');
      expect(JSON.stringify(cardIn(card.ts)?.blocks)).toMatch(/"Accept"/);
    }
  }, 300_000);
});
