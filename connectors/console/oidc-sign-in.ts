import * as oidc from 'openid-client';
import type { OidcProviderConfig } from '../../src/config/env.ts';
import { type ErrorCode, RapportError } from '../../src/errors.ts';

export type OidcProviderName = 'slack' | 'entra';

/**
 * Why a sign-in did not happen, as the sign-in page's `?error=` code: public/sign-in.js shows the fixed
 * sentence of each (and nothing for any other value, so no link can make the page say something).
 */
export const SIGN_IN_ERROR_CODES = [
  'wrong-password',
  'failed',
  'not-set-up',
  'expired',
  'slack-unreachable',
  'entra-unreachable',
  'slack-incomplete',
  'entra-incomplete',
  'slack-no-identity',
  'entra-no-identity',
  'slack-other-workspace',
  'slack-guest',
  'slack-external',
  'slack-unverified',
  'entra-other-organisation',
  'entra-no-tenant',
  'entra-guest',
] as const;
export type SignInErrorCode = (typeof SIGN_IN_ERROR_CODES)[number];

/** A refused or failed sign-in: `reason` goes to the sign-in page, the message (with any detail) to the log. */
export class SignInRefused extends RapportError {
  constructor(
    readonly reason: SignInErrorCode,
    message: string,
    code: ErrorCode = 'auth',
  ) {
    super(code, message);
  }
}

/** The code the sign-in page gets for `err` (`failed` for anything but a {@link SignInRefused}). */
export function signInErrorCode(err: unknown): SignInErrorCode {
  return err instanceof SignInRefused ? err.reason : 'failed';
}

/** What is kept (in a signed cookie) between sending the browser to the provider and its return. */
export interface OidcPending {
  provider: OidcProviderName;
  state: string;
  nonce: string;
  verifier?: string;
  next: string;
  redirectUri: string;
}

/** The person a provider vouched for. */
export interface OidcIdentity {
  /** The console id commands run under: "slack:T1/U2", "entra:<object id>". */
  consoleId: string;
  /** Their id on the chat platform, when it is one Rapport knows ("slack:T1/U2"), to find the same Rep. */
  platformKey?: string;
  name: string;
  email?: string;
  /** Slack sign-ins: who to ask `users.info` about (the token does not say whether they are a guest). */
  slack?: { teamId: string; userId: string };
}

const SLACK_TEAM_CLAIM = 'https://slack.com/team_id';

/**
 * Entra ID sign-ins are for members of the configured directory only (issue 14's rule: guests and
 * other organisations are outsiders). Per Microsoft's ID token claims reference: `tid` is the tenant
 * the person signed in to; the optional `acct` claim is 1 for a guest; `idp` differs from `iss` when
 * the account lives in another tenant or a personal Microsoft account (B2B guests); a guest's UPN
 * (`upn`, or `preferred_username`) contains `#EXT#`.
 * @throws SignInRefused with the reason and a sentence for the log.
 */
function refuseEntraOutsiders(claims: oidc.IDToken, tenantId: string | undefined): void {
  if (tenantId && typeof claims.tid === 'string' && claims.tid.toLowerCase() !== tenantId.toLowerCase())
    throw new SignInRefused(
      'entra-other-organisation',
      'That Microsoft account belongs to another organisation; only members of the directory Rapport serves can sign in.',
    );
  if (tenantId && typeof claims.tid !== 'string')
    throw new SignInRefused(
      'entra-no-tenant',
      'Microsoft did not say which organisation you signed in to (no tid). Start again.',
    );
  const upn = [claims.upn, claims.preferred_username].filter((v): v is string => typeof v === 'string');
  const guest =
    claims.acct === 1 ||
    claims.acct === '1' ||
    (typeof claims.idp === 'string' && claims.idp !== claims.iss) ||
    upn.some((u) => u.toUpperCase().includes('#EXT#'));
  if (guest)
    throw new SignInRefused(
      'entra-guest',
      'Guest accounts of the Microsoft directory cannot sign in to Rapport: it is for the team that runs it. Ask a member of the team if you need something.',
    );
}

/**
 * Sign-in with one OpenID Connect provider (openid-client): the authorization code flow with state,
 * nonce and PKCE (when the provider offers it). Discovery runs at the first sign-in and is cached;
 * a failed discovery is tried again at the next sign-in.
 */
export class OidcSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly provider: OidcProviderName,
    private readonly settings: OidcProviderConfig,
  ) {}

  private config(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      // Plain http only for a provider on this machine (a test or a development IdP).
      const local = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
      return oidc.discovery(
        issuer,
        this.settings.clientId,
        this.settings.clientSecret,
        undefined,
        issuer.protocol === 'http:' && local ? { execute: [oidc.allowInsecureRequests] } : undefined,
      );
    })().catch((err: Error) => {
      this.configuration = undefined;
      throw new SignInRefused(
        `${this.provider}-unreachable`,
        `Could not reach the ${this.label} sign-in service (${err.message}). Try again in a minute, or sign in with a password.`,
        'unavailable',
      );
    });
    return this.configuration;
  }

  get label(): string {
    return this.provider === 'slack' ? 'Slack' : 'Microsoft';
  }

  /** The provider's authorization URL and what to remember until the browser comes back. */
  async start(redirectUri: string, next: string): Promise<{ url: URL; pending: OidcPending }> {
    const config = await this.config();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state,
      nonce,
    };
    let verifier: string | undefined;
    if (config.serverMetadata().supportsPKCE()) {
      verifier = oidc.randomPKCECodeVerifier();
      params.code_challenge = await oidc.calculatePKCECodeChallenge(verifier);
      params.code_challenge_method = 'S256';
    }
    // Slack shows the right workspace at once (the check below is what enforces it).
    if (this.provider === 'slack' && this.settings.teamIds?.length === 1) params.team = this.settings.teamIds[0];
    return {
      url: oidc.buildAuthorizationUrl(config, params),
      pending: { provider: this.provider, state, nonce, verifier, next, redirectUri },
    };
  }

  /**
   * Exchanges the code in `callbackUrl` and checks the ID token (signature, issuer, audience, nonce,
   * state). Slack sign-ins must come from one of RAPPORT_SIGNIN_SLACK_TEAM_IDS.
   * @throws SignInRefused with the reason and a sentence for the log.
   */
  async finish(callbackUrl: URL, pending: OidcPending): Promise<OidcIdentity> {
    const config = await this.config();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      throw new SignInRefused(
        `${this.provider}-incomplete`,
        `${this.label} sign-in did not complete (${(err as Error).message}). Start again from the sign-in page.`,
      );
    }
    if (!claims?.sub)
      throw new SignInRefused(`${this.provider}-no-identity`, `${this.label} did not say who you are. Start again.`);
    const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : undefined;
    const name =
      (typeof claims.name === 'string' && claims.name) ||
      (typeof claims.preferred_username === 'string' && claims.preferred_username) ||
      email ||
      claims.sub;
    if (this.provider === 'slack') {
      const team = claims[SLACK_TEAM_CLAIM];
      if (typeof team !== 'string' || !this.settings.teamIds?.includes(team))
        throw new SignInRefused(
          'slack-other-workspace',
          'That Slack account is not in a workspace this Rapport serves. Sign in with your work Slack account.',
        );
      return {
        consoleId: `slack:${team}/${claims.sub}`,
        platformKey: `slack:${team}/${claims.sub}`,
        name,
        email,
        slack: { teamId: team, userId: claims.sub },
      };
    }
    refuseEntraOutsiders(claims, this.settings.tenantId);
    const oid = typeof claims.oid === 'string' ? claims.oid : claims.sub;
    // Teams knows the same person by this object id (activity.from.aadObjectId): one Rep for both.
    return { consoleId: `entra:${oid}`, platformKey: `teams:${oid}`, name, email };
  }
}
