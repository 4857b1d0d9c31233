import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { ConsoleSignInConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import type { Standing } from '../../src/domain/roles.ts';
import type { Logger } from '../../src/logger.ts';
import { repForOidcSignIn, verifyConsoleSignIn } from '../../src/services/console-accounts.service.ts';
import { roleOf } from '../../src/domain/roles.ts';
import type { ConsoleAccess } from './console-access.ts';
import { deviceFor, setDeviceCookie } from './device-cookie.ts';
import { cookieIsSecure, endSession, openValue, readCookie, setSealedCookie, startSession } from './console-session.ts';
import {
  OidcSignIn,
  type OidcPending,
  type OidcProviderName,
  type SignInErrorCode,
  SignInRefused,
  signInErrorCode,
} from './oidc-sign-in.ts';
import { SignInThrottle, type ThrottleReason } from './sign-in-throttle.ts';
import type { SlackSignInStanding } from './slack-sign-in-standing.ts';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const PENDING_COOKIE = 'rapport_oidc';
/** Why a Slack sign-in is refused (the sign-in page shows the code's sentence; the log, this one). */
function slackRefusal(standing: Standing): SignInRefused {
  if (standing === 'guest')
    return new SignInRefused('slack-guest', 'A guest of the Slack workspace tried to sign in; refused.');
  if (standing === 'external')
    return new SignInRefused('slack-external', 'A Slack account of another organisation tried to sign in; refused.');
  return new SignInRefused('slack-unverified', 'Slack could not be asked about a Slack sign-in (users.info); refused.');
}

export interface SignInRouterDeps {
  db: Database;
  access: ConsoleAccess;
  signIn: ConsoleSignInConfig;
  /** RAPPORT_ADMINS: Slack and Microsoft sign-ins listed there (by email or id) are admins. */
  admins: readonly string[];
  timezone: string;
  logger?: Logger;
  /** Asks Slack whether a Slack sign-in is a member (guests and other workspaces are refused). Absent: every Slack sign-in is refused. */
  slackStanding?: SlackSignInStanding;
  /**
   * Redis shared by the console processes and the deployment's key prefix: wrong passwords are counted
   * there, so every process sees them (connectors/console/sign-in-throttle.ts). Absent: in this process.
   */
  redis?: Redis;
  redisPrefix?: string;
}

/** Where a sign-in lands when it was not sent from a page: "My day". */
const LANDING = '/console/today';

/**
 * Only paths of this console: never an absolute or protocol-relative URL (no open redirect). The bare
 * console address (what people open, and where a sign-out leads) lands on "My day".
 */
function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || !raw.startsWith('/console') || raw.startsWith('//')) return LANDING;
  return raw === '/console' || raw === '/console/' ? LANDING : raw;
}

/** The page a throttled sign-in gets (fixed text: nothing from the request is echoed). */
function throttledPage(sentence: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · Rapport</title><link rel="stylesheet" href="/console/style.css"></head><body><main class="single"><section class="pane"><h2>Sign in to Rapport</h2><p id="error" class="status error" role="alert">${sentence}</p><p><a href="/console/sign-in">Back to sign-in</a></p></section></main></body></html>`;
}

/**
 * The sentence of a throttled sign-in (fixed text and the server's own number: nothing from the request).
 * A pair or address lock lasts the rest of its 15 minutes; an account's delay is seconds.
 */
function throttledSentence(reason: ThrottleReason, seconds: number): string {
  if (reason === 'account')
    return `Too many wrong passwords for this account: each try now waits a little longer. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(seconds / 60);
  return `Too many wrong passwords for this account or from this address: sign-in is paused for ${minutes} minute${minutes === 1 ? '' : 's'}. Wait, then try again (an admin can set a new password with rapport admin password NAME).`;
}

/**
 * `/console/sign-in` (page, password form, `?error=`), `/console/sign-in/options` (which ways are
 * offered), `/console/sign-in/slack|entra` (to the provider), `/console/auth/slack|entra/callback`
 * (back from it) and `POST /console/sign-out`. Mount behind the request guard, before the sign-in check.
 */
export function createSignInRouter(deps: SignInRouterDeps): express.Router {
  const router = express.Router();
  const providers = new Map<OidcProviderName, OidcSignIn>();
  if (deps.signIn.slack) providers.set('slack', new OidcSignIn('slack', deps.signIn.slack));
  if (deps.signIn.entra) providers.set('entra', new OidcSignIn('entra', deps.signIn.entra));
  const secure = (req: Request) => cookieIsSecure(req, deps.signIn.publicUrl);
  const throttle = new SignInThrottle({ redis: deps.redis, prefix: deps.redisPrefix, logger: deps.logger });
  // A code, never a sentence: the page shows only the fixed sentence of a code it knows (public/sign-in.js).
  const back = (res: Response, error: SignInErrorCode, next: string) =>
    res.redirect(303, `/console/sign-in?error=${error}&next=${encodeURIComponent(next)}`);

  router.get('/console/sign-in', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').sendFile(join(PUBLIC_DIR, 'sign-in.html'));
  });
  router.get('/console/sign-in.js', (_req, res) => {
    res.type('js').set('Cache-Control', 'no-store').sendFile(join(PUBLIC_DIR, 'sign-in.js'));
  });
  router.get('/console/style.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'no-store').sendFile(join(PUBLIC_DIR, 'style.css'));
  });
  router.get('/console/sign-in/options', async (_req, res) => {
    res.json({
      providers: [...providers.values()].map((p) => ({ id: p.provider, label: `Sign in with ${p.label}` })),
      signInRequired: await deps.access.signInRequired(),
    });
  });

  router.post('/console/sign-in', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    // The client's own address: behind a reverse proxy trusted by RAPPORT_TRUST_PROXY (default: this machine) the one it
    // forwards, so one client's wrong passwords do not pause everyone's sign-in. The throttle counts
    // an IPv6 client by its /64 (connectors/console/client-network.ts).
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    // A browser this account signed in from before (a valid device cookie naming it among its last few
    // accounts) skips the account's delay; the key not readable (database down) means no device, not an
    // error here.
    const device = await deps.access.secret().then(
      (key) => deviceFor(req, key, username),
      () => undefined,
    );
    const check = await throttle.check(username, address, device);
    if (!check.allowed) {
      const wait = check.retryAfter;
      res.status(429).set('Retry-After', String(wait)).set('Cache-Control', 'no-store');
      const sentence = throttledSentence(check.reason, wait);
      if (req.accepts(['html', 'json']) === 'json') res.json({ error: sentence });
      else res.type('html').send(throttledPage(sentence));
      return;
    }
    try {
      const person = username && password ? await verifyConsoleSignIn(deps.db, username, password) : undefined;
      // A wrong password stays counted (the check counted it); a right one is given back.
      if (!person) return back(res, 'wrong-password', next);
      await check.succeeded();
      const key = await deps.access.secret();
      startSession(res, key, person, deps.signIn.sessionHours, secure(req));
      // This browser now skips the account's delay for this name (a fresh device id each sign-in), and
      // still for the other accounts signed in on it before (the last few).
      setDeviceCookie(req, res, key, username, secure(req));
      res.redirect(303, next);
    } catch (err) {
      // After succeeded() this gives nothing back (a try is settled once).
      await check.abandoned();
      deps.logger?.warn({ err: (err as Error).message }, 'console sign-in failed');
      back(res, 'failed', next);
    }
  });

  router.get('/console/sign-in/:provider', async (req, res) => {
    const provider = providers.get(req.params.provider as OidcProviderName);
    const next = safeNext(req.query.next);
    if (!provider) return back(res, 'not-set-up', next);
    try {
      const origin = deps.signIn.publicUrl?.origin ?? `${req.protocol}://${req.get('host')}`;
      const { url, pending } = await provider.start(`${origin}/console/auth/${provider.provider}/callback`, next);
      setSealedCookie(res, PENDING_COOKIE, await deps.access.secret(), pending, 10 * 60_000, secure(req));
      res.redirect(303, url.href);
    } catch (err) {
      deps.logger?.warn({ err: (err as Error).message, provider: provider.provider }, 'console OIDC sign-in failed');
      back(res, signInErrorCode(err), next);
    }
  });

  router.get('/console/auth/:provider/callback', async (req, res) => {
    const provider = providers.get(req.params.provider as OidcProviderName);
    const pending = openValue<OidcPending>(await deps.access.secret(), readCookie(req, PENDING_COOKIE));
    res.clearCookie(PENDING_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' });
    if (!provider || !pending || pending.provider !== provider.provider) return back(res, 'expired', '/console');
    try {
      const callback = new URL(pending.redirectUri);
      callback.search = new URL(req.originalUrl, 'http://x').search;
      const identity = await provider.finish(callback, pending);
      let platformAdmin = false;
      if (identity.slack) {
        const facts = deps.slackStanding
          ? await deps.slackStanding(identity.slack.teamId, identity.slack.userId)
          : { standing: 'unverified' as const, platformAdmin: false };
        if (facts.standing !== 'member') throw slackRefusal(facts.standing);
        platformAdmin = facts.platformAdmin;
      }
      const rep = await repForOidcSignIn(deps.db, { ...identity, timezone: deps.timezone });
      // RAPPORT_ADMINS names people as the chat platforms do (slack:T1/U2, U2, a Teams object id, an email).
      const [platform, ...rest] = (identity.platformKey ?? identity.consoleId).split(':');
      const role = roleOf(
        { platform, platformUserId: rest.join(':'), email: identity.email ?? rep.email ?? undefined, platformAdmin },
        deps.admins,
      );
      startSession(
        res,
        await deps.access.secret(),
        {
          repId: rep.id,
          consoleId: identity.consoleId,
          name: rep.name,
          email: rep.email ?? undefined,
          role: role === 'admin' ? 'admin' : 'rep',
          via: provider.provider,
        },
        deps.signIn.sessionHours,
        secure(req),
      );
      res.redirect(303, pending.next);
    } catch (err) {
      deps.logger?.warn({ err: (err as Error).message, provider: provider.provider }, 'console OIDC sign-in failed');
      back(res, signInErrorCode(err), pending.next);
    }
  });

  router.post('/console/sign-out', (req, res) => {
    endSession(res, secure(req));
    res.redirect(303, '/console/sign-in');
  });
  return router;
}
