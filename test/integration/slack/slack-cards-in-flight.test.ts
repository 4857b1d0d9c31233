import { slackWorkspace } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where every customer's cards go
const tsOf = (n: number) => `1763930000.${String(n).padStart(6, '0')}`;

/**
 * Cards follow the data even while a card is on its way to Slack: the data changes after the card was
 * rendered and before its post is recorded (Slack slow to answer chat.postMessage), so the change finds
 * no posted card to update. Each test has its own customer, channel and guest (order-independent).
 */
describe('Slack: a card posted while its data changes', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  const logLines: string[] = [];
  let seq = 0;

  const { command, message: event } = slackWorkspace(() => ({ url: proc.url, slack }), TEAM, DEFAULT);
  /** A customer with its own channel and guest, linked; answers the guest's user id and the channel. */
  const customer = async (name: string) => {
    const slug = name.toLowerCase();
    const channel = `C${name.toUpperCase()}`;
    const guest = `U${name.toUpperCase()}GUEST`;
    slack.users.set(guest, { is_restricted: true, profile: { display_name: 'guest', email: `jo@${slug}.example` } });
    slack.channelMembers.set(channel, ['UBOT', 'UREP', guest]);
    await proc.runtime.db.prisma.company.create({
      data: { name, normalizedName: slug, domains: [`${slug}.example`] },
    });
    expect(String((await command(channel, 'UREP', `link ${slug}`)).body.text)).toMatch(/now linked to/);
    return { channel, guest };
  };
  const cardIn = (ts: string): RecordedMessage | undefined =>
    slack.messages.find((m) => m.channel === DEFAULT && m.ts === ts);
  const postOfCard = (quote: RegExp) => (body: Record<string, unknown>) =>
    body.channel === DEFAULT && quote.test(JSON.stringify(body.blocks ?? ''));

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`, LOG_LEVEL: 'info' },
      name: 'slack-cards-in-flight',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP', 'UADMIN']);
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  it('forget while the suggestion card is being posted: the card is updated to the erased text once Slack answers', async () => {
    const { channel, guest } = await customer('Initech');
    const held = slack.holdNext('chat.postMessage', postOfCard(/printer/));
    await event({
      channel,
      user: guest,
      ts: tsOf(++seq),
      text: 'The printer broke again, we are unhappy and want a refund',
    });
    await held.arrived;

    const ask = await command(DEFAULT, 'UADMIN', 'forget initech');
    const confirm = /forget \\?"?Initech\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await proc.runtime.db.prisma.company.count({ where: { name: 'Initech' } })).toBe(0);
    held.release();

    const posted = await eventually('the card posted', async () =>
      slack.messages.find((m) => m.channel === DEFAULT && /printer/.test(JSON.stringify(m.blocks))),
    );
    await eventually('the card updated to the erased text', async () => {
      const now = cardIn(posted.ts);
      return now?.edited && /Erased/.test(now.text ?? '') ? now : undefined;
    });
    expect(JSON.stringify(slack.messages.filter((m) => m.channel === DEFAULT))).not.toMatch(/printer|refund|Initech/);
  }, 90_000);

  it('the message edited while its suggestion card is being posted: the card is updated to Dismissed once Slack answers', async () => {
    const { channel, guest } = await customer('Globex');
    const ts = tsOf(++seq);
    const held = slack.holdNext('chat.postMessage', postOfCard(/invoice/));
    await event({ channel, user: guest, ts, text: 'Our invoice total is wrong again, this is unacceptable, fix it' });
    await held.arrived;

    const edited = 'Our invoice total is fine now, thanks for the quick help';
    await event({
      subtype: 'message_changed',
      hidden: true,
      channel,
      ts: tsOf(++seq),
      message: { type: 'message', user: guest, text: edited, ts, edited: { user: guest, ts: String(Number(ts) + 60) } },
      previous_message: { type: 'message', user: guest, text: 'x', ts },
    });
    // The edit has dismissed the suggestion made from the old words (its card was not posted yet).
    await eventually('the suggestion dismissed', async () =>
      (await proc.runtime.db.prisma.followUp.count({ where: { company: { name: 'Globex' }, status: 'dismissed' } })) > 0
        ? true
        : undefined,
    );
    held.release();

    const posted = await eventually('the card posted', async () =>
      slack.messages.find((m) => m.channel === DEFAULT && /invoice total is wrong/.test(JSON.stringify(m.blocks))),
    );
    const now = await eventually('the card updated to Dismissed', async () => {
      const card = cardIn(posted.ts);
      return card?.edited && /Dismissed/.test(JSON.stringify(card)) ? card : undefined;
    });
    expect(JSON.stringify(now.blocks)).not.toMatch(/"Accept"/);
  }, 90_000);

  it('a message edited twice: its accepted card shows the second edit (each change refreshes it)', async () => {
    const { channel, guest } = await customer('Umbrella');
    const ts = tsOf(++seq);
    await event({ channel, user: guest, ts, text: 'The umbrella sync crashed twice today, we are unhappy' });
    const card = await eventually(
      'the suggestion card',
      async () => slack.messages.find((m) => m.channel === DEFAULT && /umbrella sync/.test(JSON.stringify(m.blocks))),
      30_000,
    );
    const followUp = await eventually('the card recorded on its follow-up', async () =>
      proc.runtime.db.prisma.followUp.findFirst({ where: { messageRef: { endsWith: `|${card.ts}` } } }),
    );
    await command(DEFAULT, 'UREP', `accept ${followUp.number}`);
    await eventually('the card accepted', async () => !/"Accept"/.test(JSON.stringify(cardIn(card.ts)?.blocks)));

    for (const [n, words] of [
      [1, 'The umbrella sync crashed three times today'],
      [2, 'The umbrella sync crashed four times today'],
    ] as const) {
      await event({
        subtype: 'message_changed',
        hidden: true,
        channel,
        ts: tsOf(++seq),
        message: { type: 'message', user: guest, text: words, ts, edited: { user: guest, ts: String(Number(ts) + n) } },
        previous_message: { type: 'message', user: guest, text: 'x', ts },
      });
      await eventually(
        `the card quoting edit ${n}`,
        async () => JSON.stringify(cardIn(card.ts)?.blocks).includes(words) || undefined,
        30_000,
      );
    }
  }, 90_000);
});
