import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SlackCatchUpLoop } from '../../../connectors/slack/slack-catch-up-loop.ts';
import { catchUpSlackHistory } from '../../../connectors/slack/slack-history-catch-up.ts';
import { type MissedMark, retryWaitMs, SlackMissedMarks } from '../../../connectors/slack/slack-missed-marks.ts';
import {
  ORPHANED_TMP_MS,
  SlackMissedSpool,
  slackMissedSpoolDir,
} from '../../../connectors/slack/slack-missed-spool.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { freePort } from '../../../src/net/free-port.ts';
import { startPrivateRedis } from '../../../src/redis/private-redis-server.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The release before this one (commit 7f32965, connectors/slack/slack-missed-marks.ts): its `markOf`, as it
 * was. Its successor (6e35e28) reads a field's place the same way.
 */
function previousMarkOf(field: string, oldest: string): MissedMark | undefined {
  const [place = '', only] = field.split('!');
  const [teamId, channel, thread] = place.split('/');
  if (!teamId || !channel || !/^\d+(\.\d+)?$/.test(oldest)) return undefined;
  return { teamId, channel, ...(thread ? { thread } : {}), oldest, ...(only ? { only: true } : {}) };
}

/**
 * What a process of the release before (7f32965; 6e35e28 alike) running beside this one (a rolling deploy)
 * reads back from Redis: its `all()` reads every field of the marks hash and skips one `markOf` cannot read
 * (left in Redis as it is; its clear, move on and defer act only on the marks it returned).
 */
async function previousReleaseAll(redis: Redis, deployment: string): Promise<MissedMark[]> {
  return Object.entries(await redis.hgetall(`${deployment}:slack-missed`)).flatMap(
    ([field, oldest]) => previousMarkOf(field, oldest) ?? [],
  );
}

/**
 * What a process of the release before (7f32965; 6e35e28 alike: the same connectors/slack/slack-missed-spool.ts)
 * takes from the spool once Redis is back: every ".json" and ".taken" file (and a ".json.tmp" a minute old),
 * deleted once its marks that `markOf` reads are in Redis; one it cannot read is dropped with its file.
 * Here: the entries of the files it takes (and deletes).
 */
function previousReleaseTakes(spoolDir: string): Array<[string, string]> {
  const taken: Array<[string, string]> = [];
  for (const name of readdirSync(spoolDir)) {
    if (!name.endsWith('.json') && !name.endsWith('.taken') && !name.endsWith('.json.tmp')) continue;
    taken.push(...Object.entries(JSON.parse(readFileSync(join(spoolDir, name), 'utf8')) as Record<string, string>));
    unlinkSync(join(spoolDir, name));
  }
  return taken;
}

/** The marks of missed Slack messages, on a real Redis: one per place, the earliest ts wins, cleared only as read. */
describe('marks of Slack messages to read back', () => {
  const prefix = `{rapport-marks-${randomBytes(4).toString('hex')}}`;
  const redis = connectRedis(REDIS_URL);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /**
   * A catch-up pass over a deployment's marks, neither the database nor Slack asked (a deletion is applied
   * without a history, through the auto-logger, here a stub that can refuse): the deletions handed.
   */
  const applyDeletions = async (deployment: string, marks: SlackMissedMarks, refuse = false) => {
    const handed: string[] = [];
    const report = await catchUpSlackHistory(
      {
        db: undefined as never,
        redis,
        prefix: deployment,
        clientFor: undefined as never,
        autoLogger: {
          handle: async (_team, e) => {
            if (e.deleted_ts) handed.push(e.deleted_ts);
            if (refuse) throw new Error('refused by the test');
            return { action: 'ignored' } as never;
          },
        },
        marks,
        logger: loggerInto([], 'error'),
        maxDays: 7,
      },
      { linked: false },
    );
    expect(report).toMatchObject({ ran: true, failed: 0 });
    return handed;
  };
  /** What a deployment's three hashes hold: marks, counts of misses, tries. */
  const hashesOf = async (deployment: string) => ({
    marks: await redis.hgetall(`${deployment}:slack-missed`),
    misses: await redis.hgetall(`${deployment}:slack-missed-misses`),
    later: await redis.hgetall(`${deployment}:slack-missed-later`),
  });

  it('writes a deletion mark as one the releases before pass over, not as a message marked alone, and applies it', async () => {
    const deployment = `${prefix}-rolling`;
    const deletion = { teamId: 'T10', channel: 'C10', oldest: '1700000400.000400', only: true, deleted: true };
    const place = { teamId: 'T10', channel: 'C11', oldest: '1700000500.000500' };
    const events = new SlackMissedMarks(redis, deployment);
    await events.mark(deletion);
    await events.mark(place);
    // A process of the release before beside this one reads the place, and passes the deletion over: read
    // as a message marked alone (its form before), it found it gone from the history and dropped the mark,
    // and the deletion was never applied.
    expect(await previousReleaseAll(redis, deployment)).toEqual([place]);
    const marks = new SlackMissedMarks(redis, deployment);
    const read = await marks.all();
    expect(read).toHaveLength(2);
    expect(read).toEqual(expect.arrayContaining([deletion, place]));
    await marks.clear(read.find((m) => m.channel === 'C11')!);
    // This release applies it, and its mark and counts go.
    expect(await applyDeletions(deployment, marks)).toEqual([deletion.oldest]);
    expect(await hashesOf(deployment)).toEqual({ marks: {}, misses: {}, later: {} });
  });

  it('applies a deletion marked in the form of the release before this one, putting it off under that mark while it fails', async () => {
    const deployment = `${prefix}-legacy`;
    const legacy = 'T10/C12!1700000600.000600!deleted';
    // As that release's MARK wrote it: a count of misses, and the ts.
    await redis.hincrby(`${deployment}:slack-missed-misses`, legacy, 1);
    await redis.hset(`${deployment}:slack-missed`, legacy, '1700000600.000600');
    const marks = new SlackMissedMarks(redis, deployment);
    expect(await marks.all()).toEqual([
      { teamId: 'T10', channel: 'C12', oldest: '1700000600.000600', only: true, deleted: true },
    ]);
    expect(await applyDeletions(deployment, marks, true)).toEqual(['1700000600.000600']);
    expect((await hashesOf(deployment)).later).toEqual({ [legacy]: expect.stringMatching(/^1:\d+$/) });
    expect(await marks.due()).toEqual([]);
    // Due again: applied, and that mark goes with its counts.
    await redis.hset(`${deployment}:slack-missed-later`, legacy, '1:0');
    expect(await applyDeletions(deployment, marks)).toEqual(['1700000600.000600']);
    expect(await hashesOf(deployment)).toEqual({ marks: {}, misses: {}, later: {} });
  });

  it('keeps a deletion marked while Redis is away in a spool file the releases before do not take', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-spool-'));
    const deployment = `${prefix}-spooled-deletion`;
    const spoolDir = slackMissedSpoolDir(dir, deployment);
    const away = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    away.on('error', () => {});
    try {
      const deletion = { teamId: 'T11', channel: 'C11', oldest: '1700000700.000700', only: true, deleted: true };
      const place = { teamId: 'T11', channel: 'C12', oldest: '1700000800.000800' };
      const dying = new SlackMissedMarks(away, deployment, new SlackMissedSpool(spoolDir));
      expect(await dying.mark(deletion)).toBe('disk');
      expect(await dying.mark(place)).toBe('disk');
      // Redis back, a process of the release before takes the spool first: the place's mark alone (it
      // would have dropped the deletion's, or read it as a message marked alone, and deleted its file).
      expect(previousReleaseTakes(spoolDir)).toEqual([['T11/C12', place.oldest]]);
      // This release's next check writes the deletion to Redis, in the form the releases before pass over.
      expect(await new SlackMissedMarks(redis, deployment, new SlackMissedSpool(spoolDir)).any()).toBe(true);
      expect(await new SlackMissedMarks(redis, deployment).all()).toEqual([deletion]);
      expect(await previousReleaseAll(redis, deployment)).toEqual([]);
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      away.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts off a failed try of a mark its pass marked again itself since it was read, not of one another miss came to', async () => {
    const deployment = `${prefix}-own`;
    const marks = new SlackMissedMarks(redis, deployment);
    const events = new SlackMissedMarks(redis, deployment);
    const thread = { teamId: 'T12', channel: 'C12', thread: '1690000000.000001', oldest: '1700000000.000010' };
    const alone = { teamId: 'T12', channel: 'C12', oldest: '1700000000.000020', only: true };
    await events.mark(thread);
    await events.mark(alone);
    // A pass reads both, marks them again itself (the bound cut the thread further on in a read of its
    // channel; that read could not log the message either), then fails to read them: both put off.
    let read = await marks.due();
    await marks.mark({ ...thread, oldest: '1700000000.000090' }, read);
    await marks.mark(alone, read);
    for (const m of read) expect(await marks.defer(m)).toEqual({ tries: 1, waitMs: retryWaitMs(1) });
    expect(await marks.due()).toEqual([]);
    // A new miss from an event there too, before or after the pass's own: not put off, read at the next check.
    await redis.del(`${deployment}:slack-missed-later`);
    read = await marks.due();
    await events.mark(thread);
    await marks.mark(thread, read);
    await marks.mark(alone, read);
    await events.mark(alone);
    for (const m of read) expect(await marks.defer(m)).toBeUndefined();
    expect(await marks.due()).toHaveLength(2);
    // Read to its end, a mark the pass marked again itself since (no further back) goes.
    read = await marks.due();
    await marks.mark({ ...thread, oldest: '1700000000.000090' }, read);
    for (const m of read) await marks.clear(m);
    expect(await hashesOf(deployment)).toEqual({ marks: {}, misses: {}, later: {} });
  });

  it('keeps the earliest miss per channel or thread, shared by the processes of a deployment', async () => {
    const one = new SlackMissedMarks(redis, prefix);
    const other = new SlackMissedMarks(redis, prefix);
    expect(await other.any()).toBe(false);
    expect(await one.mark({ teamId: 'T1', channel: 'C1', oldest: '1700000100.000100' })).toBe('redis');
    await one.mark({ teamId: 'T1', channel: 'C1', oldest: '1700000050.000100' });
    await one.mark({ teamId: 'T1', channel: 'C1', oldest: '1700000200.000100' });
    await one.mark({ teamId: 'T1', channel: 'C1', thread: '1690000000.000001', oldest: '1700000300.000100' });
    expect(await other.any()).toBe(true);
    const all = await other.all();
    expect(all).toHaveLength(2);
    expect(all).toContainEqual({ teamId: 'T1', channel: 'C1', oldest: '1700000050.000100' });
    expect(all).toContainEqual({
      teamId: 'T1',
      channel: 'C1',
      thread: '1690000000.000001',
      oldest: '1700000300.000100',
    });
  });

  it('keeps a mark of one message apart from the mark of its place', async () => {
    const marks = new SlackMissedMarks(redis, `${prefix}-only`);
    const place = { teamId: 'T5', channel: 'C5', oldest: '1700000100.000100' };
    const one = { teamId: 'T5', channel: 'C5', oldest: '1700000050.000100', only: true };
    const reply = { teamId: 'T5', channel: 'C5', thread: '1690000000.000001', oldest: '1700000060.000100', only: true };
    await marks.mark(place);
    await marks.mark(one);
    await marks.mark(reply);
    const all = await new SlackMissedMarks(redis, `${prefix}-only`).all();
    expect(all).toHaveLength(3);
    expect(all).toEqual(expect.arrayContaining([place, one, reply]));
    await marks.clear(one);
    expect(await new SlackMissedMarks(redis, `${prefix}-only`).all()).toEqual(expect.arrayContaining([place, reply]));
    expect(await new SlackMissedMarks(redis, `${prefix}-only`).all()).toHaveLength(2);
  });

  it('moves a mark read back in part on in one step, never past a miss that came since', async () => {
    const deployment = `${prefix}-move`;
    const one = new SlackMissedMarks(redis, deployment);
    const other = new SlackMissedMarks(redis, deployment);
    const inRedis = () => redis.hget(`${deployment}:slack-missed`, 'T5/C5');
    await other.mark({ teamId: 'T5', channel: 'C5', oldest: '1700000000.000010' });
    // Read back from its mark up to the bound: the mark moves on to the first message not handed.
    let [read] = await one.all();
    await one.moveOn(read!, '1700000000.000030');
    expect(await inRedis()).toBe('1700000000.000030');
    // A miss there after the read began (later than the mark): the mark stays where it was read from.
    [read] = await one.all();
    await other.mark({ teamId: 'T5', channel: 'C5', oldest: '1700000000.000040' });
    await one.moveOn(read!, '1700000000.000050');
    expect(await inRedis()).toBe('1700000000.000030');
    // A place read from elsewhere than its mark (a start's pass from the newest logged message), the mark
    // further on: the lower of the two stays.
    [read] = await one.all();
    await one.clear(read!);
    await other.mark({ teamId: 'T5', channel: 'C5', oldest: '1700000000.000090' });
    await one.moveOn({ teamId: 'T5', channel: 'C5', oldest: '1700000000.000060' }, '1700000000.000070');
    expect(await inRedis()).toBe('1700000000.000070');
  });

  it('reads a new miss soon even when it lands while a failed try is being put off', async () => {
    const deployment = `${prefix}-defer`;
    const place = { teamId: 'T6', channel: 'C6', oldest: '1700000000.000010' };
    const catchUp = new SlackMissedMarks(redis, deployment);
    await catchUp.mark(place);
    // Slack kept failing to show the place: ten tries, the next one minutes away.
    for (let tries = 1; tries <= 10; tries++)
      expect(await catchUp.defer(place)).toEqual({ tries, waitMs: retryWaitMs(tries) });
    expect(await catchUp.defer({ ...place, channel: 'C7' }, 60_000)).toEqual({ tries: 1, waitMs: 30_000 });
    expect(await catchUp.due()).toEqual([]);
    // The eleventh failure is being put off when a new miss there comes from another process (its mark,
    // then retryNow): let that land right after the catch-up's first command to Redis, as it can.
    const events = new SlackMissedMarks(redis, deployment);
    let armed = true;
    const racing = new Proxy(redis, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function' || (key !== 'hget' && key !== 'eval')) return value;
        return async (...args: unknown[]) => {
          const answer = await value.apply(target, args);
          if (armed) {
            armed = false;
            await events.mark(place);
            await events.retryNow(place);
          }
          return answer;
        };
      },
    });
    expect(await new SlackMissedMarks(racing, deployment).defer(place)).toMatchObject({ tries: 11 });
    expect(armed).toBe(false);
    expect(await catchUp.due()).toEqual([place]);
    // A new miss (its mark, then retryNow) after the catch-up read the mark and before it puts a failed try
    // off: nothing is put off, the miss is read at the next check.
    const [read] = await catchUp.due();
    await events.mark(place);
    await events.retryNow(place);
    expect(await catchUp.defer(read!)).toBeUndefined();
    expect(await catchUp.due()).toEqual([place]);
    // No miss since it was read: put off as before.
    const [again] = await catchUp.due();
    expect(await catchUp.defer(again!)).toEqual({ tries: 1, waitMs: retryWaitMs(1) });
    expect(await catchUp.due()).toEqual([]);
  });

  it('clears a mark only when no earlier miss came after it was read', async () => {
    const marks = new SlackMissedMarks(redis, prefix);
    const read = { teamId: 'T2', channel: 'C2', oldest: '1700000100.000000' };
    await marks.mark(read);
    // While it was read back, a message further back was missed there too.
    await new SlackMissedMarks(redis, prefix).mark({ ...read, oldest: '1700000010.000000' });
    await marks.clear(read);
    expect((await marks.all()).filter((m) => m.channel === 'C2')).toEqual([{ ...read, oldest: '1700000010.000000' }]);
    await marks.clear({ ...read, oldest: '1700000010.000000' });
    expect((await marks.all()).filter((m) => m.channel === 'C2')).toEqual([]);
  });

  it('remembers a miss in the process while Redis is away', async () => {
    // Nothing listens on port 1; commands fail at once instead of waiting for a connection.
    const away = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const marks = new SlackMissedMarks(away, `${prefix}-away`);
    const mark = { teamId: 'T3', channel: 'C3', oldest: '1700000000.000001' };
    expect(await marks.mark(mark)).toBe('process');
    expect(await marks.any()).toBe(true);
    expect(await marks.all()).toEqual([mark]);
    away.disconnect();
  });

  it('writes a miss marked while Redis was away to Redis once it is back, for the other processes', async () => {
    // A Redis of its own (a redis-server process), stopped and started again where its clients expect it.
    const dir = mkdtempSync(join(tmpdir(), 'rapport-marks-'));
    const port = await freePort();
    let server = await startPrivateRedis(dir, { port });
    const client = connectRedis(server.url);
    client.on('error', () => {});
    const other = connectRedis(server.url);
    other.on('error', () => {});
    try {
      const marks = new SlackMissedMarks(client, prefix);
      const missed = { teamId: 'T7', channel: 'C7', oldest: '1700000000.000007' };
      const readMeanwhile = { teamId: 'T7', channel: 'C8', oldest: '1700000000.000008' };
      await server.stop();
      expect(await marks.mark(missed)).toBe('process');
      expect(await marks.mark(readMeanwhile)).toBe('process');
      // This process read one back before Redis came back (its clear cannot reach Redis).
      await marks.clear(readMeanwhile).catch(() => undefined);
      server = await startPrivateRedis(dir, { port });
      // The process's next check writes what Redis does not have; another process then reads it back.
      expect(await marks.any()).toBe(true);
      expect(await new SlackMissedMarks(other, prefix).all()).toEqual([missed]);
    } finally {
      client.disconnect();
      other.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps a miss marked while Redis is away on disk, for the next process of the data dir to write to Redis', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-spool-'));
    const spoolDir = slackMissedSpoolDir(dir, prefix);
    const port = await freePort();
    let server = await startPrivateRedis(dir, { port });
    const clients = [
      connectRedis(server.url),
      connectRedis(server.url),
      connectRedis(server.url),
      connectRedis(server.url),
    ];
    for (const c of clients) c.on('error', () => {});
    const [dying, next, other, elsewhere] = clients;
    try {
      const missed = { teamId: 'T8', channel: 'C8', oldest: '1700000000.000008' };
      const readMeanwhile = { teamId: 'T8', channel: 'C9', oldest: '1700000000.000009' };
      const alone = { teamId: 'T8', channel: 'C8', oldest: '1700000000.000010', only: true };
      await server.stop();
      const marks = new SlackMissedMarks(dying, prefix, new SlackMissedSpool(spoolDir));
      expect(await marks.mark(missed)).toBe('disk');
      expect(await marks.mark(readMeanwhile)).toBe('disk');
      expect(await marks.mark(alone)).toBe('disk');
      // This process reads one back before Redis comes back (its clear cannot reach Redis), then is killed.
      await marks.clear(readMeanwhile).catch(() => undefined);
      dying.disconnect();
      // A file the disk mangled (or a process killed mid-write left) is passed over, not fatal.
      writeFileSync(join(spoolDir, 'mangled.json'), '{"T8/C1": ');
      server = await startPrivateRedis(dir, { port });
      // A process of another deployment (its own prefix and database) sharing the data dir takes none of them.
      const another = `${prefix}-another`;
      expect(
        await new SlackMissedMarks(elsewhere, another, new SlackMissedSpool(slackMissedSpoolDir(dir, another))).any(),
      ).toBe(false);
      // The next process of the data dir (it never saw the miss) writes the spooled marks to Redis at its first check.
      expect(await new SlackMissedMarks(next, prefix, new SlackMissedSpool(spoolDir)).any()).toBe(true);
      const inRedis = await new SlackMissedMarks(other, prefix).all();
      expect(inRedis).toHaveLength(2);
      expect(inRedis).toEqual(expect.arrayContaining([missed, alone]));
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      for (const c of clients) c.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('takes the file a process was killed writing once it is old enough, not one still being written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-spool-'));
    const deployment = `${prefix}-orphan`;
    const spoolDir = slackMissedSpoolDir(dir, deployment);
    mkdirSync(spoolDir, { recursive: true });
    const orphaned = { teamId: 'T7', channel: 'C7', oldest: '1700000000.000007' };
    const inTheMaking = { teamId: 'T7', channel: 'C6', oldest: '1700000000.000006' };
    try {
      // A process killed between writing its file's temporary copy and renaming it over its file: the copy
      // holds the newest mark, and nothing else on disk does.
      const left = join(spoolDir, 'killed.json.tmp');
      writeFileSync(left, JSON.stringify({ 'T7/C7': orphaned.oldest }));
      const then = new Date(Date.now() - ORPHANED_TMP_MS - 5_000);
      utimesSync(left, then, then);
      // A live process's copy, written this moment (it renames it itself).
      const writing = join(spoolDir, 'live.json.tmp');
      writeFileSync(writing, JSON.stringify({ 'T7/C6': inTheMaking.oldest }));
      expect(await new SlackMissedMarks(redis, deployment, new SlackMissedSpool(spoolDir)).any()).toBe(true);
      expect(await new SlackMissedMarks(redis, deployment).all()).toEqual([orphaned]);
      expect(readdirSync(spoolDir)).toEqual(['live.json.tmp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps on disk a miss noted while the marks made with Redis away are being written to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-spool-'));
    const deployment = `${prefix}-flapping`;
    // Redis flapping: some writes fail, one is slow (a real Redis behind a connection that drops calls).
    let failNext = 0;
    let slow: Promise<void> | undefined;
    const flapping = new Proxy(redis, {
      get(target, p, receiver) {
        if (p !== 'eval') return Reflect.get(target, p, receiver);
        return async (...args: Parameters<Redis['eval']>) => {
          if (failNext > 0) {
            failNext--;
            throw new Error('Connection is closed.');
          }
          const wait = slow;
          slow = undefined;
          await wait;
          return target.eval(...args);
        };
      },
    });
    try {
      const marks = new SlackMissedMarks(
        flapping,
        deployment,
        new SlackMissedSpool(slackMissedSpoolDir(dir, deployment)),
      );
      const later = { teamId: 'T6', channel: 'C6', oldest: '1700000000.000060' };
      const further = { teamId: 'T6', channel: 'C6', oldest: '1700000000.000050' };
      failNext = 1;
      expect(await marks.mark(later)).toBe('disk');
      // Redis answers again: the next check writes the mark to it, slowly; meanwhile a miss further back in
      // the same place cannot reach Redis and is kept on disk.
      let arrive!: () => void;
      slow = new Promise<void>((r) => (arrive = r));
      const check = marks.any();
      failNext = 1;
      expect(await marks.mark(further)).toBe('disk');
      arrive();
      await check;
      // The miss further back is not dropped from the disk by the write of the one before it: it reaches Redis.
      expect(await redis.hget(`${deployment}:slack-missed`, 'T6/C6')).toBe(further.oldest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a miss in the process when Redis is away and the disk refuses too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-spool-'));
    // The spool's directory cannot be made: a file has its name.
    writeFileSync(join(dir, 'slack-missed'), '');
    const away = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    away.on('error', () => {});
    try {
      const marks = new SlackMissedMarks(away, `${prefix}-refused`, new SlackMissedSpool(join(dir, 'slack-missed')));
      const mark = { teamId: 'T9', channel: 'C9', oldest: '1700000000.000001' };
      expect(await marks.mark(mark)).toBe('process');
      expect(await marks.all()).toEqual([mark]);
    } finally {
      away.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks an edit whose write failed at the message it changes, a reply at its thread, a deletion as itself', async () => {
    const marks = new SlackMissedMarks(redis, `${prefix}-events`);
    const loop = new SlackCatchUpLoop({
      db: undefined as never,
      redis,
      prefix: `${prefix}-events`,
      clientFor: undefined as never,
      autoLogger: undefined as never,
      marks,
      logger: loggerInto([], 'error'),
      maxDays: 7,
    });
    // message_changed as Slack sends it: its own ts is when the edit was made.
    await loop.missed('T4', {
      type: 'message',
      subtype: 'message_changed',
      channel: 'C4',
      ts: '1700000900.000200',
      event_ts: '1700000900.000200',
      message: { type: 'message', channel: 'C4', user: 'UJO', text: 'new words', ts: '1700000100.000100' },
    });
    await loop.missed('T4', {
      type: 'message',
      channel: 'C5',
      user: 'UJO',
      text: 'a reply',
      ts: '1700000300.000300',
      thread_ts: '1690000000.000001',
    });
    // A deletion cannot be read back from a history: it is marked as itself, to be applied again.
    await loop.missed('T4', {
      type: 'message',
      subtype: 'message_deleted',
      channel: 'C6',
      deleted_ts: '1700000400.000400',
      ts: '1700000950.000500',
    });
    expect(await marks.all()).toEqual([
      { teamId: 'T4', channel: 'C4', oldest: '1700000100.000100' },
      { teamId: 'T4', channel: 'C5', thread: '1690000000.000001', oldest: '1700000300.000300' },
      { teamId: 'T4', channel: 'C6', oldest: '1700000400.000400', only: true, deleted: true },
    ]);
    // Kept apart from a mark of the same message to read back (a failed write of it before it was deleted).
    await marks.mark({ teamId: 'T4', channel: 'C6', oldest: '1700000400.000400', only: true });
    expect(await new SlackMissedMarks(redis, `${prefix}-events`).all()).toHaveLength(4);
  });
});
