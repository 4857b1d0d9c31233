import { resolve } from 'node:path';

/** Which parts of Rapport a process runs. */
export type Role = 'all' | 'web' | 'worker';

/** Validated configuration. Built once at start by {@link loadConfig}; nothing else reads process.env. */
export interface Config {
  /** HTTP port for /healthz, /readyz, /metrics, the console and the chat webhooks. Env `PORT`, default 3000. */
  port: number;
  /** Interface the HTTP server binds to. Env `HOST`, default `127.0.0.1` (all interfaces only when you set `0.0.0.0`). */
  host: string;
  /** Where the embedded database and other local state live. Env `RAPPORT_DATA_DIR`, default `./data`. */
  dataDir: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database under dataDir is used. Env `DATABASE_URL`. */
  databaseUrl: string | undefined;
  /** Redis connection string. Env `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Whether REDIS_URL was given explicitly (then Rapport never starts a private redis-server). */
  redisUrlExplicit: boolean;
  /**
   * Env `RAPPORT_PRIVATE_REDIS`: `auto` (default: start a private redis-server under the data dir when REDIS_URL is
   * unset and nothing answers at 127.0.0.1:6379), `always` (always start one; isolated demos and tests), `never`.
   */
  privateRedis: 'auto' | 'always' | 'never';
  /** BullMQ key prefix. Env `RAPPORT_QUEUE_PREFIX`, default `{rapport}` (hash tag keeps a queue's keys in one Redis Cluster slot). */
  queuePrefix: string;
  /** Env `RAPPORT_ROLE`: `all` (default), `web` (HTTP + connectors) or `worker` (jobs only). */
  role: Role;
  /** Default IANA timezone for dates and digests. Env `RAPPORT_TIMEZONE`, default `UTC`. */
  timezone: string;
  /** pino level. Env `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /** Bound on how long shutdown waits for in-flight work, ms. Env `RAPPORT_SHUTDOWN_TIMEOUT_MS`, default 10000. */
  shutdownTimeoutMs: number;
  /** Worker concurrency per queue. Env `RAPPORT_WORKER_CONCURRENCY`, default 8. */
  workerConcurrency: number;
  /** Token that lets non-local clients use /console and /api. Env `RAPPORT_CONSOLE_TOKEN`; unset = localhost only. */
  consoleToken: string | undefined;
  slack: SlackConfig | undefined;
  teams: TeamsConfig | undefined;
}

export interface SlackConfig {
  /** Env `SLACK_SIGNING_SECRET` (HTTP mode). */
  signingSecret: string | undefined;
  /** Env `SLACK_BOT_TOKEN` (single-workspace mode). */
  botToken: string | undefined;
  /** Env `SLACK_APP_TOKEN` (Socket Mode). */
  appToken: string | undefined;
  /** Env `SLACK_CLIENT_ID` / `SLACK_CLIENT_SECRET` / `SLACK_STATE_SECRET` (multi-workspace OAuth). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  stateSecret: string | undefined;
  /** Env `SLACK_API_URL`: Web API base URL, default Slack's. */
  apiUrl: string | undefined;
}

export interface TeamsConfig {
  /** Env `MICROSOFT_APP_ID`; empty = local unauthenticated traffic only (Bot Framework Emulator). */
  appId: string | undefined;
  appPassword: string | undefined;
  tenantId: string | undefined;
  appType: 'SingleTenant' | 'MultiTenant';
}

/** Thrown by {@link loadConfig} with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Rapport cannot start, the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the environment once. Collects every problem before failing so that a
 * user fixes them all in one go.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number between ${min} and ${max}, got "${raw}".`);
      return fallback;
    }
    return n;
  };

  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST') ?? '127.0.0.1';

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must start with postgresql:// (got "${redact(databaseUrl)}"); leave it unset to use the embedded database.`);
  }
  const redisUrl = str('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL must start with redis:// or rediss:// (got "${redact(redisUrl)}").`);
  }

  const roleRaw = str('RAPPORT_ROLE') ?? 'all';
  let role: Role = 'all';
  if (roleRaw === 'all' || roleRaw === 'web' || roleRaw === 'worker') role = roleRaw;
  else problems.push(`RAPPORT_ROLE must be one of all, web, worker (got "${roleRaw}").`);
  if (role !== 'all' && !databaseUrl) {
    problems.push(
      `RAPPORT_ROLE=${role} needs a shared PostgreSQL database: set DATABASE_URL. The embedded database serves one process only, so split roles need PostgreSQL.`,
    );
  }

  const privateRedis = str('RAPPORT_PRIVATE_REDIS') ?? 'auto';
  if (privateRedis !== 'auto' && privateRedis !== 'always' && privateRedis !== 'never') {
    problems.push(`RAPPORT_PRIVATE_REDIS must be auto, always or never (got "${privateRedis}").`);
  }

  const timezone = str('RAPPORT_TIMEZONE') ?? 'UTC';
  if (!isValidTimezone(timezone)) problems.push(`RAPPORT_TIMEZONE "${timezone}" is not an IANA timezone such as Europe/Berlin or America/New_York.`);

  const logLevel = str('LOG_LEVEL') ?? 'info';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')} (got "${logLevel}").`);

  const slack = readSlack(str, problems);
  const teams = readTeams(str, problems);

  const config: Config = {
    port,
    host,
    dataDir: resolve(str('RAPPORT_DATA_DIR') ?? './data'),
    databaseUrl,
    redisUrl: redisUrl ?? 'redis://127.0.0.1:6379',
    redisUrlExplicit: redisUrl !== undefined,
    privateRedis: privateRedis === 'always' || privateRedis === 'never' ? privateRedis : 'auto',
    queuePrefix: str('RAPPORT_QUEUE_PREFIX') ?? '{rapport}',
    role,
    timezone,
    logLevel,
    shutdownTimeoutMs: int('RAPPORT_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    workerConcurrency: int('RAPPORT_WORKER_CONCURRENCY', 8, 1, 256),
    consoleToken: str('RAPPORT_CONSOLE_TOKEN'),
    slack,
    teams,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readSlack(str: (n: string) => string | undefined, problems: string[]): SlackConfig | undefined {
  const c: SlackConfig = {
    signingSecret: str('SLACK_SIGNING_SECRET'),
    botToken: str('SLACK_BOT_TOKEN'),
    appToken: str('SLACK_APP_TOKEN'),
    clientId: str('SLACK_CLIENT_ID'),
    clientSecret: str('SLACK_CLIENT_SECRET'),
    stateSecret: str('SLACK_STATE_SECRET'),
    apiUrl: str('SLACK_API_URL'),
  };
  if (!c.signingSecret && !c.botToken && !c.appToken && !c.clientId) return undefined;
  if (c.botToken && !c.botToken.startsWith('xoxb-')) problems.push('SLACK_BOT_TOKEN must be a bot token starting with xoxb-.');
  if (c.appToken && !c.appToken.startsWith('xapp-')) problems.push('SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).');
  if (!c.appToken && !c.signingSecret) problems.push('Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).');
  if (!c.botToken && !c.clientId) problems.push('Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (OAuth install).');
  if (c.clientId && (!c.clientSecret || !c.stateSecret)) problems.push('Slack OAuth needs SLACK_CLIENT_SECRET and SLACK_STATE_SECRET next to SLACK_CLIENT_ID.');
  if (c.apiUrl && !/^https?:\/\//.test(c.apiUrl)) problems.push('SLACK_API_URL must be an http(s) URL such as https://slack.com/api/.');
  return c;
}

function readTeams(str: (n: string) => string | undefined, problems: string[]): TeamsConfig | undefined {
  const enabled = str('MICROSOFT_APP_ID') !== undefined || str('TEAMS_ENABLED') === 'true';
  if (!enabled) return undefined;
  const appType = str('MICROSOFT_APP_TYPE') ?? 'MultiTenant';
  if (appType !== 'SingleTenant' && appType !== 'MultiTenant') problems.push(`MICROSOFT_APP_TYPE must be SingleTenant or MultiTenant (got "${appType}").`);
  const c: TeamsConfig = {
    appId: str('MICROSOFT_APP_ID'),
    appPassword: str('MICROSOFT_APP_PASSWORD'),
    tenantId: str('MICROSOFT_APP_TENANT_ID'),
    appType: appType === 'SingleTenant' ? 'SingleTenant' : 'MultiTenant',
  };
  if (c.appId && !c.appPassword) problems.push('MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_ID is set.');
  if (c.appType === 'SingleTenant' && c.appId && !c.tenantId) problems.push('MICROSOFT_APP_TENANT_ID is required for a SingleTenant app.');
  return c;
}

/** True when `tz` is an IANA timezone this Node.js knows. */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Hides the password in a connection string for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
