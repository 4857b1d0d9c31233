import { describe, expect, it } from 'vitest';
import {
  MAX_FAILURES_PER_ACCOUNT,
  MAX_FAILURES_PER_ADDRESS,
  SIGN_IN_WINDOW_MS,
  SignInThrottle,
} from '../../../connectors/console/sign-in-throttle.ts';

describe('SignInThrottle', () => {
  const t0 = 1_000_000;

  it('pauses an account after 5 wrong passwords until 15 minutes after the first, whatever the address', () => {
    const throttle = new SignInThrottle();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      expect(throttle.retryAfter('Jo', `10.0.0.${i}`, t0 + i * 1000)).toBe(0);
      throttle.fail('Jo', `10.0.0.${i}`, t0 + i * 1000);
    }
    // Case and spaces do not make another account; another address does not help.
    expect(throttle.retryAfter(' jo ', '10.9.9.9', t0 + 60_000)).toBe((SIGN_IN_WINDOW_MS - 60_000) / 1000);
    expect(throttle.retryAfter('kim', '10.9.9.9', t0 + 60_000)).toBe(0);
    expect(throttle.retryAfter('jo', '10.9.9.9', t0 + SIGN_IN_WINDOW_MS)).toBe(0);
  });

  it('pauses an address after 20 wrong passwords for any names; a right password clears its account only', () => {
    const throttle = new SignInThrottle();
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) throttle.fail(`name${i}`, '192.0.2.1', t0);
    expect(throttle.retryAfter('someone-new', '192.0.2.1', t0 + 1000)).toBe(SIGN_IN_WINDOW_MS / 1000 - 1);
    expect(throttle.retryAfter('someone-new', '192.0.2.2', t0 + 1000)).toBe(0);
    throttle.succeed('name0');
    expect(throttle.retryAfter('name0', '192.0.2.1', t0 + 1000)).toBeGreaterThan(0);
    const fresh = new SignInThrottle();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) fresh.fail('ann', '192.0.2.3', t0);
    fresh.succeed('ann');
    fresh.fail('ann', '192.0.2.3', t0);
    expect(fresh.retryAfter('ann', '192.0.2.3', t0)).toBe(0);
  });
});
