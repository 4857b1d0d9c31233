import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_DELAY_MAX_MS,
  ACCOUNT_FREE_FAILURES,
  accountDelayMs,
  MAX_FAILURES_PER_ADDRESS,
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
    // The owner, after at most the delay, gets in and clears the account's delay.
    clock.now += ACCOUNT_DELAY_MAX_MS;
    const owner = await throttle.check('ann', '10.1.1.1');
    expect(owner.allowed).toBe(true);
    if (owner.allowed) await owner.succeeded();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES - 1; i++) await wrong(throttle, 'ann', '10.1.3.1');
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

  it('counts a try when it starts: concurrent guesses cannot all slip in before the first wrong one is counted', async () => {
    const { throttle } = throttleAt();
    const checks = await Promise.all(Array.from({ length: 10 }, () => throttle.check('cy', '198.51.100.1')));
    expect(checks.filter((c) => c.allowed)).toHaveLength(MAX_FAILURES_PER_PAIR);
  });

  it('a right password clears its own pair and the account delay; a try that could not be judged is given back', async () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 1; i++) await wrong(throttle, 'dee', '198.51.100.2');
    const right = await throttle.check('dee', '198.51.100.2');
    expect(right.allowed).toBe(true);
    if (right.allowed) await right.succeeded();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 2; i++) await wrong(throttle, 'dee', '198.51.100.2');
    // Errors (a database down) count nothing.
    for (let i = 0; i < 10; i++) {
      const check = await throttle.check('dee', '198.51.100.2');
      expect(check.allowed).toBe(true);
      if (check.allowed) await check.abandoned();
    }
    await wrong(throttle, 'dee', '198.51.100.2');
    await wrong(throttle, 'dee', '198.51.100.2');
    expect(refusal(await throttle.check('dee', '198.51.100.2'))?.reason).toBe('pair');
  });
});
