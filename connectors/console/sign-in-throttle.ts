/** Wrong passwords allowed per account name within {@link SIGN_IN_WINDOW_MS}. */
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** Wrong passwords allowed from one client address (any account names) within the window. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/** The window, counted from the first wrong password in it: 15 minutes. */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

interface Window {
  count: number;
  since: number;
}

/**
 * Counts wrong passwords per account name and per client address, in this process. Once either has
 * reached its limit, further tries are refused without checking the password until the window that
 * started with the first failure ends: guessing one account, or trying many from one place, is slow
 * even where scrypt alone would not be. A right password clears its account's count only (a guesser
 * who also knows one password does not reset the address).
 */
export class SignInThrottle {
  private readonly accounts = new Map<string, Window>();
  private readonly addresses = new Map<string, Window>();

  /** Seconds until `account` from `address` may try again, or 0 when it may try now. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    const wait = (map: Map<string, Window>, key: string, max: number) => {
      const w = map.get(key);
      if (!w || now - w.since >= SIGN_IN_WINDOW_MS || w.count < max) return 0;
      return Math.ceil((w.since + SIGN_IN_WINDOW_MS - now) / 1000);
    };
    return Math.max(
      wait(this.accounts, account.trim().toLowerCase(), MAX_FAILURES_PER_ACCOUNT),
      wait(this.addresses, address, MAX_FAILURES_PER_ADDRESS),
    );
  }

  fail(account: string, address: string, now = Date.now()): void {
    this.bump(this.accounts, account.trim().toLowerCase(), now);
    this.bump(this.addresses, address, now);
  }

  succeed(account: string): void {
    this.accounts.delete(account.trim().toLowerCase());
  }

  private bump(map: Map<string, Window>, key: string, now: number): void {
    const w = map.get(key);
    if (!w || now - w.since >= SIGN_IN_WINDOW_MS) map.set(key, { count: 1, since: now });
    else w.count++;
    // Bounded memory under a spray of made-up names: expired windows are dropped once the map is large.
    if (map.size > 10_000) for (const [k, v] of map) if (now - v.since >= SIGN_IN_WINDOW_MS) map.delete(k);
  }
}
