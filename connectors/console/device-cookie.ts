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
 */

export const DEVICE_COOKIE = 'rapport_device';
/** How long a device cookie is honoured: 90 days from the sign-in that set it. */
export const DEVICE_COOKIE_MS = 90 * 24 * 3_600_000;

interface DevicePayload {
  /** What the sealed value is (no other sealed cookie of the console can pass for a device cookie). */
  k: 'device';
  /** The account name, normalised. */
  a: string;
  /** The random device id. */
  d: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

/** Sets a new device cookie (a fresh device id) for `account` after a right password. */
export function setDeviceCookie(res: Response, secret: string, account: string, secure: boolean): void {
  const payload: DevicePayload = {
    k: 'device',
    a: normalizeConsoleUsername(account),
    d: randomUUID(),
    exp: Date.now() + DEVICE_COOKIE_MS,
  };
  setSealedCookie(res, DEVICE_COOKIE, secret, payload, DEVICE_COOKIE_MS, secure);
}

/**
 * The device id of the request's device cookie when it is valid (made with `secret`, unexpired) and
 * names `account`; undefined otherwise (none, tampered, expired, or another account's).
 */
export function deviceFor(req: Request, secret: string, account: string): string | undefined {
  const payload = openValue<Partial<DevicePayload>>(secret, readCookie(req, DEVICE_COOKIE));
  if (
    payload?.k !== 'device' ||
    typeof payload.a !== 'string' ||
    typeof payload.d !== 'string' ||
    !payload.d ||
    typeof payload.exp !== 'number' ||
    payload.exp < Date.now()
  )
    return undefined;
  return payload.a === normalizeConsoleUsername(account) ? payload.d : undefined;
}
