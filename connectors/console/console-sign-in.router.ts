import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { ConsoleSignInConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import { userMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { repForOidcSignIn, verifyConsoleSignIn } from '../../src/services/console-accounts.service.ts';
import { roleOf } from '../../src/domain/roles.ts';
import type { ConsoleAccess } from './console-access.ts';
import { cookieIsSecure, endSession, openValue, readCookie, setSealedCookie, startSession } from './console-session.ts';
import { OidcSignIn, type OidcPending, type OidcProviderName } from './oidc-sign-in.ts';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const PENDING_COOKIE = 'rapport_oidc';

export interface SignInRouterDeps {
  db: Database;
  access: ConsoleAccess;
  signIn: ConsoleSignInConfig;
  /** RAPPORT_ADMINS: Slack and Microsoft sign-ins listed there (by email or id) are admins. */
  admins: readonly string[];
  timezone: string;
  logger?: Logger;
}

/** Only paths of this console: never an absolute or protocol-relative URL (no open redirect). */
function safeNext(raw: unknown): string {
  return typeof raw === 'string' && raw.startsWith('/console') && !raw.startsWith('//') ? raw : '/console';
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
  const back = (res: Response, error: string, next: string) =>
    res.redirect(303, `/console/sign-in?error=${encodeURIComponent(error)}&next=${encodeURIComponent(next)}`);

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
    try {
      const person = username && password ? await verifyConsoleSignIn(deps.db, username, password) : undefined;
      if (!person) return back(res, 'Wrong user name or password.', next);
      startSession(res, await deps.access.secret(), person, deps.signIn.sessionHours, secure(req));
      res.redirect(303, next);
    } catch (err) {
      deps.logger?.warn({ err: (err as Error).message }, 'console sign-in failed');
      back(res, userMessage(err), next);
    }
  });

  router.get('/console/sign-in/:provider', async (req, res) => {
    const provider = providers.get(req.params.provider as OidcProviderName);
    const next = safeNext(req.query.next);
    if (!provider) return back(res, 'That sign-in is not set up here.', next);
    try {
      const origin = deps.signIn.publicUrl?.origin ?? `${req.protocol}://${req.get('host')}`;
      const { url, pending } = await provider.start(`${origin}/console/auth/${provider.provider}/callback`, next);
      setSealedCookie(res, PENDING_COOKIE, await deps.access.secret(), pending, 10 * 60_000, secure(req));
      res.redirect(303, url.href);
    } catch (err) {
      back(res, userMessage(err), next);
    }
  });

  router.get('/console/auth/:provider/callback', async (req, res) => {
    const provider = providers.get(req.params.provider as OidcProviderName);
    const pending = openValue<OidcPending>(await deps.access.secret(), readCookie(req, PENDING_COOKIE));
    res.clearCookie(PENDING_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' });
    if (!provider || !pending || pending.provider !== provider.provider)
      return back(res, 'That sign-in took too long or was started in another browser. Start again.', '/console');
    try {
      const callback = new URL(pending.redirectUri);
      callback.search = new URL(req.originalUrl, 'http://x').search;
      const identity = await provider.finish(callback, pending);
      const rep = await repForOidcSignIn(deps.db, { ...identity, timezone: deps.timezone });
      // RAPPORT_ADMINS names people as the chat platforms do (slack:T1/U2, U2, a Teams object id, an email).
      const [platform, ...rest] = (identity.platformKey ?? identity.consoleId).split(':');
      const role = roleOf(
        { platform, platformUserId: rest.join(':'), email: identity.email ?? rep.email ?? undefined },
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
      back(res, userMessage(err), pending.next);
    }
  });

  router.post('/console/sign-out', (req, res) => {
    endSession(res, secure(req));
    res.redirect(303, '/console/sign-in');
  });
  return router;
}
