import {
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
} from 'botbuilder';
import {
  AuthenticationConstants,
  AuthenticationError,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type ClaimsIdentity,
  type ConnectorClient,
} from 'botframework-connector';
import type { TeamsConfig } from '../../src/config/env.ts';

/**
 * Where the SDK finds the Bot Framework's signing keys and token issuer, and where the bot gets its own
 * tokens. Each defaults to the public Azure cloud; the SDK takes all of them at once as soon as one is
 * given, so {@link teamsAuthentication} fills the rest with the public-cloud values.
 * Tests point `ToBotFromChannelOpenIdMetadataUrl` at a local OpenID metadata + JWKS server.
 */
export interface TeamsCloudSettings {
  /** OpenID metadata (with `jwks_uri`) of the keys that sign Bot Connector → bot tokens. Default Microsoft's. */
  ToBotFromChannelOpenIdMetadataUrl?: string;
  /** The only accepted `iss` of Bot Connector → bot tokens. Default `https://api.botframework.com`. */
  ToBotFromChannelTokenIssuer?: string;
  /** Where the bot gets its own tokens for outgoing calls. Default `https://login.microsoftonline.com/botframework.com`. */
  ToChannelFromBotLoginUrl?: string;
  /** Scope (audience) of the bot's outgoing tokens. Default `https://api.botframework.com`. */
  ToChannelFromBotOAuthScope?: string;
}

const PUBLIC_CLOUD: Required<TeamsCloudSettings> = {
  ToBotFromChannelOpenIdMetadataUrl: AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
  ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
  ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
  ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
};

/**
 * Incoming JWT validation and outgoing token acquisition for the app (no app id = both disabled), with
 * two Rapport rules on top of the SDK's:
 * - every token the SDK cannot verify is a 401: a token with a bad signature reaches the adapter as
 *   jsonwebtoken's own error, which the adapter would answer with 500 (and Teams would retry);
 * - Bot Connector calls are made without the SDK's HTTP retries (3 retries, sleeping out Retry-After on
 *   429 and backing off on 5xx inside the call): a throttled post fails at once with its status and
 *   Retry-After, so the delivery queue reschedules it and no worker sits in an SDK sleep.
 */
export function teamsAuthentication(
  teams: Pick<TeamsConfig, 'appId' | 'appPassword' | 'tenantId' | 'appType'>,
  cloud: TeamsCloudSettings = {},
): ConfigurationBotFrameworkAuthentication {
  const settings = {
    MicrosoftAppId: teams.appId,
    MicrosoftAppPassword: teams.appPassword,
    MicrosoftAppType: teams.appType,
    MicrosoftAppTenantId: teams.appType === 'SingleTenant' ? teams.tenantId : undefined,
    ...(Object.keys(cloud).length
      ? {
          ...PUBLIC_CLOUD,
          ...cloud,
          OAuthUrl: AuthenticationConstants.OAuthUrl,
          ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
          CallerId: 'urn:botframework:azure',
        }
      : {}),
  };
  const credentials = teams.appId
    ? new ConfigurationServiceClientCredentialFactory(settings)
    : new ConfigurationServiceClientCredentialFactory({});
  return new TeamsBotAuthentication(settings, credentials);
}

class TeamsBotAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    let result: AuthenticateRequestResult;
    try {
      result = await super.authenticateRequest(activity, authHeader);
    } catch (err) {
      if (isTokenRejection(err)) throw new AuthenticationError(`Unauthorized: ${(err as Error).message}`, 401);
      throw err;
    }
    return result.connectorFactory
      ? { ...result, connectorFactory: new NoRetryConnectorFactory(result.connectorFactory) }
      : result;
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new NoRetryConnectorFactory(super.createConnectorFactory(claimsIdentity));
  }
}

/** jsonwebtoken's verification failures (bad signature, malformed, not yet valid). */
function isTokenRejection(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'JsonWebTokenError' || name === 'NotBeforeError' || name === 'TokenExpiredError';
}

/** core-client's pipeline policy that retries 429 (after Retry-After), 408, 5xx and network errors. */
const SDK_RETRY_POLICY = 'defaultRetryPolicy';

class NoRetryConnectorFactory extends ConnectorFactory {
  constructor(private readonly inner: ConnectorFactory) {
    super();
  }

  override async create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    const client = await this.inner.create(serviceUrl, audience);
    // The compat ServiceClientContext keeps its core-client ServiceClient in a private field.
    const pipeline = (client as unknown as { client?: { pipeline?: { removePolicy(o: { name: string }): unknown[] } } })
      .client?.pipeline;
    if (!pipeline)
      throw new Error(
        'botframework-connector changed: ConnectorClient has no core-client pipeline to take the retry policy out of.',
      );
    pipeline.removePolicy({ name: SDK_RETRY_POLICY });
    return client;
  }
}
