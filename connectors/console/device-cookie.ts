import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { openValue, readCookie, setSealedCookie } from './console-session.ts';
import { normalizeConsoleUsername } from '../../src/services/console-accounts.service.ts';

/*
 * Device cookies (OWASP's authentication cheat sheet): a browser an account signed in from with its
 * password gets a long-lived cookie naming that account and a random device id, signed with the
 * console's session key (the same HMAC as the session cookie: RAPPORT_SESSION_SECRET, else the
 * database's). A password try from that browser for that same account skips the account's delay
 * (connectors/console/sign-in-throttle.ts), so a guesser keeping the delay up does not keep the owner
 * out. The cookie proves only "this browser signed in as this name before"; it signs no one in.
 *
 * One browser may be used for several accounts (a shared front-desk machine, an admin who is also a
 * rep), so the cookie keeps the last {@link DEVICE_COOKIE_ACCOUNTS} accounts signed in on it, newest
 * first, each with a device id and an expiry of its own: the throttle counts a device's wrong passwords
 * by that id, so a stolen cookie's few free tries are per account, and a sign-in to one account
 * changes nothing for the others. A cookie from before (one account: `{ k, a, d, exp }`) is read as a
 * list of one and carried over by the next sign-in.
 */

export const DEVICE_COOKIE = 'rapport_device';
/** How long a device cookie's account is honoured: 90 days from the sign-in that put it there. */
export const DEVICE_COOKIE_MS = 90 * 24 * 3_600_000;
/**
 * How many accounts one device cookie remembers (the newest sign-ins): enough for a shared machine's
 * few people; five 64-character names make a cookie of about 1 KB, well under a browser's 4 KB.
 */
export const DEVICE_COOKIE_ACCOUNTS = 5;

/** One account this browser signed in to with its password. */
export interface DeviceAccount {
  /** The account name, normalised. */
  a: string;
  /** The random device id (new with each sign-in). */
  d: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

interface DevicePayload {
  /** What the sealed value is (no other sealed cookie of the console can pass for a device cookie). */
  k: 'device';
  /** Newest sign-in first, at most {@link DEVICE_COOKIE_ACCOUNTS}. */
  accounts: DeviceAccount[];
}

/** A device cookie as set before it held several accounts: still read. */
type SingleAccountPayload = { k: 'device' } & DeviceAccount;

const isDeviceAccount = (entry: Partial<DeviceAccount> | null, now: number): entry is DeviceAccount =>
  typeof entry?.a === 'string' &&
  typeof entry.d === 'string' &&
  entry.d !== '' &&
  typeof entry.exp === 'number' &&
  entry.exp >= now;

/**
 * The accounts of a device cookie's sealed value, newest first: none when it was not made with `secret`
 * (tampered, forged) or is not a device cookie; expired accounts left out.
 */
export function deviceAccounts(secret: string, sealed: string | undefined, now = Date.now()): DeviceAccount[] {
  const payload = openValue<Partial<DevicePayload & SingleAccountPayload>>(secret, sealed);
  if (payload?.k !== 'device') return [];
  const listed: Partial<DeviceAccount>[] = Array.isArray(payload.accounts) ? payload.accounts : [payload];
  return listed
    .filter((entry) => isDeviceAccount(entry, now))
    .slice(0, DEVICE_COOKIE_ACCOUNTS)
    .map(({ a, d, exp }) => ({ a, d, exp }));
}

/**
 * The accounts after a right password for `account`: a new entry for it (a fresh device id, 90 days)
 * first, its older entry dropped, the others kept in order up to {@link DEVICE_COOKIE_ACCOUNTS} in all.
 */
export function withSignIn(accounts: DeviceAccount[], account: string, now = Date.now()): DeviceAccount[] {
  const name = normalizeConsoleUsername(account);
  const fresh: DeviceAccount = { a: name, d: randomUUID(), exp: now + DEVICE_COOKIE_MS };
  return [fresh, ...accounts.filter((entry) => entry.a !== name)].slice(0, DEVICE_COOKIE_ACCOUNTS);
}

/** Sets the device cookie after a right password for `account`, keeping the browser's other accounts. */
export function setDeviceCookie(req: Request, res: Response, secret: string, account: string, secure: boolean): void {
  const payload: DevicePayload = {
    k: 'device',
    accounts: withSignIn(deviceAccounts(secret, readCookie(req, DEVICE_COOKIE)), account),
  };
  setSealedCookie(res, DEVICE_COOKIE, secret, payload, DEVICE_COOKIE_MS, secure);
}

/**
 * The device id the request's device cookie holds for `account` when the cookie is valid (made with
 * `secret`) and that account's entry unexpired; undefined otherwise (none, tampered, expired, or only
 * other accounts').
 */
export function deviceFor(req: Request, secret: string, account: string): string | undefined {
  const name = normalizeConsoleUsername(account);
  return deviceAccounts(secret, readCookie(req, DEVICE_COOKIE)).find((entry) => entry.a === name)?.d;
}
