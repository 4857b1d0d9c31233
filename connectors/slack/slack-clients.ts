import { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';
import { DeliveryError, type ConnectorHealth } from '../chat-connector.ts';
import type { SlackInstallationStore } from './installation-store.ts';
import { slackLogger } from './slack-logger.ts';

/**
 * Web API clients per Slack workspace: one bot token for every workspace (SLACK_BOT_TOKEN), or each
 * workspace's own token from its OAuth installation.
 */
export interface SlackWorkspaceClients {
  /** For posts and updates: no retries of its own (the delivery job owns retries). @throws DeliveryError auth when Rapport is not installed there. */
  posting(teamId: string): Promise<WebClient>;
  /** For reads and modals while answering a request: a couple of quick retries. @throws DeliveryError auth when Rapport is not installed there. */
  reading(teamId: string): Promise<WebClient>;
  /** Slack refused this workspace's token: look it up again next time (it may have been reinstalled). */
  forget(teamId: string): void;
  /**
   * One bot token: the only workspace (and its Enterprise Grid org) this deployment serves, from
   * auth.test (asked once; again after a failure). Absent with OAuth installs, where a workspace is
   * served when it has an installation.
   */
  servedWorkspace?(): Promise<{ teamId: string; enterpriseId?: string }>;
  health(): Promise<ConnectorHealth>;
}

interface ClientOptions {
  apiUrl?: string;
  logger?: Logger;
  timeoutMs?: number;
}

/**
 * A Web API client for posting on behalf of the delivery job: no retries of its own (the job owns
 * retries, backoff and the idempotency record) and rate limits reported instead of waited out, so
 * one 429 does not hold a worker slot while Slack cools down.
 */
export function createPostingClient(opts: { token: string } & ClientOptions): WebClient {
  return new WebClient(opts.token, {
    ...(opts.logger ? { logger: slackLogger(opts.logger) } : {}),
    slackApiUrl: slackApiUrl(opts.apiUrl),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 10_000,
  });
}

/**
 * Reads (users.info, the catch-up's history) and modals may retry on their own: a person is waiting for
 * the answer. Each try gives up after `timeoutMs` (10 s): a connection Slack leaves hanging must not hold
 * a command, or the catch-up's lock, for good.
 */
export function createReadingClient(opts: { token: string } & ClientOptions): WebClient {
  return new WebClient(opts.token, {
    ...(opts.logger ? { logger: slackLogger(opts.logger) } : {}),
    slackApiUrl: slackApiUrl(opts.apiUrl),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: opts.timeoutMs ?? 10_000,
  });
}

/** The Web API base URL with the trailing slash the WebClient expects. */
export function slackApiUrl(apiUrl: string | undefined): string | undefined {
  if (!apiUrl) return undefined;
  return apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
}

/** One bot token (SLACK_BOT_TOKEN) for every workspace a target names. */
export function singleWorkspaceClients(token: string, opts: ClientOptions = {}): SlackWorkspaceClients {
  const reading = createReadingClient({ token, ...opts });
  return { ...singleWorkspaceClientsOf(createPostingClient({ token, ...opts })), reading: async () => reading };
}

/** Wraps one existing posting client (tests, and callers that built their own). */
export function singleWorkspaceClientsOf(client: WebClient): SlackWorkspaceClients {
  let served: Promise<{ teamId: string; enterpriseId?: string }> | undefined;
  return {
    servedWorkspace() {
      served ??= client.auth.test().then(
        (res) => ({ teamId: String(res.team_id), ...(res.enterprise_id ? { enterpriseId: res.enterprise_id } : {}) }),
        (err: unknown) => {
          served = undefined;
          throw err;
        },
      );
      return served;
    },
    posting: async () => client,
    reading: async () => client,
    forget: () => {},
    async health() {
      const res = await client.auth.test();
      return { ok: true, detail: `connected as @${res.user ?? 'unknown'} in ${res.team ?? 'the workspace'}` };
    },
  };
}

/**
 * Each workspace's own bot token from the installation store (OAuth installs). Clients are kept per
 * token, so a reinstall (new token) gets fresh clients and an uninstalled workspace gets none.
 */
export function installedWorkspaceClients(
  store: SlackInstallationStore,
  opts: ClientOptions & { orgTeamsCacheMs?: number } = {},
): SlackWorkspaceClients {
  const byToken = new Map<string, { posting: WebClient; reading: WebClient }>();
  const orgTeams = new Map<string, { teams: string[]; expiresAt: number }>();
  // Which workspaces an org-wide install covers: asked of Slack (auth.teams.list, no scope needed), kept 5 minutes.
  const teamsOf = async (org: { installKey: string; botToken: string }): Promise<string[]> => {
    const hit = orgTeams.get(org.botToken);
    if (hit && hit.expiresAt > Date.now()) return hit.teams;
    const teams: string[] = [];
    try {
      const client = createReadingClient({ token: org.botToken, ...opts });
      let cursor: string | undefined;
      do {
        const page = await client.auth.teams.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
        teams.push(...(page.teams ?? []).map((t) => t.id).filter((id): id is string => typeof id === 'string'));
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (err) {
      opts.logger?.warn(
        { installKey: org.installKey, err: (err as Error).message },
        'Could not list the workspaces of an org-wide Slack install',
      );
      return [];
    }
    if (orgTeams.size >= 1_000) orgTeams.clear();
    orgTeams.set(org.botToken, { teams, expiresAt: Date.now() + (opts.orgTeamsCacheMs ?? 300_000) });
    return teams;
  };
  const clientsFor = async (teamId: string) => {
    const token = await store.botTokenForTeam(teamId, teamsOf);
    if (!token)
      throw new DeliveryError(
        'auth',
        `Rapport is not installed in Slack workspace ${teamId} (it was uninstalled, or never installed): install it again at /slack/install.`,
      );
    let clients = byToken.get(token);
    if (!clients) {
      if (byToken.size >= 1_000) byToken.clear();
      clients = { posting: createPostingClient({ token, ...opts }), reading: createReadingClient({ token, ...opts }) };
      byToken.set(token, clients);
    }
    return clients;
  };
  return {
    posting: async (teamId) => (await clientsFor(teamId)).posting,
    reading: async (teamId) => (await clientsFor(teamId)).reading,
    forget: (teamId) => store.forgetTeam(teamId),
    async health() {
      const n = await store.count();
      return n > 0
        ? { ok: true, detail: `installed in ${n} Slack workspace${n === 1 ? '' : 's'} or org${n === 1 ? '' : 's'}` }
        : { ok: true, detail: 'not installed in any Slack workspace yet: open /slack/install' };
    },
  };
}
