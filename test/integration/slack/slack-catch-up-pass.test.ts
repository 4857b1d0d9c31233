import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createReadingClient } from '../../../connectors/slack/slack-clients.ts';
import { CATCH_UP_MISSED_DELAY_MS, SlackCatchUpLoop } from '../../../connectors/slack/slack-catch-up-loop.ts';
import { catchUpSlackHistory, type SlackCatchUpDeps } from '../../../connectors/slack/slack-history-catch-up.ts';
import { DeliveryError } from '../../../connectors/chat-connector.ts';
import {
  type MissedMark,
  retryWaitMs,
  SLACK_FAILING_MAX_WAIT_MS,
  SlackMissedMarks,
} from '../../../connectors/slack/slack-missed-marks.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { redisNow } from '../../../src/redis/redis-clock.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { loggerInto } from '../../helpers/test-process.ts';

const LOCK_MS = 1_500;

/**
 * A catch-up pass in one process, on real Redis, PostgreSQL (PGlite) and the Slack Web API client against
 * a recording server. One start's pass over the linked channels at a time per deployment: a pass that
 * outlasts the catch-up lock (hundreds of channels under Slack's rate limits; here one history Slack
 * answers slowly) keeps it, so a process starting meanwhile (a rolling deploy) does not read everything
 * again beside it. A message a read-back could not log is marked alone and read back by itself, less and
 * less often while it keeps failing.
 */
describe('a Slack catch-up pass', () => {
  const slack = new SlackRecorder();
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `{rapport-lock-${randomBytes(4).toString('hex')}}`;
  let t: TestDatabase;
  let deps: SlackCatchUpDeps;
  let apiUrl: string;
  const handed: Array<{ ts?: string; thread?: string; subtype?: string }> = [];
  /** The deleted_ts of each deletion handed. */
  const deletions: string[] = [];
  /** Messages the stub cannot log (as if PostgreSQL refused them, the database not being away). */
  const refusing = new Set<string>();
  /** Messages whose handing waits on a promise (a read-back still at work on them). */
  const holding = new Map<string, Promise<void>>();

  beforeAll(async () => {
    apiUrl = await slack.start();
    t = await createTestDatabase('pglite');
    const company = await t.db.prisma.company.create({
      data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] },
    });
    await t.db.prisma.channelLink.create({
      data: { platform: 'slack', channelRef: 'T1/CACME', companyId: company.id },
    });
    const client = createReadingClient({ token: 'xoxb-test-token', apiUrl });
    deps = {
      db: t.db,
      redis,
      prefix,
      clientFor: async () => client,
      // What is logged is not what these tests are about: what is read back is noted and dropped.
      autoLogger: {
        handle: async (_team, e) => {
          if (e.ts) await holding.get(e.ts);
          handed.push({ ts: e.ts, thread: e.thread_ts, subtype: e.subtype });
          if (e.deleted_ts) deletions.push(e.deleted_ts);
          const ts = e.ts ?? e.deleted_ts;
          if (ts && refusing.has(ts)) throw new Error('refused by the test');
          return { action: 'ignored' } as never;
        },
      },
      marks: new SlackMissedMarks(redis, prefix),
      logger: loggerInto([], 'error'),
      maxDays: 7,
      lockMs: LOCK_MS,
    };
  }, 60_000);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t?.dispose();
    await slack.stop();
  });

  /**
   * The tries a mark (its field) has had and how long until its next, as Redis holds them (of the deployment
   * `of`); none: no wait.
   */
  const laterOf = async (field: string, of = prefix) => {
    const v = await redis.hget(`${of}:slack-missed-later`, field);
    if (!v) return undefined;
    const [tries, due] = v.split(':').map(Number);
    return { tries, waitMs: due! - (await redisNow(redis)) };
  };
  /** Time passes: a mark's next try is due now (the tries it has had stay). */
  const dueNowOf = async (field: string) => {
    const { tries } = (await laterOf(field))!;
    await redis.hset(`${prefix}:slack-missed-later`, field, `${tries}:0`);
  };
  /**
   * A check at a mark's `tries`th try, which fails: Slack's history is read once (`reads` counts the reads of
   * it) and the mark then waits {@link retryWaitMs}; the check after reads nothing and keeps the mark.
   */
  const failsAndWaits = async (field: string, tries: number, reads: () => number, mark: MissedMark, maxMs?: number) => {
    if (tries > 1) await dueNowOf(field);
    const before = reads();
    const pass = await catchUpSlackHistory(deps, { linked: false });
    expect(reads()).toBe(before + 1);
    const next = (await laterOf(field))!;
    expect(next.tries).toBe(tries);
    // Waits its turn (Redis's clock read a moment after it was set).
    expect(next.waitMs).toBeLessThanOrEqual(retryWaitMs(tries, maxMs));
    expect(next.waitMs).toBeGreaterThan(retryWaitMs(tries, maxMs) - 10_000);
    // Not due yet: the next check leaves it alone; its mark stays.
    await catchUpSlackHistory(deps, { linked: false });
    expect(reads()).toBe(before + 1);
    expect(await deps.marks.all()).toContainEqual(mark);
    return pass;
  };

  it('keeps the lock while it outlasts it, and lets it go at its end', async () => {
    slack.history.set('CACME', [{ ts: `${Math.floor(Date.now() / 1000)}.000100`, user: 'UJO', text: 'Hi' }]);
    const slow = slack.holdNext('conversations.history', (body) => body.channel === 'CACME');
    const first = catchUpSlackHistory(deps, { linked: true });
    await slow.arrived;
    // Three times the lock's life later, the first pass is still reading.
    await new Promise((r) => setTimeout(r, 3 * LOCK_MS));
    const beside = await catchUpSlackHistory(deps, { linked: true });
    expect(beside.ran).toBe(false);
    slow.release();
    expect(await first).toMatchObject({ ran: true, channels: 1, read: 1 });
    // Let go at its end: the next pass runs at once.
    expect(await catchUpSlackHistory(deps, { linked: true })).toMatchObject({ ran: true, channels: 1 });
  }, 60_000);

  it('reads a message marked alone by itself, a reply with its thread, and drops the mark of one deleted since', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [before, alone, after] = [`${now - 30}.000001`, `${now - 20}.000002`, `${now - 10}.000003`];
    slack.history.set(
      'CALONE',
      ['Hello', 'Order 4411', 'Thanks'].map((text, i) => ({ ts: [before, alone, after][i]!, user: 'UJO', text })),
    );
    const parent = `${now - 40}.000004`;
    const reply = `${now - 5}.000005`;
    slack.threads.set(`CALONE/${parent}`, [
      { ts: parent, user: 'UJO', text: 'Question' },
      { ts: `${now - 6}.000006`, user: 'UADMIN', text: 'First answer' },
      { ts: reply, user: 'UADMIN', text: 'Second answer' },
    ]);
    const gone = `${now - 1}.000007`;
    for (const m of [
      { teamId: 'T1', channel: 'CALONE', oldest: alone, only: true },
      { teamId: 'T1', channel: 'CALONE', thread: parent, oldest: reply, only: true },
      { teamId: 'T1', channel: 'CALONE', oldest: gone, only: true },
    ])
      await deps.marks.mark(m);
    handed.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, marks: 3, read: 2 });
    expect(handed).toEqual(
      expect.arrayContaining([
        { ts: alone, thread: undefined, subtype: undefined },
        { ts: reply, thread: parent, subtype: undefined },
      ]),
    );
    expect(handed).toHaveLength(2);
    expect(await deps.marks.all()).toEqual([]);
  }, 60_000);

  it('hands the oldest messages of a channel first when more than it hands at once came after the mark', async () => {
    // 5,050 messages since the mark (the bound is 5,000 per channel and catch-up); Slack lists them newest first.
    const start = Math.floor(Date.now() / 1000) - 6_000;
    const written = Array.from({ length: 5_050 }, (_, i) => ({
      ts: `${start + i}.000100`,
      user: 'UJO',
      text: `message ${i}`,
    }));
    slack.history.set('CBUSY', written);
    await deps.marks.mark({ teamId: 'T1', channel: 'CBUSY', oldest: written[0]!.ts });
    handed.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, read: 5_000 });
    expect(handed[0]?.ts).toBe(written[0]!.ts);
    expect(handed.at(-1)?.ts).toBe(written[4_999]!.ts);
    // Read on from the first one not handed at the next catch-up, then the mark goes.
    expect(await deps.marks.all()).toEqual([{ teamId: 'T1', channel: 'CBUSY', oldest: written[5_000]!.ts }]);
    handed.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, read: 50 });
    expect(handed.map((m) => m.ts)).toEqual(written.slice(5_000).map((m) => m.ts));
    expect(await deps.marks.all()).toEqual([]);
  }, 120_000);

  it('reads a thread of more replies than it hands at once on by itself, the channel on from the message after it', async () => {
    const now = Math.floor(Date.now() / 1000) - 3_600;
    const parentTs = `${now}.000000`;
    const replies = Array.from({ length: 5_100 }, (_, i) => ({
      ts: `${now}.${String(i + 1).padStart(6, '0')}`,
      user: 'UJO',
      text: `Reply ${i + 1}`,
    }));
    const parent = {
      ts: parentTs,
      user: 'UJO',
      text: 'Outage thread',
      reply_count: 5_100,
      latest_reply: replies.at(-1)!.ts,
    };
    const after = { ts: `${now + 60}.000001`, user: 'UJO', text: 'Back to normal?' };
    slack.history.set('CTHREAD', [parent, after]);
    slack.threads.set(`CTHREAD/${parentTs}`, [parent, ...replies]);
    await deps.marks.mark({ teamId: 'T1', channel: 'CTHREAD', oldest: parentTs });
    handed.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, read: 5_000 });
    expect(handed.map((m) => m.ts)).toEqual([parentTs, ...replies.slice(0, 4_999).map((r) => r.ts)]);
    // The thread goes on from its last reply handed (the last of the replies fetched: the bound stops the
    // fetch there too; handing it again changes nothing), the channel from the message after the thread.
    const marks = (await deps.marks.all()).filter((m) => m.channel === 'CTHREAD');
    expect(marks).toHaveLength(2);
    expect(marks).toEqual(
      expect.arrayContaining([
        { teamId: 'T1', channel: 'CTHREAD', oldest: after.ts },
        { teamId: 'T1', channel: 'CTHREAD', thread: parentTs, oldest: replies[4_998]!.ts },
      ]),
    );
    handed.length = 0;
    await catchUpSlackHistory(deps, { linked: false });
    expect(handed.map((m) => m.ts)).toEqual(
      expect.arrayContaining([after.ts, ...replies.slice(4_998).map((r) => r.ts)]),
    );
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ channel: 'CTHREAD' }));
  }, 120_000);

  it('tries a message marked alone that keeps failing less and less often, and forgets its tries once logged', async () => {
    const bad = `${Math.floor(Date.now() / 1000) - 60}.000008`;
    slack.history.set('CLATER', [{ ts: bad, user: 'UJO', text: 'Order 4412' }]);
    const field = `T1/CLATER!${bad}`;
    const mark = { teamId: 'T1', channel: 'CLATER', oldest: bad, only: true };
    const readsOfBad = () =>
      slack.callsTo('conversations.history').filter((c) => c.body.channel === 'CLATER' && c.body.latest === bad).length;
    refusing.add(bad);
    try {
      await deps.marks.mark(mark);
      for (let tries = 1; tries <= 6; tries++)
        expect(await failsAndWaits(field, tries, readsOfBad, mark)).toMatchObject({ ran: true, refused: 1 });
    } finally {
      refusing.delete(bad);
    }
    // Once it can be logged, its next try does; its mark and its tries go.
    await dueNowOf(field);
    handed.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, refused: 0 });
    expect(handed).toContainEqual({ ts: bad, thread: undefined, subtype: undefined });
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ channel: 'CLATER' }));
    expect(await laterOf(field)).toBeUndefined();
  }, 60_000);

  it('puts a message marked alone off by its next step when a read of its channel earlier in the same pass marked it again', async () => {
    // A deployment of its own: this pass reads these two marks alone, in the order they were made.
    const own = `${prefix}-again`;
    const marks = new SlackMissedMarks(redis, own);
    const now = Math.floor(Date.now() / 1000);
    const [before, bad] = [`${now - 90}.000051`, `${now - 60}.000052`];
    slack.history.set('CAGAIN', [
      { ts: before, user: 'UJO', text: 'Hello' },
      { ts: bad, user: 'UJO', text: 'Order 4414' },
    ]);
    const alone = { teamId: 'T1', channel: 'CAGAIN', oldest: bad, only: true };
    const field = `T1/CAGAIN!${bad}`;
    refusing.add(bad);
    try {
      // A miss in the channel before that message (read first in the pass), and the message marked alone
      // at its fourth try, due now.
      await marks.mark({ teamId: 'T1', channel: 'CAGAIN', oldest: before });
      await marks.mark(alone);
      await redis.hset(`${own}:slack-missed-later`, field, '3:0');
      // The channel's read cannot log it either (marked alone again: the pass's own miss, not a new one),
      // then its own read fails.
      expect(await catchUpSlackHistory({ ...deps, prefix: own, marks }, { linked: false })).toMatchObject({
        ran: true,
        marks: 2,
        refused: 2,
      });
      // Its fourth failed try: it waits its step (on the code before, nothing was put off: tried again at
      // the next check, a step of its backoff lost).
      const next = await laterOf(field, own);
      expect(next?.tries).toBe(4);
      expect(next?.waitMs).toBeGreaterThan(retryWaitMs(4) - 10_000);
      expect(await marks.due()).toEqual([]);
      expect(await marks.all()).toEqual([alone]);
    } finally {
      refusing.delete(bad);
    }
  }, 60_000);

  it('applies a deletion marked as itself without reading a history, however old, putting it off while it fails', async () => {
    // Older than the window (SLACK_CATCHUP_DAYS 7): a deletion is applied all the same.
    const gone = `${Math.floor(Date.now() / 1000) - 30 * 86_400}.000021`;
    const mark = { teamId: 'T1', channel: 'CGONE', oldest: gone, only: true, deleted: true };
    const field = `deleted!T1/CGONE!${gone}`;
    const reads = () => slack.calls.filter((c) => c.body.channel === 'CGONE').length;
    refusing.add(gone);
    try {
      await deps.marks.mark(mark);
      deletions.length = 0;
      // It cannot be applied (not the database being away): put off as a message marked alone.
      expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, refused: 1 });
      expect(deletions).toEqual([gone]);
      expect((await laterOf(field))?.tries).toBe(1);
      expect(await deps.marks.all()).toContainEqual(mark);
    } finally {
      refusing.delete(gone);
    }
    await dueNowOf(field);
    deletions.length = 0;
    expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true, refused: 0 });
    expect(deletions).toEqual([gone]);
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ channel: 'CGONE' }));
    expect(await laterOf(field)).toBeUndefined();
    // Slack was never asked about it: a history cannot say what was deleted.
    expect(reads()).toBe(0);
  }, 60_000);

  it('tries a place whose history Slack keeps failing to show less and less often, at least every five minutes, and a new miss there at once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [first, second] = [`${now - 90}.000012`, `${now - 30}.000013`];
    slack.history.set('CFAIL', [
      { ts: first, user: 'UJO', text: 'Where is my order?' },
      { ts: second, user: 'UJO', text: 'Hello?' },
    ]);
    const place = { teamId: 'T1', channel: 'CFAIL', oldest: first };
    const field = 'T1/CFAIL';
    const readsOfPlace = () => slack.callsTo('conversations.history').filter((c) => c.body.channel === 'CFAIL').length;
    // Slack answers that history with an error for now (an incident on its side), every other one as usual.
    let failing = true;
    for (let i = 0; i < 20; i++)
      slack.failNext(
        'conversations.history',
        { error: 'internal_error' },
        (body) => failing && body.channel === 'CFAIL',
      );
    await deps.marks.mark(place);
    // Three tries at the next checks, then 1, 2, 4 minutes, and never more than five while it lasts.
    for (let tries = 1; tries <= 8; tries++)
      await failsAndWaits(field, tries, readsOfPlace, place, SLACK_FAILING_MAX_WAIT_MS);
    expect((await laterOf(field))!.waitMs).toBeGreaterThan(SLACK_FAILING_MAX_WAIT_MS - 10_000);
    // Slack shows it again, and a new message there could not be logged from its event: read at the next
    // check, not after the five minutes the place waits.
    failing = false;
    const loop = new SlackCatchUpLoop(deps);
    await loop.missed('T1', { type: 'message', channel: 'CFAIL', user: 'UJO', text: 'Hello?', ts: second });
    await loop.stop();
    expect(await laterOf(field)).toBeUndefined();
    handed.length = 0;
    await catchUpSlackHistory(deps, { linked: false });
    expect(handed.map((m) => m.ts)).toEqual(expect.arrayContaining([first, second]));
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ channel: 'CFAIL' }));
    expect(await laterOf(field)).toBeUndefined();
  }, 60_000);

  it('keeps the mark of a place where a message was missed while it was being read back', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [first, second] = [`${now - 60}.000021`, `${now - 5}.000022`];
    slack.history.set('CMEAN', [{ ts: first, user: 'UJO', text: 'Is the quote ready?' }]);
    const place = { teamId: 'T1', channel: 'CMEAN', oldest: first };
    await deps.marks.mark(place);
    let release!: () => void;
    holding.set(first, new Promise<void>((r) => (release = r)));
    handed.length = 0;
    const pass = catchUpSlackHistory(deps, { linked: false });
    await vi.waitFor(() =>
      expect(slack.callsTo('conversations.history').some((c) => c.body.channel === 'CMEAN')).toBe(true),
    );
    // The history is fetched; while it is being handed on, a new message there cannot be logged from its
    // event, in another process: it is marked there (a later ts than the mark being read back).
    slack.history.set('CMEAN', [
      { ts: first, user: 'UJO', text: 'Is the quote ready?' },
      { ts: second, user: 'UJO', text: 'We need it today' },
    ]);
    await new SlackMissedMarks(redis, prefix).mark({ teamId: 'T1', channel: 'CMEAN', oldest: second });
    release();
    holding.delete(first);
    await pass;
    expect(handed.map((m) => m.ts)).toEqual([first]);
    // The mark stays for the next check, which reads the place again and hands the new message.
    expect(await deps.marks.all()).toContainEqual(place);
    handed.length = 0;
    await catchUpSlackHistory(deps, { linked: false });
    expect(handed.map((m) => m.ts)).toContain(second);
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ channel: 'CMEAN' }));
  }, 60_000);

  it('reads a miss back as soon as the pass running at its moment ends, not at the next check', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [first, second] = [`${now - 20}.000031`, `${now - 10}.000032`];
    slack.history.set('CSLOW', [{ ts: first, user: 'UJO', text: 'Any update on the quote?' }]);
    slack.history.set('CWAKE', [{ ts: second, user: 'UJO', text: 'Call me back' }]);
    let release!: () => void;
    holding.set(first, new Promise<void>((r) => (release = r)));
    const loop = new SlackCatchUpLoop(deps);
    try {
      loop.start();
      handed.length = 0;
      // A miss, read back 5 s later by a pass that takes its time over it.
      await loop.missed('T1', { type: 'message', channel: 'CSLOW', user: 'UJO', text: 'Any update?', ts: first });
      await vi.waitFor(
        () => expect(slack.callsTo('conversations.history').some((c) => c.body.channel === 'CSLOW')).toBe(true),
        { timeout: CATCH_UP_MISSED_DELAY_MS + 5_000 },
      );
      // Another miss meanwhile: its moment (5 s on) comes while that pass is still at work.
      await loop.missed('T1', { type: 'message', channel: 'CWAKE', user: 'UJO', text: 'Call me back', ts: second });
      await new Promise((r) => setTimeout(r, CATCH_UP_MISSED_DELAY_MS + 500));
      expect(handed.map((m) => m.ts)).not.toContain(second);
      release();
      holding.delete(first);
      // Read right after that pass ends (on the code before, at the next check, 30 s later).
      await vi.waitFor(() => expect(handed.map((m) => m.ts)).toEqual(expect.arrayContaining([first, second])), {
        timeout: 5_000,
      });
    } finally {
      release();
      holding.delete(first);
      await loop.stop();
    }
  }, 60_000);

  it('drops the marks of a workspace Rapport is no longer installed in, without asking again', async () => {
    const gone = { teamId: 'TGONE', channel: 'CGONE', oldest: `${Math.floor(Date.now() / 1000) - 30}.000031` };
    const uninstalled: SlackCatchUpDeps = {
      ...deps,
      clientFor: async (teamId) => {
        if (teamId === 'TGONE')
          throw new DeliveryError('auth', `Rapport is not installed in Slack workspace ${teamId}.`);
        return deps.clientFor(teamId);
      },
    };
    await deps.marks.mark(gone);
    expect(await catchUpSlackHistory(uninstalled, { linked: false })).toMatchObject({ ran: true, failed: 1 });
    expect(await deps.marks.all()).not.toContainEqual(expect.objectContaining({ teamId: 'TGONE' }));
    expect(await redis.hget(`${prefix}:slack-missed-later`, 'TGONE/CGONE')).toBeNull();
  }, 60_000);

  it('gives up on a history read Slack leaves hanging, and tries it again later', async () => {
    const stuck = { teamId: 'T1', channel: 'CHANG', oldest: `${Math.floor(Date.now() / 1000) - 30}.000041` };
    slack.history.set('CHANG', [{ ts: stuck.oldest, user: 'UJO', text: 'Hello?' }]);
    const hanging = [0, 1, 2].map(() => slack.holdNext('conversations.history', (body) => body.channel === 'CHANG'));
    const client = createReadingClient({ token: 'xoxb-test-token', apiUrl, timeoutMs: 300 });
    try {
      await deps.marks.mark(stuck);
      const report = await catchUpSlackHistory({ ...deps, clientFor: async () => client }, { linked: false });
      expect(report).toMatchObject({ ran: true, failed: 1 });
      expect(await deps.marks.all()).toContainEqual(stuck);
      // Slack failing to answer: the place waits before it is tried again.
      expect(await laterOf('T1/CHANG')).toMatchObject({ tries: 1 });
    } finally {
      for (const h of hanging) h.release();
    }
    handed.length = 0;
    await dueNowOf('T1/CHANG');
    await catchUpSlackHistory(deps, { linked: false });
    expect(handed.map((m) => m.ts)).toContain(stuck.oldest);
  }, 60_000);

  it('drops the mark of a place older than the window once read, marking alone what it could not log', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [ok, bad] = [`${now - 120}.000009`, `${now - 60}.000010`];
    slack.history.set('COLD', [
      { ts: ok, user: 'UJO', text: 'Hello again' },
      { ts: bad, user: 'UJO', text: 'Order 4413' },
    ]);
    // Marked eight days ago (the window is seven): read back from the window's start.
    const old = `${now - 8 * 86_400}.000011`;
    await deps.marks.mark({ teamId: 'T1', channel: 'COLD', oldest: old });
    refusing.add(bad);
    try {
      handed.length = 0;
      expect(await catchUpSlackHistory(deps, { linked: false })).toMatchObject({ ran: true });
      // (Other cases' marks may be read in the same pass.)
      expect(handed.map((m) => m.ts).filter((ts) => ts === ok || ts === bad)).toEqual([ok, bad]);
      expect((await deps.marks.all()).filter((m) => m.channel === 'COLD')).toEqual([
        { teamId: 'T1', channel: 'COLD', oldest: bad, only: true },
      ]);
    } finally {
      refusing.delete(bad);
      await deps.marks.clear({ teamId: 'T1', channel: 'COLD', oldest: bad, only: true });
    }
  }, 60_000);
});
