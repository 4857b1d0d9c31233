import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_DELAY_MAX_MS,
  ACCOUNT_FREE_FAILURES,
  accountDelayMs,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_DEVICE,
  MAX_FAILURES_PER_PAIR,
  SIGN_IN_WINDOW_MS,
  type SignInCheck,
  SignInThrottle,
} from '../../../connectors/console/sign-in-throttle.ts';

// The rules in this process's memory (no Redis), on a clock the test moves. The same rules kept in a
// real Redis and shared by two consoles: test/integration/console/console-sign-in-throttle.test.ts.
describe('SignInThrottle (in this process)', () => {
  function throttleAt(start = 1_000_000) {
    const clock = { now: start };
    return { clock, throttle: new SignInThrottle({ now: () => clock.now }) };
  }

  /** One wrong password (it must be allowed). */
  async function wrong(throttle: SignInThrottle, account: string, address: string): Promise<void> {
    const check = await throttle.check(account, address);
    expect(check.allowed, `${account} from ${address} refused`).toBe(true);
  }

  const refusal = (check: SignInCheck) =>
    check.allowed ? undefined : { reason: check.reason, wait: check.retryAfter };

  /** A try made once the account's delay is over (the clock moved on by each wait it is told). */
  async function pastDelay(
    clock: { now: number },
    throttle: SignInThrottle,
    account: string,
    address: string,
  ): Promise<SignInCheck> {
    for (;;) {
      const check = await throttle.check(account, address);
      if (check.allowed || check.reason !== 'account') return check;
      clock.now += check.retryAfter * 1000;
    }
  }

  it('locks one account from one address after 5 wrong passwords for 15 minutes; the same account from another address is not locked', async () => {
    const { clock, throttle } = throttleAt();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) await wrong(throttle, 'Jo', '10.0.0.1');
    clock.now += 60_000;
    // Case and spaces do not make another account.
    expect(refusal(await throttle.check(' jo ', '10.0.0.1'))).toEqual({
      reason: 'pair',
      wait: (SIGN_IN_WINDOW_MS - 60_000) / 1000,
    });
    // The owner elsewhere: the account's delay after 5 wrong passwords (1 s) is long over.
    const owner = await throttle.check('jo', '10.0.0.2');
    expect(owner.allowed).toBe(true);
    if (owner.allowed) await owner.succeeded();
    clock.now += SIGN_IN_WINDOW_MS - 60_000;
    expect((await throttle.check('jo', '10.0.0.1')).allowed).toBe(true);
  });

  it('slows one account tried from many addresses with a doubling delay capped at 60 s, never a 15-minute lock', async () => {
    const { clock, throttle } = throttleAt();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES - 1; i++) await wrong(throttle, 'ann', `10.1.0.${i}`);
    // Below the threshold: no delay at all.
    await wrong(throttle, 'ann', '10.1.0.99');
    // From the 5th wrong password on: 1 s, 2 s, 4 s, … 60 s, for every address (the owner's too).
    const waits: number[] = [];
    for (let n = ACCOUNT_FREE_FAILURES; n < ACCOUNT_FREE_FAILURES + 9; n++) {
      const refused = refusal(await throttle.check('ann', '10.1.1.1'));
      expect(refused?.reason).toBe('account');
      waits.push(refused?.wait ?? 0);
      clock.now += (refused?.wait ?? 0) * 1000;
      await wrong(throttle, 'ann', `10.1.2.${n}`);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(accountDelayMs(100)).toBe(ACCOUNT_DELAY_MAX_MS);
    expect(accountDelayMs(ACCOUNT_FREE_FAILURES - 1)).toBe(0);
    // The owner without a device cookie, once the delay is over, gets in and ends the running delay.
    clock.now += ACCOUNT_DELAY_MAX_MS;
    const owner = await throttle.check('ann', '10.1.1.1');
    expect(owner.allowed).toBe(true);
    if (owner.allowed) await owner.succeeded();
    expect((await throttle.check('ann', '10.1.3.1')).allowed).toBe(true);
    // Another account is never slowed by Ann's.
    expect((await throttle.check('bob', '10.1.1.1')).allowed).toBe(true);
  });

  it('locks an address after 20 wrong passwords for any names; a right password does not reset it', async () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS - 1; i++) await wrong(throttle, `name${i}`, '192.0.2.1');
    // A guesser who knows one password: the right one gives back only its own try.
    const known = await throttle.check('known', '192.0.2.1');
    expect(known.allowed).toBe(true);
    if (known.allowed) await known.succeeded();
    await wrong(throttle, 'name-last', '192.0.2.1');
    expect(refusal(await throttle.check('someone-new', '192.0.2.1'))).toEqual({
      reason: 'address',
      wait: SIGN_IN_WINDOW_MS / 1000,
    });
    expect(refusal(await throttle.check('known', '192.0.2.1'))?.reason).toBe('address');
    expect((await throttle.check('someone-new', '192.0.2.2')).allowed).toBe(true);
  });

  // One IPv6 host holds a whole /64: counted per address, moving to a new address of its own reset the
  // guesser's pair and address counts (5 addresses of a /64 got 5 tries each).
  it('counts an IPv6 client by its /64: wrong passwords from many addresses of one /64 lock the pair and the address like one address; the next /64 is apart', async () => {
    const { clock, throttle } = throttleAt();
    for (let i = 1; i <= MAX_FAILURES_PER_PAIR; i++) await wrong(throttle, 'ivy', `2001:db8:6:a0::${i}`);
    // Another address of that /64, in another spelling: the pair's 15-minute lock, not the account's 1 s delay.
    expect(refusal(await throttle.check('ivy', '2001:DB8:6:A0:9:8:7:6'))).toEqual({
      reason: 'pair',
      wait: SIGN_IN_WINDOW_MS / 1000,
    });
    // The neighbouring /64 (the last bit of the prefix differs) is another client: only the delay.
    expect(refusal(await throttle.check('ivy', '2001:db8:6:a1::1'))?.reason).toBe('account');
    clock.now += ACCOUNT_DELAY_MAX_MS;
    expect((await throttle.check('ivy', '2001:db8:6:a1::1')).allowed).toBe(true);
    // Any names from one /64: 20 wrong passwords (5 already) lock every address in it.
    for (let i = MAX_FAILURES_PER_PAIR; i < MAX_FAILURES_PER_ADDRESS; i++)
      await wrong(throttle, `name${i}`, `2001:db8:6:a0:${i.toString(16)}::1`);
    expect(refusal(await throttle.check('someone-new', '2001:db8:6:a0:ffff::1'))?.reason).toBe('address');
    expect((await throttle.check('someone-new', '2001:db8:6:a1:ffff::1')).allowed).toBe(true);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const { throttle } = throttleAt();
    const spellings = ['203.0.113.5', '::ffff:203.0.113.5', '::FFFF:CB00:7105'];
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) await wrong(throttle, 'jay', spellings[i % spellings.length]);
    for (const address of spellings) expect(refusal(await throttle.check('jay', address))?.reason).toBe('pair');
    // IPv4 is still counted per address.
    expect(refusal(await throttle.check('jay', '203.0.113.6'))).toEqual({ reason: 'account', wait: 1 });
  });

  it('counts a try when it starts: concurrent guesses cannot all slip in before the first wrong one is counted', async () => {
    const { throttle } = throttleAt();
    const checks = await Promise.all(Array.from({ length: 10 }, () => throttle.check('cy', '198.51.100.1')));
    expect(checks.filter((c) => c.allowed)).toHaveLength(MAX_FAILURES_PER_PAIR);
  });

  it('a right password clears its own pair and the account delay; a try that could not be judged is given back', async () => {
    const { clock, throttle } = throttleAt();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 1; i++) await wrong(throttle, 'dee', '198.51.100.2');
    const right = await throttle.check('dee', '198.51.100.2');
    expect(right.allowed).toBe(true);
    if (right.allowed) await right.succeeded();
    // The pair starts again (the account's count does not: its delays are waited out here).
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 2; i++)
      expect((await pastDelay(clock, throttle, 'dee', '198.51.100.2')).allowed).toBe(true);
    // Errors (a database down) count nothing.
    for (let i = 0; i < 10; i++) {
      const check = await pastDelay(clock, throttle, 'dee', '198.51.100.2');
      expect(check.allowed).toBe(true);
      if (check.allowed) await check.abandoned();
    }
    expect((await pastDelay(clock, throttle, 'dee', '198.51.100.2')).allowed).toBe(true);
    expect((await pastDelay(clock, throttle, 'dee', '198.51.100.2')).allowed).toBe(true);
    expect(refusal(await throttle.check('dee', '198.51.100.2'))?.reason).toBe('pair');
  });

  it('the owner’s right password ends the running delay but keeps the account’s count: the next wrong password sets a delay at once', async () => {
    const { clock, throttle } = throttleAt();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await wrong(throttle, 'fay', `10.2.0.${i}`);
    clock.now += 1000;
    const owner = await throttle.check('fay', '10.2.1.1');
    expect(owner.allowed).toBe(true);
    if (owner.allowed) await owner.succeeded();
    // The owner's sign-in gives the guesser no fresh 5 free tries: the 6th wrong password waits 2 s.
    await wrong(throttle, 'fay', '10.2.0.9');
    expect(refusal(await throttle.check('fay', '10.2.1.1'))).toEqual({ reason: 'account', wait: 2 });
    // The count expires with its window.
    clock.now += SIGN_IN_WINDOW_MS;
    for (let i = 0; i < ACCOUNT_FREE_FAILURES - 1; i++) await wrong(throttle, 'fay', '10.2.0.10');
    expect((await throttle.check('fay', '10.2.1.1')).allowed).toBe(true);
  });

  it('a try is settled once: an error after a right password gives nothing back twice', async () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS - 1; i++) await wrong(throttle, `name${i}`, '192.0.2.9');
    const right = await throttle.check('known', '192.0.2.9');
    expect(right.allowed).toBe(true);
    if (right.allowed) {
      await right.succeeded();
      // The router's catch after succeeded() (the session could not be started).
      await right.abandoned();
    }
    // Still 19 wrong passwords from the address (not 18): one more reaches 20.
    await wrong(throttle, 'name-last', '192.0.2.9');
    expect(refusal(await throttle.check('someone', '192.0.2.9'))?.reason).toBe('address');
  });

  it('a device cookie’s device id skips the account’s delay, not the pair lock, until that device has 5 wrong passwords', async () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await wrong(throttle, 'gus', `10.3.0.${i}`);
    expect(refusal(await throttle.check('gus', '10.3.1.1'))?.reason).toBe('account');
    // A stolen cookie: its wrong passwords skip the delay (each one sets a longer one for everyone else)…
    for (let i = 0; i < MAX_FAILURES_PER_DEVICE; i++)
      expect((await throttle.check('gus', `10.3.2.${i}`, 'device-1')).allowed).toBe(true);
    // …until that device has 5 wrong passwords in the window: then it waits like any other.
    expect(refusal(await throttle.check('gus', '10.3.1.1', 'device-1'))?.reason).toBe('account');
    // The owner's own device is not touched by the stolen one's count.
    const owner = await throttle.check(' GUS ', '10.3.1.1', 'device-2');
    expect(owner.allowed).toBe(true);
    if (owner.allowed) await owner.succeeded();
    // The pair lock applies to a device too.
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++)
      expect((await throttle.check('gus', '10.3.3.1', `device-3-${i}`)).allowed).toBe(true);
    expect(refusal(await throttle.check('gus', '10.3.3.1', 'device-4'))?.reason).toBe('pair');
  });
});
