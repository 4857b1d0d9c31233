import type { NextFunction, Request, Response } from 'express';
import type { ConsoleSignInConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import {
  type ConsolePerson,
  consoleSessionKey,
  countConsoleAccounts,
  currentAccountPerson,
} from '../../src/services/console-accounts.service.ts';
import { isPublished, operatorProof } from '../../src/net/this-machine.ts';
import { cookieIsSecure, fingerprintMatches, readSession, startSession, tokenFingerprint } from './console-session.ts';

/** Who is asking: a signed-in person, or the operator's own tools (`tool`: may name the rep to act as). */
export type ConsoleViewer = ConsolePerson & { tool?: boolean };

/** The operator: zero-config localhost, the console token, `rapport exec`. Acts as the admin "console". */
const OPERATOR: ConsolePerson = { consoleId: 'console', name: 'console', role: 'admin', via: 'local' };

export interface ConsoleAccessOptions {
  db: Database;
  /** RAPPORT_CONSOLE_TOKEN: a bearer token for scripts and remote tools. */
  consoleToken?: string;
  /** The data-dir lock's tool token (embedded database): `rapport` commands prove themselves with it. */
  toolToken?: string;
  signIn: ConsoleSignInConfig;
}

/** The viewer a request was let in as (set by {@link ConsoleAccess.requirePerson}). */
export function viewerOf(res: Response): ConsoleViewer {
  return res.locals.viewer as ConsoleViewer;
}

export interface ConsoleAccess {
  /** Lets in signed-in people, the console token and local tools; sends everyone else to sign in. */
  requirePerson: (req: Request, res: Response, next: NextFunction) => void;
  /** The session signing key (RAPPORT_SESSION_SECRET, else the database's). */
  secret(): Promise<string>;
  /** True once an account exists or an OIDC provider is configured: then localhost browsers sign in too. */
  signInRequired(): Promise<boolean>;
}

/**
 * Who may use the console:
 * - a browser with a valid session cookie (password, Slack or Entra ID sign-in) is that person;
 * - `Authorization: Bearer <RAPPORT_CONSOLE_TOKEN>` (or `?token=`) is the operator; a page opened with
 *   `?token=` gets a session cookie, so its CSS, JS and event stream work too;
 * - `rapport` commands (the data-dir lock's tool token) are the operator;
 * - a local tool (from this machine, see {@link fromThisMachine}, and no Origin or Sec-Fetch-Site header:
 *   curl) is the operator; a request passed on by a reverse proxy on this machine is not local;
 * - a local browser is the operator only while sign-in is not set up (zero-config: no account, no provider);
 * - anyone else is sent to /console/sign-in (pages) or gets 401 (API); remote clients without sign-in
 *   set up and without the token get 403.
 */
export function consoleAccess(opts: ConsoleAccessOptions): ConsoleAccess {
  let key: Promise<string> | undefined;
  const secret = () => {
    if (opts.signIn.sessionSecret) return Promise.resolve(opts.signIn.sessionSecret);
    key ??= consoleSessionKey(opts.db).catch((err) => {
      key = undefined;
      throw err;
    });
    return key;
  };
  const signInRequired = async () =>
    Boolean(opts.signIn.slack || opts.signIn.entra) || (await countConsoleAccounts(opts.db)) > 0;

  const decide = async (req: Request, res: Response): Promise<ConsoleViewer | 'handled'> => {
    // req.path is relative to where the middleware is mounted; the whole path decides page or API.
    const path = new URL(req.originalUrl, 'http://x').pathname;
    const isPage = path.startsWith('/console') && !/\.(js|css)$/.test(path);
    const key = await secret();
    const session = readSession(req, key);
    if (session) {
      const { person: signedIn } = session;
      // A password account's role and status are read again each time: disabling or demoting applies at once.
      // A session opened with the console token lasts only while that token is RAPPORT_CONSOLE_TOKEN:
      // rotating or removing the token ends it.
      const person =
        signedIn.via === 'password'
          ? await currentAccountPerson(opts.db, signedIn.consoleId)
          : signedIn.via === 'token'
            ? fingerprintMatches(key, session.tokenFingerprint, opts.consoleToken)
              ? signedIn
              : undefined
            : signedIn;
      if (person) return person;
    }
    const proof = operatorProof(req, {
      publicUrl: opts.signIn.publicUrl,
      consoleToken: opts.consoleToken,
      toolToken: opts.toolToken,
    });
    if (proof === 'console-token' && opts.consoleToken) {
      if (req.method === 'GET' && typeof req.query.token === 'string' && req.accepts('html') && !req.xhr) {
        // A page opened with ?token=: from now on the cookie carries the sign-in (assets, event stream).
        startSession(
          res,
          key,
          { ...OPERATOR, via: 'token' },
          opts.signIn.sessionHours,
          cookieIsSecure(req, opts.signIn.publicUrl),
          { tokenFingerprint: tokenFingerprint(key, opts.consoleToken) },
        );
        const url = new URL(req.originalUrl, 'http://x');
        url.searchParams.delete('token');
        if (isPage) {
          res.redirect(303, url.pathname + url.search);
          return 'handled';
        }
      }
      return { ...OPERATOR, via: 'token', tool: true };
    }
    if (proof === 'tool-token') return { ...OPERATOR, tool: true };
    const local = proof === 'this-machine';
    const browser = req.get('origin') !== undefined || req.get('sec-fetch-site') !== undefined;
    if (local && !browser) return { ...OPERATOR, tool: true };
    const required = await signInRequired();
    if (local && !required) return OPERATOR;
    if (!local && !required && !opts.consoleToken) {
      res.status(403).json({
        error: isPublished(opts.signIn.publicUrl)
          ? `Rapport is published at ${opts.signIn.publicUrl?.origin} (RAPPORT_PUBLIC_URL), so no request counts as local: a reverse proxy on this machine would look local too. Create an account (rapport admin create), configure Slack or Microsoft sign-in, or set RAPPORT_CONSOLE_TOKEN.`
          : 'The Rapport console only accepts local connections. Create an account (rapport admin create), configure Slack or Microsoft sign-in, or set RAPPORT_CONSOLE_TOKEN to use it from elsewhere.',
      });
      return 'handled';
    }
    if (req.method === 'GET' && isPage) {
      res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return 'handled';
    }
    res.status(401).json({
      error: required
        ? 'Sign in first: open /console/sign-in.'
        : 'Missing or wrong console token: send Authorization: Bearer <RAPPORT_CONSOLE_TOKEN> or add ?token=.',
    });
    return 'handled';
  };

  return {
    secret,
    signInRequired,
    requirePerson: (req, res, next) => {
      decide(req, res).then(
        (viewer) => {
          if (viewer === 'handled') return;
          res.locals.viewer = viewer;
          next();
        },
        (err) => next(err),
      );
    },
  };
}
