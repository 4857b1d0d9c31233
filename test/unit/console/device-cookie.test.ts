import { describe, expect, it } from 'vitest';
import { sealValue } from '../../../connectors/console/console-session.ts';
import {
  DEVICE_COOKIE_ACCOUNTS,
  DEVICE_COOKIE_MS,
  type DeviceAccount,
  deviceAccounts,
  withSignIn,
} from '../../../connectors/console/device-cookie.ts';

// What a device cookie remembers: the last few accounts signed in on one browser, each with a device
// id of its own. The cookie over HTTP, with the throttle: test/integration/console/console-sign-in-throttle.test.ts.
describe('device cookie accounts', () => {
  const key = 'the console key, at least 32 characters';
  const now = 1_800_000_000_000;
  const seal = (accounts: DeviceAccount[]) => sealValue(key, { k: 'device', accounts });

  it('remembers the last 5 accounts signed in on a browser, newest first, each with its own device id', () => {
    let accounts: DeviceAccount[] = [];
    for (const name of ['ann', 'bob', 'cy', 'dee', 'eve', 'fay']) accounts = withSignIn(accounts, name, now);
    expect(DEVICE_COOKIE_ACCOUNTS).toBe(5);
    expect(accounts.map((a) => a.a)).toEqual(['fay', 'eve', 'dee', 'cy', 'bob']);
    expect(new Set(accounts.map((a) => a.d)).size).toBe(5);
    expect(accounts.every((a) => a.exp === now + DEVICE_COOKIE_MS)).toBe(true);
    // Read back from the sealed value as set.
    expect(deviceAccounts(key, seal(accounts), now)).toEqual(accounts);
  });

  it('a new sign-in to an account it holds moves that account first with a fresh device id and keeps the others as they were', () => {
    const before = withSignIn(withSignIn([], 'ann', now), 'bob', now);
    const after = withSignIn(before, ' ANN ', now + 1000);
    expect(after.map((a) => a.a)).toEqual(['ann', 'bob']);
    expect(after[0].d).not.toBe(before[1].d);
    expect(after[0].exp).toBe(now + 1000 + DEVICE_COOKIE_MS);
    expect(after[1]).toEqual(before[0]);
  });

  it('reads a cookie from before several accounts (one account) as a list of one, which the next sign-in keeps', () => {
    const old = sealValue(key, { k: 'device', a: 'ann', d: 'old-device', exp: now + 60_000 });
    const read = deviceAccounts(key, old, now);
    expect(read).toEqual([{ a: 'ann', d: 'old-device', exp: now + 60_000 }]);
    expect(withSignIn(read, 'bob', now).map((a) => [a.a, a.d === 'old-device'])).toEqual([
      ['bob', false],
      ['ann', true],
    ]);
  });

  it('drops expired accounts and reads nothing from a tampered, forged or other sealed value', () => {
    const accounts = [
      { a: 'ann', d: 'd1', exp: now - 1 },
      { a: 'bob', d: 'd2', exp: now + 1 },
      { a: 'cy', d: '', exp: now + 1 },
    ];
    expect(deviceAccounts(key, seal(accounts), now)).toEqual([{ a: 'bob', d: 'd2', exp: now + 1 }]);
    const [, signature] = seal(accounts).split('.');
    const other = Buffer.from(JSON.stringify({ k: 'device', accounts: [{ a: 'ann', d: 'd9', exp: now + 1 }] }));
    expect(deviceAccounts(key, `${other.toString('base64url')}.${signature}`, now)).toEqual([]);
    expect(deviceAccounts('another key of 32 characters or more', seal(accounts), now)).toEqual([]);
    expect(deviceAccounts(key, sealValue(key, { k: 'session', accounts }), now)).toEqual([]);
    expect(deviceAccounts(key, undefined, now)).toEqual([]);
  });
});
