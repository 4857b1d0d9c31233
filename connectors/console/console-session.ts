import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ConsolePerson } from '../../src/services/console-accounts.service.ts';

export const SESSION_COOKIE = 'rapport_session';

interface SessionPayload {
  p: ConsolePerson;
  /** Expiry, epoch milliseconds. */
  exp: number;
  /** A session opened with the console token: the token's fingerprint ({@link tokenFingerprint}), never the token. */
  t?: string;
}

/** A valid, unexpired session: who, and for a `?token=` sign-in the fingerprint of the token it was made with. */
export interface ConsoleSession {
  person: ConsolePerson;
  tokenFingerprint?: string;
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/** "<payload>.<hmac>": a value only this deployment can have made. */
export function sealValue(secret: string, value: unknown): string {
  const body = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The value of a sealed string, or undefined when it was not made with `secret` (or is malformed). */
export function openValue<T>(secret: string, sealed: string | undefined): T | undefined {
  if (!sealed) return undefined;
  const dot = sealed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const body = sealed.slice(0, dot);
  const given = Buffer.from(sealed.slice(dot + 1));
  const expected = Buffer.from(sign(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** One cookie from the request's Cookie header (no cookie-parser needed for two cookies). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A cookie another site on the same domain set malformed is no cookie (not an error on every page).
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {}
    }
  }
  return undefined;
}

/** Secure when the console is served over HTTPS (RAPPORT_PUBLIC_URL https, or the request came over TLS). */
export function cookieIsSecure(req: Request, publicUrl: URL | undefined): boolean {
  return req.secure || publicUrl?.protocol === 'https:';
}

/** Sets a signed, HttpOnly, SameSite=Lax cookie. */
export function setSealedCookie(
  res: Response,
  name: string,
  secret: string,
  value: unknown,
  maxAgeMs: number,
  secure: boolean,
): void {
  res.cookie(name, sealValue(secret, value), { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeMs });
}

/**
 * What a session opened with the console token keeps of it: an HMAC of the token under the session
 * secret (the cookie's payload is readable by its holder, so never the token itself). A different or
 * removed RAPPORT_CONSOLE_TOKEN no longer matches it.
 */
export function tokenFingerprint(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`console-token:${token}`).digest('base64url');
}

/** Whether `fingerprint` was made from `token` (false when either is missing); constant time. */
export function fingerprintMatches(
  secret: string,
  fingerprint: string | undefined,
  token: string | undefined,
): boolean {
  if (!fingerprint || !token) return false;
  const given = Buffer.from(fingerprint);
  const expected = Buffer.from(tokenFingerprint(secret, token));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs a person in on this browser for `hours`; `tokenFingerprint` for a sign-in with the console token. */
export function startSession(
  res: Response,
  secret: string,
  person: ConsolePerson,
  hours: number,
  secure: boolean,
  opts: { tokenFingerprint?: string } = {},
): void {
  const maxAge = hours * 3_600_000;
  setSealedCookie(
    res,
    SESSION_COOKIE,
    secret,
    {
      p: person,
      exp: Date.now() + maxAge,
      ...(opts.tokenFingerprint ? { t: opts.tokenFingerprint } : {}),
    } satisfies SessionPayload,
    maxAge,
    secure,
  );
}

/** The session of a valid, unexpired session cookie. */
export function readSession(req: Request, secret: string): ConsoleSession | undefined {
  const payload = openValue<SessionPayload>(secret, readCookie(req, SESSION_COOKIE));
  if (!payload || typeof payload.exp !== 'number' || payload.exp < Date.now() || !payload.p?.consoleId)
    return undefined;
  return { person: payload.p, tokenFingerprint: typeof payload.t === 'string' ? payload.t : undefined };
}

export function endSession(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
