import { readFileSync } from 'node:fs';
import { parseSecretKey, type SecretKeys } from './secret-keys.ts';
import { DEFAULT_TRUST_PROXY, parseTrustProxy } from './trust-proxy.ts';
import { resolve } from 'node:path';
import { compileEmailFilterRules, type CompiledEmailFilterRule } from '../domain/email-filter-rules.ts';
import { parseRedisAddress, REDIS_URL_PATTERN } from '../redis/redis-address.ts';
import { parseBusinessHours, type BusinessHours } from '../domain/business-hours.ts';

/** Which parts of Rapport a process runs. */
export type Role = 'all' | 'web' | 'worker';

/** Validated configuration. Built once at start by {@link loadConfig}; nothing else reads process.env. */
export interface Config {
  /** HTTP port for /healthz, /readyz, /metrics, the console and the chat webhooks. Env `PORT`, default 3000. */
  port: number;
  /** Interface the HTTP server binds to. Env `HOST`, default `127.0.0.1` (all interfaces only when you set `0.0.0.0`). */
  host: string;
  /**
   * Whose `X-Forwarded-For` / `X-Forwarded-Proto` to believe: the load balancer's or reverse proxy's
   * addresses or ranges, or their number of hops. Env `RAPPORT_TRUST_PROXY`, default `loopback`.
   */
  trustProxy: string | number;
  /** Where the embedded database and other local state live. Env `RAPPORT_DATA_DIR`, default `./data`. */
  dataDir: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database under dataDir is used. Env `DATABASE_URL`. */
  databaseUrl: string | undefined;
  /** PostgreSQL connections per process. Env `DATABASE_POOL_SIZE`, default 10. */
  databasePoolSize: number;
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
  /**
   * Most messages a worker process classifies together (one read and one write for all of them).
   * The classify queue runs at least twice this many jobs at once per process. Env `RAPPORT_CLASSIFY_BATCH_SIZE`,
   * default 32; 1 classifies one message at a time.
   */
  classifyBatchSize: number;
  /**
   * Whether this process classifies on a worker thread of its own (the CPU-bound reading of texts;
   * the database work stays on the main thread), so Slack acks and other HTTP answers never wait
   * behind it. Env `RAPPORT_CLASSIFY_THREAD`: `auto` (default: on in role `all`, where HTTP and jobs
   * share the process; off in role `worker`, which has no acks to protect), `on` or `off`.
   */
  classifyThread: boolean;
  /**
   * Event-loop utilization (0..1) of the main thread above which the pipeline's jobs wait before they
   * start (src/concurrency/headroom-gate.ts), so a burst of Slack commands is acknowledged and answered
   * first and the jobs catch up after it (each waits 10 s at most); undefined = jobs never wait. Env `RAPPORT_JOBS_HEADROOM`:
   * `auto` (default: 0.5 in role `all`, where HTTP and jobs share the thread; off in role `worker`),
   * `off`, or a number in (0, 1].
   */
  jobsHeadroom: number | undefined;
  /**
   * Most deliveries a worker process claims (before posting) or records (after) in one statement.
   * Env `RAPPORT_DELIVERY_BATCH_SIZE`, default 16; 1 writes each delivery on its own.
   */
  deliveryBatchSize: number;
  /** Background pipeline settings. */
  pipeline: PipelineConfig;
  /** Token that lets non-local clients use /console and /api. Env `RAPPORT_CONSOLE_TOKEN`; unset = localhost only. */
  consoleToken: string | undefined;
  /** How the console signs people in: public address, session cookies, OIDC providers. See {@link ConsoleSignInConfig}. */
  signIn: ConsoleSignInConfig;
  slack: SlackConfig | undefined;
  teams: TeamsConfig | undefined;
  /** IMAP mailboxes to sync; empty when none is configured. See {@link MailboxConfig}. */
  imap: MailboxConfig[];
  /**
   * Env `IMAP_LOCK_MS`, default 30000: how long a mailbox's Redis lock lasts without renewal (renewed every
   * third of it). A holder that dies or freezes longer is taken over after about this long; one that
   * resumes after the takeover has its writes refused by the lock's fencing token. Give every process
   * of a deployment the same value.
   */
  imapLockMs: number;
  /** Env `RAPPORT_INTERNAL_DOMAINS` (comma list): your own domains; mail from them is outbound. Default: none (each mailbox's own domain always counts). */
  internalDomains: string[];
  /**
   * Env `RAPPORT_MAIL_FILTERS`: path of a JSON file with an array of mail filter rules
   * (`{"name","field":"header|sender|domain|subject","header","pattern","action":"skip|log-quietly|route|log","target","reason"}`),
   * applied to every mailbox before the shipped spam and bulk rules. Default: none.
   */
  mailFilters: CompiledEmailFilterRule[];
  /** Env `RAPPORT_MAIL_FILTERS_DEFAULTS`, default true: apply the shipped spam and bulk rules after RAPPORT_MAIL_FILTERS. */
  mailFilterDefaults: boolean;
  /**
   * Env `RAPPORT_ADMINS` (comma list): people who may run admin commands (`forget`, linking or
   * unlinking channels someone else linked), as emails (`ann@ours.example`) or platform ids
   * (`slack:T1/U123`, `U123`, a Teams AAD object id). Slack workspace admins and owners are admins
   * too; the console and the CLI act as admins. Default: none.
   */
  admins: string[];
  /**
   * Env `RAPPORT_SECRET_KEY` (32 bytes, hex or base64): seals the tokens the database keeps (OAuth2
   * refresh tokens, Slack bot tokens of OAuth installs) with AES-256-GCM. `RAPPORT_SECRET_KEY_OLD`
   * (comma-separated): earlier keys, only to open what they sealed. Default: none (stored as they are).
   */
  secretKeys: SecretKeys;
  /** Insights: response-time target, business hours, the weekly post, links to the console. */
  insights: InsightsConfig;
}

/** Settings of the insights (README, "Insights"). */
export interface InsightsConfig {
  /**
   * Opening hours response times are counted in. Env `RAPPORT_BUSINESS_HOURS` (default `09:00-17:00`) and
   * `RAPPORT_BUSINESS_DAYS` (default `mon-fri`), read in RAPPORT_TIMEZONE.
   */
  businessHours: BusinessHours;
  /** A customer waiting longer than this many business minutes for a reply misses the target. Env `RAPPORT_RESPONSE_TARGET_MINUTES`, default 240. */
  responseTargetMinutes: number;
  /**
   * When the weekly insights post goes to each team channel: `<day> HH:MM` in the channel's timezone, or
   * `off`. Env `RAPPORT_INSIGHTS_POST`, default `mon 09:00`.
   */
  weeklyPost: { weekday: number; time: string } | undefined;
  /** Base URL links to console pages start with. Env `RAPPORT_PUBLIC_URL`, default `http://127.0.0.1:<PORT>`. */
  publicUrl: string;
}

/** One OpenID Connect provider people may sign in to the console with. */
export interface OidcProviderConfig {
  /** Issuer URL; its `/.well-known/openid-configuration` is read at the first sign-in. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Slack only: the workspace ids (`T…`) whose members may sign in; anyone else is refused. */
  teamIds?: string[];
  /** Entra only: the directory (tenant) id whose members may sign in; another `tid` is refused. */
  tenantId?: string;
}

export interface ConsoleSignInConfig {
  /**
   * Env `RAPPORT_PUBLIC_URL`: the address people open Rapport at (`https://rapport.example.com`). Its
   * host is the only one besides localhost, 127.0.0.1 and [::1] the console answers to (DNS rebinding
   * protection); OIDC redirect URLs are built from it. Default: unset (local addresses only).
   */
  publicUrl: URL | undefined;
  /**
   * Env `RAPPORT_SESSION_SECRET`: the key session cookies are signed with (at least 32 characters).
   * Default: a random key created once and kept in the database (ConsoleSessionKey), shared by every web process.
   */
  sessionSecret: string | undefined;
  /** Env `RAPPORT_SESSION_HOURS`, default 12: how long a console sign-in lasts. */
  sessionHours: number;
  /**
   * "Sign in with Slack": env `RAPPORT_SIGNIN_SLACK_CLIENT_ID` / `_CLIENT_SECRET` (default `SLACK_CLIENT_ID` /
   * `SLACK_CLIENT_SECRET` when `RAPPORT_SIGNIN_SLACK_TEAM_IDS` is set), `RAPPORT_SIGNIN_SLACK_TEAM_IDS` (required,
   * comma list of workspace ids), `RAPPORT_SIGNIN_SLACK_ISSUER` (default https://slack.com). Default: off.
   */
  slack: OidcProviderConfig | undefined;
  /**
   * "Sign in with Microsoft" (Entra ID): env `RAPPORT_SIGNIN_ENTRA_CLIENT_ID` / `_CLIENT_SECRET`,
   * `RAPPORT_SIGNIN_ENTRA_TENANT_ID` (default `MICROSOFT_APP_TENANT_ID`; only that tenant's people sign in),
   * `RAPPORT_SIGNIN_ENTRA_ISSUER` (default https://login.microsoftonline.com/<tenant>/v2.0). Default: off.
   */
  entra: OidcProviderConfig | undefined;
}

export interface PipelineConfig {
  /**
   * The default team channel: where suggestions, reminders, digests and notices go for a customer
   * without a team channel (`notify <customer> here`), and where the last-step guard redirects a
   * card whose channel has people from outside the company. Env `RAPPORT_DEFAULT_CHANNEL`, default `console:team`.
   */
  defaultTarget: string;
  /** Escalate a follow-up still open this long after it was due (once). Env `RAPPORT_ESCALATE_AFTER_HOURS`, default 24. */
  escalateAfterMs: number;
  /** Local time of the daily digest, HH:MM. Env `RAPPORT_DIGEST_TIME`, default `09:00`. */
  digestTime: string;
  /** Cron pattern of the nightly retrain (in RAPPORT_TIMEZONE). Env `RAPPORT_RETRAIN_CRON`, default `0 3 * * *`. */
  retrainCron: string;
  /** How often the reconciler re-derives Redis schedules from the database. Env `RAPPORT_RECONCILE_SECONDS`, default 300. */
  reconcileIntervalMs: number;
  /**
   * Days finished deliveries, audit entries, finished jobs and resolved quarantined mail (from its
   * resolution) are kept; a nightly job deletes older ones. Audit entries of erasures are kept
   * regardless, and so are the deliveries of follow-ups still waiting or open, the records of channel
   * answers, digests and weekly posts naming a customer that still exists (its erasure takes them back) and unresolved quarantined
   * mail. `0` keeps everything. Env `RAPPORT_RETENTION_DAYS`, default 90.
   */
  retentionDays: number;
  /**
   * How often every process looks whether Redis lost its data (FLUSHALL, a restart without persistence)
   * and, if so, re-arms the reconciler. Also on every reconnect. Env `RAPPORT_REDIS_CHECK_SECONDS`, default 5.
   */
  redisCheckIntervalMs: number;
  /**
   * BullMQ job lock; a killed worker's job is retried after about this long. Also the lease a worker
   * holds on a delivery it posts. Env `RAPPORT_JOB_LOCK_MS`, default 30000.
   */
  lockDurationMs: number;
  /** How often workers check for stalled jobs. Env `RAPPORT_STALLED_INTERVAL_MS`, default 30000. */
  stalledIntervalMs: number;
}

export interface SlackConfig {
  /** Env `SLACK_SIGNING_SECRET` (HTTP mode). */
  signingSecret: string | undefined;
  /** Env `SLACK_BOT_TOKEN` (single-workspace mode). */
  botToken: string | undefined;
  /** Env `SLACK_APP_TOKEN` (Socket Mode, used when there is no SLACK_SIGNING_SECRET). */
  appToken: string | undefined;
  /** Env `SLACK_CLIENT_ID` / `SLACK_CLIENT_SECRET` / `SLACK_STATE_SECRET` (multi-workspace OAuth, when SLACK_BOT_TOKEN is unset). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  stateSecret: string | undefined;
  /**
   * Env `SLACK_TEAM_IDS`: the Slack workspaces (`T…`) and Enterprise Grid orgs (`E…`) this deployment
   * serves, a comma list. Required with OAuth installs: an install from any other workspace is refused
   * at the OAuth redirect, and an installation of another workspace stored earlier is not served.
   * Ignored with SLACK_BOT_TOKEN (the workspace served is the token's). Default: empty.
   */
  teamIds: string[];
  /** Env `SLACK_API_URL`: Web API base URL, default Slack's. */
  apiUrl: string | undefined;
  /** Env `SLACK_INSTALL_PATH`: where people start an OAuth install on the bot's HTTP server. Default `/slack/install`. */
  installPath: string;
  /**
   * Env `SLACK_REDIRECT_URI`: the public OAuth redirect URL registered with the app, e.g.
   * `https://rapport.example.com/slack/oauth_redirect`; its path is served. Default: unset (Slack uses the
   * app's only redirect URL; the path served is `/slack/oauth_redirect`).
   */
  redirectUri: string | undefined;
  /**
   * Env `SLACK_MAX_QUEUED`: acknowledged Slack requests that may wait for a worker slot (about 2 kB
   * each); past it `/crm` answers "busy, not saved" in its ack instead of queueing. Default 10000.
   */
  maxQueued: number;
  /**
   * Env `SLACK_CATCHUP_DAYS`: at start, the messages of linked Slack channels written since the newest one
   * logged (events lost while the bot was down, killed or cut off from its database; Slack sends an event
   * a few times over about an hour, then never again) are read back from the channel's history and logged,
   * at most this many days back. Default 7; 0 = off.
   */
  catchUpDays: number;
  /**
   * Env `SLACK_WORK_HEADROOM`: main-thread event-loop use (0..1, every 50 ms) above which the work after
   * an ack (running the command, its answer) waits to start, 30 s at most, so a burst's acks keep the
   * thread (slack-work-limiter.ts). `auto` (default) = 0.75, `off`, or a number in (0, 1]; undefined = off.
   */
  workHeadroom: number | undefined;
  /**
   * Env `SLACK_BURST_RATE`: Slack requests per second above which (over the last quarter second) a
   * burst starts; it ends when the last second has seen under half as many. During it the work after an
   * ack waits, whatever the event-loop use, 30 s at most: every ack goes first and the answers follow
   * it. Default 200; `off`.
   */
  burstRate: number | undefined;
}

export interface TeamsConfig {
  /** Env `MICROSOFT_APP_ID`; empty = local unauthenticated traffic only (Bot Framework Emulator). */
  appId: string | undefined;
  appPassword: string | undefined;
  /**
   * Env `MICROSOFT_APP_TENANT_ID`: our Microsoft 365 directory (tenant). Only its members are reps;
   * activities from other tenants run nothing. Required with `MICROSOFT_APP_ID` (it is never taken
   * from an activity); optional in Emulator mode, where without it nobody is ours by tenant.
   */
  tenantId: string | undefined;
  appType: 'SingleTenant' | 'MultiTenant';
  /**
   * Env `MICROSOFT_GRAPH_URL`: Microsoft Graph, where Rapport reads a conversation back to see whether
   * a post it lost track of went out. Default `https://graph.microsoft.com/v1.0` (national clouds and
   * tests set their own). Without an app id Graph is asked only when this is set, without a token.
   */
  graphUrl: string | undefined;
  /** Env `MICROSOFT_LOGIN_URL`: Microsoft Entra's token service for Graph tokens. Default `https://login.microsoftonline.com`. */
  loginUrl: string | undefined;
}

/** Thrown by {@link loadConfig} with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Rapport cannot start, the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
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
  const rawTrustProxy = str('RAPPORT_TRUST_PROXY');
  const trust = rawTrustProxy === undefined ? { value: DEFAULT_TRUST_PROXY } : parseTrustProxy(rawTrustProxy);
  if ('problem' in trust) problems.push(trust.problem);
  const trustProxy = 'value' in trust ? trust.value : DEFAULT_TRUST_PROXY;

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must start with postgresql:// (got "${redact(databaseUrl)}"); leave it unset to use the embedded database.`,
    );
  }
  const redisUrl = str('REDIS_URL');
  if (redisUrl && !REDIS_URL_PATTERN.test(redisUrl)) {
    // redis+sentinel:// and redis+cluster:// are accepted too (README, "Redis").
    problems.push(`REDIS_URL must start with redis:// or rediss:// (got "${redact(redisUrl)}").`);
  } else if (redisUrl) {
    try {
      parseRedisAddress(redisUrl);
    } catch (err) {
      problems.push((err as Error).message);
    }
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

  const classifyThreadRaw = str('RAPPORT_CLASSIFY_THREAD') ?? 'auto';
  const jobsHeadroomRaw = str('RAPPORT_JOBS_HEADROOM') ?? 'auto';
  const jobsHeadroomNumber = Number(jobsHeadroomRaw);
  const jobsHeadroom =
    jobsHeadroomRaw === 'auto'
      ? role === 'all'
        ? 0.5
        : undefined
      : jobsHeadroomRaw === 'off'
        ? undefined
        : jobsHeadroomNumber;
  if (jobsHeadroom !== undefined && !(jobsHeadroom > 0 && jobsHeadroom <= 1))
    problems.push(
      `RAPPORT_JOBS_HEADROOM must be auto, off or a number above 0 and at most 1 (got "${jobsHeadroomRaw}").`,
    );
  if (classifyThreadRaw !== 'auto' && classifyThreadRaw !== 'on' && classifyThreadRaw !== 'off')
    problems.push(`RAPPORT_CLASSIFY_THREAD must be auto, on or off (got "${classifyThreadRaw}").`);
  const privateRedis = str('RAPPORT_PRIVATE_REDIS') ?? 'auto';
  if (privateRedis !== 'auto' && privateRedis !== 'always' && privateRedis !== 'never') {
    problems.push(`RAPPORT_PRIVATE_REDIS must be auto, always or never (got "${privateRedis}").`);
  }

  const timezone = str('RAPPORT_TIMEZONE') ?? 'UTC';
  if (!isValidTimezone(timezone))
    problems.push(`RAPPORT_TIMEZONE "${timezone}" is not an IANA timezone such as Europe/Berlin or America/New_York.`);

  const logLevel = str('LOG_LEVEL') ?? 'info';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')} (got "${logLevel}").`);

  const digestTime = str('RAPPORT_DIGEST_TIME') ?? '09:00';
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(digestTime))
    problems.push(`RAPPORT_DIGEST_TIME must be a 24-hour time like 09:00 (got "${digestTime}").`);
  const defaultTarget = str('RAPPORT_DEFAULT_CHANNEL') ?? 'console:team';
  if (!/^(console|slack|teams):.+/.test(defaultTarget))
    problems.push(
      `RAPPORT_DEFAULT_CHANNEL must look like console:team, slack:T123/C456 or teams:<conversation id> (got "${defaultTarget}").`,
    );
  const retrainCron = str('RAPPORT_RETRAIN_CRON') ?? '0 3 * * *';
  if (retrainCron.split(/\s+/).length < 5)
    problems.push(`RAPPORT_RETRAIN_CRON must be a cron pattern like "0 3 * * *" (got "${retrainCron}").`);
  const pipeline: PipelineConfig = {
    defaultTarget,
    escalateAfterMs: int('RAPPORT_ESCALATE_AFTER_HOURS', 24, 0, 24 * 90) * 3_600_000,
    digestTime,
    retrainCron,
    reconcileIntervalMs: int('RAPPORT_RECONCILE_SECONDS', 300, 5, 86_400) * 1000,
    redisCheckIntervalMs: int('RAPPORT_REDIS_CHECK_SECONDS', 5, 1, 3_600) * 1000,
    retentionDays: int('RAPPORT_RETENTION_DAYS', 90, 0, 36_500),
    lockDurationMs: int('RAPPORT_JOB_LOCK_MS', 30_000, 1_000, 600_000),
    stalledIntervalMs: int('RAPPORT_STALLED_INTERVAL_MS', 30_000, 500, 600_000),
  };

  const slack = readSlack(str, problems);
  const teams = readTeams(str, problems);
  const imap = readMailboxes(str, int, problems);
  const mailFilters: CompiledEmailFilterRule[] = [];
  const filtersFile = str('RAPPORT_MAIL_FILTERS');
  if (filtersFile) {
    try {
      const compiled = compileEmailFilterRules(
        JSON.parse(readFileSync(resolve(filtersFile), 'utf8')),
        `RAPPORT_MAIL_FILTERS file ${filtersFile}`,
      );
      problems.push(...compiled.problems);
      mailFilters.push(...compiled.rules);
    } catch (err) {
      problems.push(`RAPPORT_MAIL_FILTERS file ${filtersFile} could not be read as JSON: ${(err as Error).message}.`);
    }
  }
  const filterDefaults = (str('RAPPORT_MAIL_FILTERS_DEFAULTS') ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0', 'yes', 'no'].includes(filterDefaults))
    problems.push(`RAPPORT_MAIL_FILTERS_DEFAULTS must be true or false (got "${filterDefaults}").`);
  const internalDomains = (str('RAPPORT_INTERNAL_DOMAINS') ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);

  const admins = (str('RAPPORT_ADMINS') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => (a.includes('@') ? a.toLowerCase() : a));

  const signIn = readSignIn(str, int, problems);
  const insights = readInsights(str, int, problems, timezone, port, signIn.publicUrl);

  const config: Config = {
    port,
    host,
    trustProxy,
    dataDir: resolve(str('RAPPORT_DATA_DIR') ?? './data'),
    databaseUrl,
    databasePoolSize: int('DATABASE_POOL_SIZE', 10, 1, 500),
    redisUrl: redisUrl ?? 'redis://127.0.0.1:6379',
    redisUrlExplicit: redisUrl !== undefined,
    privateRedis: privateRedis === 'always' || privateRedis === 'never' ? privateRedis : 'auto',
    queuePrefix: str('RAPPORT_QUEUE_PREFIX') ?? '{rapport}',
    role,
    timezone,
    logLevel,
    shutdownTimeoutMs: int('RAPPORT_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    workerConcurrency: int('RAPPORT_WORKER_CONCURRENCY', 8, 1, 256),
    classifyBatchSize: int('RAPPORT_CLASSIFY_BATCH_SIZE', 32, 1, 500),
    classifyThread: classifyThreadRaw === 'on' || (classifyThreadRaw !== 'off' && role === 'all'),
    jobsHeadroom,
    deliveryBatchSize: int('RAPPORT_DELIVERY_BATCH_SIZE', 16, 1, 500),
    pipeline,
    consoleToken: str('RAPPORT_CONSOLE_TOKEN'),
    signIn,
    slack,
    teams,
    imap,
    imapLockMs: int('IMAP_LOCK_MS', 30_000, 1_000, 600_000),
    internalDomains,
    mailFilters,
    mailFilterDefaults: !['false', '0', 'no'].includes(filterDefaults),
    admins,
    secretKeys: readSecretKeys(str, problems),
    insights,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readInsights(
  str: (n: string) => string | undefined,
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
  timezone: string,
  port: number,
  signInUrl: URL | undefined,
): InsightsConfig {
  const hours = parseBusinessHours(
    str('RAPPORT_BUSINESS_HOURS') ?? '09:00-17:00',
    str('RAPPORT_BUSINESS_DAYS') ?? 'mon-fri',
    isValidTimezone(timezone) ? timezone : 'UTC',
  );
  if ('problem' in hours) problems.push(hours.problem);
  const postRaw = (str('RAPPORT_INSIGHTS_POST') ?? 'mon 09:00').toLowerCase();
  let weeklyPost: InsightsConfig['weeklyPost'];
  if (postRaw !== 'off') {
    const m = /^(sun|mon|tue|wed|thu|fri|sat)\s+([01]\d|2[0-3]):([0-5]\d)$/.exec(postRaw);
    if (m)
      weeklyPost = {
        weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].indexOf(m[1]),
        time: `${m[2]}:${m[3]}`,
      };
    else problems.push(`RAPPORT_INSIGHTS_POST must look like "mon 09:00" or be off (got "${postRaw}").`);
  }
  // RAPPORT_PUBLIC_URL itself is read and checked once, with the console's sign-in settings.
  const publicUrl = (signInUrl?.href ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  return {
    businessHours:
      'problem' in hours ? { timeZone: 'UTC', startMinute: 540, endMinute: 1020, days: [1, 2, 3, 4, 5] } : hours,
    responseTargetMinutes: int('RAPPORT_RESPONSE_TARGET_MINUTES', 240, 1, 60 * 24 * 30),
    weeklyPost,
    publicUrl,
  };
}

function readSignIn(
  str: (n: string) => string | undefined,
  int: (n: string, d: number, min: number, max: number) => number,
  problems: string[],
): ConsoleSignInConfig {
  let publicUrl: URL | undefined;
  const rawUrl = str('RAPPORT_PUBLIC_URL');
  if (rawUrl) {
    try {
      publicUrl = new URL(rawUrl);
      if (publicUrl.protocol !== 'https:' && publicUrl.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      problems.push(
        `RAPPORT_PUBLIC_URL must be the address people open Rapport at, like https://rapport.example.com (got "${rawUrl}").`,
      );
      publicUrl = undefined;
    }
  }
  const sessionSecret = str('RAPPORT_SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32)
    problems.push('RAPPORT_SESSION_SECRET must be at least 32 characters (e.g. the output of `openssl rand -hex 32`).');
  const issuerOk = (name: string, value: string) => {
    try {
      new URL(value);
    } catch {
      problems.push(`${name} must be a URL (got "${value}").`);
    }
    return value;
  };
  let slack: OidcProviderConfig | undefined;
  const teamIds = (str('RAPPORT_SIGNIN_SLACK_TEAM_IDS') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const slackId = str('RAPPORT_SIGNIN_SLACK_CLIENT_ID') ?? (teamIds.length ? str('SLACK_CLIENT_ID') : undefined);
  const slackSecret =
    str('RAPPORT_SIGNIN_SLACK_CLIENT_SECRET') ?? (teamIds.length ? str('SLACK_CLIENT_SECRET') : undefined);
  if (slackId || teamIds.length) {
    if (!slackId || !slackSecret)
      problems.push(
        'Sign in with Slack needs RAPPORT_SIGNIN_SLACK_CLIENT_ID and RAPPORT_SIGNIN_SLACK_CLIENT_SECRET (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET).',
      );
    if (!teamIds.length)
      problems.push(
        'Sign in with Slack needs RAPPORT_SIGNIN_SLACK_TEAM_IDS: the workspace ids (T…) whose members may sign in; anyone with a Slack account could sign in otherwise.',
      );
    if (slackId && slackSecret && teamIds.length)
      slack = {
        issuer: issuerOk('RAPPORT_SIGNIN_SLACK_ISSUER', str('RAPPORT_SIGNIN_SLACK_ISSUER') ?? 'https://slack.com'),
        clientId: slackId,
        clientSecret: slackSecret,
        teamIds,
      };
  }
  let entra: OidcProviderConfig | undefined;
  const entraId = str('RAPPORT_SIGNIN_ENTRA_CLIENT_ID');
  if (entraId) {
    const secret = str('RAPPORT_SIGNIN_ENTRA_CLIENT_SECRET');
    const tenant = str('RAPPORT_SIGNIN_ENTRA_TENANT_ID') ?? str('MICROSOFT_APP_TENANT_ID');
    const issuer = str('RAPPORT_SIGNIN_ENTRA_ISSUER');
    if (!secret)
      problems.push(
        'Sign in with Microsoft needs RAPPORT_SIGNIN_ENTRA_CLIENT_SECRET next to RAPPORT_SIGNIN_ENTRA_CLIENT_ID.',
      );
    if (!tenant && !issuer)
      problems.push(
        'Sign in with Microsoft needs RAPPORT_SIGNIN_ENTRA_TENANT_ID (your directory id): only its people may sign in.',
      );
    if (secret && (tenant || issuer))
      entra = {
        issuer: issuerOk(
          'RAPPORT_SIGNIN_ENTRA_ISSUER',
          issuer ?? `https://login.microsoftonline.com/${encodeURIComponent(tenant ?? '')}/v2.0`,
        ),
        clientId: entraId,
        clientSecret: secret,
        ...(tenant ? { tenantId: tenant } : {}),
      };
  }
  return { publicUrl, sessionSecret, sessionHours: int('RAPPORT_SESSION_HOURS', 12, 1, 24 * 90), slack, entra };
}

function readSlack(str: (n: string) => string | undefined, problems: string[]): SlackConfig | undefined {
  const c: SlackConfig = {
    signingSecret: str('SLACK_SIGNING_SECRET'),
    botToken: str('SLACK_BOT_TOKEN'),
    appToken: str('SLACK_APP_TOKEN'),
    clientId: str('SLACK_CLIENT_ID'),
    clientSecret: str('SLACK_CLIENT_SECRET'),
    stateSecret: str('SLACK_STATE_SECRET'),
    teamIds: (str('SLACK_TEAM_IDS') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    apiUrl: str('SLACK_API_URL'),
    installPath: str('SLACK_INSTALL_PATH') ?? '/slack/install',
    redirectUri: str('SLACK_REDIRECT_URI'),
    maxQueued: Number(str('SLACK_MAX_QUEUED') ?? 10_000),
    catchUpDays: Number(str('SLACK_CATCHUP_DAYS') ?? 7),
    workHeadroom: undefined,
    burstRate: undefined,
  };
  if (!c.signingSecret && !c.botToken && !c.appToken && !c.clientId) return undefined;
  const headroomRaw = str('SLACK_WORK_HEADROOM') ?? 'auto';
  c.workHeadroom = headroomRaw === 'auto' ? 0.75 : headroomRaw === 'off' ? undefined : Number(headroomRaw);
  if (c.workHeadroom !== undefined && !(c.workHeadroom > 0 && c.workHeadroom <= 1))
    problems.push(`SLACK_WORK_HEADROOM must be auto, off or a number above 0 and at most 1 (got "${headroomRaw}").`);
  const burstRaw = str('SLACK_BURST_RATE') ?? '200';
  c.burstRate = burstRaw === 'off' ? undefined : Number(burstRaw);
  if (c.burstRate !== undefined && !(Number.isFinite(c.burstRate) && c.burstRate > 0))
    problems.push(`SLACK_BURST_RATE must be off or a number of requests per second above 0 (got "${burstRaw}").`);
  if (!Number.isInteger(c.catchUpDays) || c.catchUpDays < 0 || c.catchUpDays > 90)
    problems.push(
      `SLACK_CATCHUP_DAYS must be a whole number of days between 0 and 90, got "${str('SLACK_CATCHUP_DAYS')}".`,
    );
  if (!Number.isInteger(c.maxQueued) || c.maxQueued < 1 || c.maxQueued > 1_000_000)
    problems.push(`SLACK_MAX_QUEUED must be a whole number between 1 and 1000000, got "${str('SLACK_MAX_QUEUED')}".`);
  if (c.botToken && !c.botToken.startsWith('xoxb-'))
    problems.push('SLACK_BOT_TOKEN must be a bot token starting with xoxb-.');
  if (c.appToken && !c.appToken.startsWith('xapp-'))
    problems.push('SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).');
  if (!c.appToken && !c.signingSecret)
    problems.push('Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).');
  if (!c.botToken && !c.clientId)
    problems.push(
      'Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (OAuth install).',
    );
  if (c.clientId && (!c.clientSecret || !c.stateSecret))
    problems.push('Slack OAuth needs SLACK_CLIENT_SECRET and SLACK_STATE_SECRET next to SLACK_CLIENT_ID.');
  if (c.clientId && !c.botToken && !c.teamIds.length)
    problems.push(
      'Slack OAuth installs need SLACK_TEAM_IDS: the workspace ids (T…) and Enterprise Grid org ids (E…) Rapport serves. Without it anyone who reaches the install page could install Rapport in their own workspace and read and post your CRM data there.',
    );
  const badIds = c.teamIds.filter((id) => !/^[TE][A-Z0-9]+$/.test(id));
  if (badIds.length)
    problems.push(
      `SLACK_TEAM_IDS must list Slack workspace ids (T…) and org ids (E…), comma-separated (got "${badIds.join(', ')}").`,
    );
  if (c.apiUrl && !/^https?:\/\//.test(c.apiUrl))
    problems.push('SLACK_API_URL must be an http(s) URL such as https://slack.com/api/.');
  if (c.clientId && !c.botToken && !c.signingSecret)
    problems.push(
      'Slack OAuth installs (SLACK_CLIENT_ID) need HTTP mode: set SLACK_SIGNING_SECRET (Socket Mode is for one development workspace with SLACK_BOT_TOKEN).',
    );
  if (!c.installPath.startsWith('/'))
    problems.push(`SLACK_INSTALL_PATH must be a path starting with / (got "${c.installPath}").`);
  if (c.redirectUri && !/^https?:\/\/[^/]+\/./.test(c.redirectUri))
    problems.push(
      `SLACK_REDIRECT_URI must be the full public URL of the OAuth redirect, such as https://rapport.example.com/slack/oauth_redirect (got "${c.redirectUri}").`,
    );
  return c;
}

/** One IMAP mailbox Rapport syncs (a support or sales inbox). */
export interface MailboxConfig {
  /**
   * Env `IMAP_ADDRESS` (file key `address`): the mailbox's email address, the key of its sync cursor, its
   * lock and its email ChannelLink. Default: the login user when it is an address; set it when the login is
   * not one ("support", "DOMAIN\\user").
   */
  address: string;
  /** Env `IMAP_HOST`. */
  host: string;
  /** Env `IMAP_PORT`, default 993 when secure, else 143. */
  port: number;
  /** Env `IMAP_SECURE`: TLS from the start (true, default) or STARTTLS when offered (false). */
  secure: boolean;
  /** Env `IMAP_USER`. */
  user: string;
  /** Env `IMAP_PASSWORD`; one of password, accessToken and oauth is set. */
  password: string | undefined;
  /**
   * Env `IMAP_ACCESS_TOKEN`: a fixed OAuth2 access token (XOAUTH2) instead of a password. Such tokens
   * last about an hour; for a mailbox that keeps syncing set {@link oauth} instead.
   */
  accessToken: string | undefined;
  /** Env `IMAP_OAUTH_*` (file key `oauth`): where and how to get (and renew) OAuth2 access tokens. */
  oauth?: MailboxOAuthConfig;
  /**
   * Env `IMAP_FOLDERS` (comma list), default `INBOX,\Sent`. `\Sent` is the server's Sent folder, found
   * at each connection (RFC 6154 special-use flag, else a name such as "Sent Items" or "[Gmail]/Sent
   * Mail"): our replies there are what makes a sender a customer (IMAP_CREATE_COMPANIES=answered).
   */
  folders: string[];
  /** Env `IMAP_SINCE_DAYS`, default 30: the first sync (and a resync) imports mail whose INTERNALDATE is this recent. */
  sinceDays: number;
  /** Env `IMAP_POLL_SECONDS`, default 60: poll interval without IDLE, and how often an IDLE is refreshed. */
  pollSeconds: number;
  /** Env `IMAP_SKIP_LISTS`, default true: skip mailing-list mail (List-Id). */
  skipLists: boolean;
  /** Env `IMAP_MARK_SEEN`, default false: set \Seen on imported mail (otherwise the mailbox is opened read-only). */
  markSeen: boolean;
  /** Env `IMAP_MAX_MESSAGE_MB`, default 20: larger messages are logged with headers only. */
  maxMessageBytes: number;
  /**
   * Env `IMAP_CREATE_COMPANIES` (file key `createCompanies`): who becomes a customer. `answered` (default):
   * a company is created from mail we sent or answered, or joined by a domain a company already owns;
   * other senders are logged "unconfirmed" (no company, no suggestions) until `make customer`. `all`:
   * every first sender on a company domain creates a company.
   */
  createCompanies?: 'answered' | 'all';
  /**
   * Env `IMAP_DEFAULT_CHANNEL` (file key `defaultChannel`): where suggestions and reminders for this mailbox's
   * customers go when the customer has no linked channel, e.g. `slack:T1/C2`. Default: RAPPORT_DEFAULT_CHANNEL.
   */
  defaultChannel?: string;
}

/** In IMAP_FOLDERS: the server's Sent folder, whatever its name (found by its RFC 6154 flag or name). */
export const SENT_FOLDER = '\\Sent';

/**
 * OAuth2 for a mailbox (Microsoft 365 and Gmail turn passwords off): Rapport asks the token endpoint
 * for an access token before it connects and again before the token runs out. With a refresh token
 * it uses the `refresh_token` grant (Gmail; Microsoft delegated access); without one the
 * `client_credentials` grant (Microsoft 365 app-only access, scope `https://outlook.office365.com/.default`).
 */
export interface MailboxOAuthConfig {
  /** Env `IMAP_OAUTH_TOKEN_URL`, e.g. https://oauth2.googleapis.com/token or https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token. */
  tokenUrl: string;
  /** Env `IMAP_OAUTH_CLIENT_ID`. */
  clientId: string;
  /** Env `IMAP_OAUTH_CLIENT_SECRET` (needed by client_credentials; Google needs it with refresh tokens too). */
  clientSecret?: string;
  /** Env `IMAP_OAUTH_REFRESH_TOKEN`: the refresh_token grant; unset, client_credentials. */
  refreshToken?: string;
  /** Env `IMAP_OAUTH_SCOPE`: sent with the request (client_credentials needs it). */
  scope?: string;
}

/**
 * IMAP mailboxes from `IMAP_*` (one mailbox) and/or `RAPPORT_MAILBOXES` (a JSON file with an array of
 * objects whose keys are the MailboxConfig fields; missing fields take the `IMAP_*` values and defaults).
 */
function readMailboxes(
  str: (n: string) => string | undefined,
  int: (n: string, f: number, min: number, max: number) => number,
  problems: string[],
): MailboxConfig[] {
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}").`);
    return fallback;
  };
  const secure = bool('IMAP_SECURE', true);
  const base = {
    host: str('IMAP_HOST'),
    port: int('IMAP_PORT', secure ? 993 : 143, 1, 65535),
    secure,
    user: str('IMAP_USER'),
    password: str('IMAP_PASSWORD'),
    accessToken: str('IMAP_ACCESS_TOKEN'),
    oauth: str('IMAP_OAUTH_TOKEN_URL')
      ? {
          tokenUrl: str('IMAP_OAUTH_TOKEN_URL'),
          clientId: str('IMAP_OAUTH_CLIENT_ID'),
          clientSecret: str('IMAP_OAUTH_CLIENT_SECRET'),
          refreshToken: str('IMAP_OAUTH_REFRESH_TOKEN'),
          scope: str('IMAP_OAUTH_SCOPE'),
        }
      : undefined,
    folders: (str('IMAP_FOLDERS') ?? `INBOX,${SENT_FOLDER}`)
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
    sinceDays: int('IMAP_SINCE_DAYS', 30, 0, 36500),
    pollSeconds: int('IMAP_POLL_SECONDS', 60, 1, 3600),
    skipLists: bool('IMAP_SKIP_LISTS', true),
    markSeen: bool('IMAP_MARK_SEEN', false),
    maxMessageBytes: int('IMAP_MAX_MESSAGE_MB', 20, 1, 1024) * 1024 * 1024,
    defaultChannel: str('IMAP_DEFAULT_CHANNEL'),
    address: str('IMAP_ADDRESS'),
    createCompanies: str('IMAP_CREATE_COMPANIES') ?? 'answered',
  };
  const raw: Array<Record<string, unknown>> = [];
  const file = str('RAPPORT_MAILBOXES');
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(file), 'utf8'));
      if (!Array.isArray(parsed))
        problems.push(
          `RAPPORT_MAILBOXES file ${file} must hold a JSON array of mailboxes, e.g. [{"host":"imap.example.com","user":"support@example.com","password":"..."}].`,
        );
      else raw.push(...parsed);
    } catch (err) {
      problems.push(`RAPPORT_MAILBOXES file ${file} could not be read as JSON: ${(err as Error).message}.`);
    }
  }
  if (base.host || base.user) raw.unshift({});
  const mailboxes: MailboxConfig[] = [];
  raw.forEach((entry, i) => {
    const where =
      i === 0 && (base.host || base.user) ? 'IMAP_*' : `RAPPORT_MAILBOXES entry ${base.host || base.user ? i : i + 1}`;
    const pick = <T>(key: string, fallback: T): T => (entry[key] === undefined ? fallback : (entry[key] as T));
    const m: MailboxConfig = {
      host: pick('host', base.host ?? ''),
      port: pick('port', entry.secure === false && entry.port === undefined ? 143 : base.port),
      secure: pick('secure', base.secure),
      user: pick('user', base.user ?? ''),
      password: pick('password', base.password),
      accessToken: pick('accessToken', base.accessToken),
      oauth: pick('oauth', base.oauth) as MailboxConfig['oauth'],
      folders: pick('folders', base.folders),
      sinceDays: pick('sinceDays', base.sinceDays),
      pollSeconds: pick('pollSeconds', base.pollSeconds),
      skipLists: pick('skipLists', base.skipLists),
      markSeen: pick('markSeen', base.markSeen),
      maxMessageBytes:
        entry.maxMessageMb === undefined ? base.maxMessageBytes : Number(entry.maxMessageMb) * 1024 * 1024,
      defaultChannel: pick('defaultChannel', base.defaultChannel),
      createCompanies: pick('createCompanies', base.createCompanies) as MailboxConfig['createCompanies'],
      address: '',
    };
    // IMAP_ADDRESS names the single IMAP_* mailbox only; file entries carry their own "address".
    const fallbackAddress = i === 0 && (base.host || base.user) ? (base.address ?? m.user) : m.user;
    m.address = String(pick('address', fallbackAddress)).trim().toLowerCase();
    if (m.createCompanies !== 'answered' && m.createCompanies !== 'all')
      problems.push(
        `${where}: IMAP_CREATE_COMPANIES (or "createCompanies") must be answered or all (got "${m.createCompanies}").`,
      );
    if (!m.host)
      problems.push(`${where}: the IMAP server is missing; set IMAP_HOST (or "host"), e.g. imap.example.com.`);
    if (!m.user)
      problems.push(`${where}: the IMAP login is missing; set IMAP_USER (or "user"), e.g. support@example.com.`);
    if (!m.password && !m.accessToken && !m.oauth)
      problems.push(
        `${where}: set IMAP_PASSWORD for ${m.user || 'the mailbox'}, or OAuth2 with IMAP_OAUTH_TOKEN_URL (Microsoft 365 and Gmail need it).`,
      );
    if (m.oauth) problems.push(...oauthProblems(m.oauth, where));
    if (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535)
      problems.push(`${where}: port must be a whole number between 1 and 65535.`);
    if (!Array.isArray(m.folders) || m.folders.length === 0)
      problems.push(`${where}: folders must list at least one folder such as INBOX.`);
    else
      for (const f of m.folders.filter((f) => String(f).startsWith('\\') && f !== SENT_FOLDER))
        problems.push(
          `${where}: "${f}" is not a folder: ${SENT_FOLDER} (the server's Sent folder) is the only special-use name folders take; write other folders by name.`,
        );
    if (!/^[^\s@]+@[^\s@]+$/.test(m.address))
      problems.push(
        `${where}: "${m.address}" is not an email address; set ${where === 'IMAP_*' ? 'IMAP_ADDRESS' : '"address"'} to the mailbox's address (e.g. support@example.com).`,
      );
    if (m.defaultChannel !== undefined && !/^(console|slack|teams):.+/.test(String(m.defaultChannel))) {
      problems.push(
        `${where}: the default channel must look like console:team, slack:T123/C456 or teams:<conversation id> (got "${m.defaultChannel}").`,
      );
    }
    if (mailboxes.some((x) => x.address === m.address))
      problems.push(`${where}: mailbox ${m.address} is listed twice.`);
    mailboxes.push(m);
  });
  return mailboxes;
}

function readTeams(str: (n: string) => string | undefined, problems: string[]): TeamsConfig | undefined {
  const enabled = str('MICROSOFT_APP_ID') !== undefined || str('TEAMS_ENABLED') === 'true';
  if (!enabled) return undefined;
  const appType = str('MICROSOFT_APP_TYPE') ?? 'MultiTenant';
  if (appType !== 'SingleTenant' && appType !== 'MultiTenant')
    problems.push(`MICROSOFT_APP_TYPE must be SingleTenant or MultiTenant (got "${appType}").`);
  const c: TeamsConfig = {
    appId: str('MICROSOFT_APP_ID'),
    appPassword: str('MICROSOFT_APP_PASSWORD'),
    tenantId: str('MICROSOFT_APP_TENANT_ID'),
    appType: appType === 'SingleTenant' ? 'SingleTenant' : 'MultiTenant',
    graphUrl: str('MICROSOFT_GRAPH_URL'),
    loginUrl: str('MICROSOFT_LOGIN_URL'),
  };
  for (const [name, url] of [
    ['MICROSOFT_GRAPH_URL', c.graphUrl],
    ['MICROSOFT_LOGIN_URL', c.loginUrl],
  ] as const)
    if (url && !/^https?:\/\/[^/]/.test(url)) problems.push(`${name} must be an http(s) URL (got "${url}").`);
  if (c.appId && !c.appPassword) problems.push('MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_ID is set.');
  if (c.appId && !c.tenantId)
    problems.push(
      "MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_ID is set: set it to your Microsoft 365 directory (tenant) id (Azure portal → Microsoft Entra ID → Overview → Tenant ID). Rapport treats only that tenant's members as reps; without it anyone in any tenant who installs an app with this bot id would count as one of your people.",
    );
  return c;
}

/** What `npm run teams:package` writes into the Teams app package; no secret is needed to build it. */
export interface TeamsPackageConfig {
  /** Env `MICROSOFT_APP_ID`: the bot registration's GUID. */
  appId: string | undefined;
  /** Env `TEAMS_WEBSITE_URL`, default `https://<domain>/console`: the app's website in the Teams store listing. */
  websiteUrl: string | undefined;
  /** Env `TEAMS_PRIVACY_URL`, default the website: your privacy statement (Teams shows it before install). */
  privacyUrl: string | undefined;
  /** Env `TEAMS_TERMS_URL`, default the website: your terms of use. */
  termsUrl: string | undefined;
}

/**
 * The settings of the Teams app package alone: packaging needs the app id and public links, never
 * MICROSOFT_APP_PASSWORD (which only the running bot uses). Links must be https URLs.
 * @throws ConfigError naming every bad link.
 */
export function loadTeamsPackageConfig(env: Env = process.env): TeamsPackageConfig {
  const problems: string[] = [];
  const str = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const link = (name: string): string | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    let ok = false;
    try {
      ok = new URL(v).protocol === 'https:';
    } catch {}
    if (!ok) problems.push(`${name} must be an https:// URL that anyone can open (got "${v}").`);
    return v;
  };
  const c: TeamsPackageConfig = {
    appId: str('MICROSOFT_APP_ID'),
    websiteUrl: link('TEAMS_WEBSITE_URL'),
    privacyUrl: link('TEAMS_PRIVACY_URL'),
    termsUrl: link('TEAMS_TERMS_URL'),
  };
  if (problems.length) throw new ConfigError(problems);
  return c;
}

/** True when `tz` is an IANA timezone this Node.js knows. */
export function isValidTimezone(tz: string): boolean {
  // The default needs no ICU look-up (its first use costs a one-off CLI call tens of milliseconds).
  if (tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Hides the password in a connection string for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):([^@]+)@/, '//$1:***@');
}

/** What is wrong with a mailbox's OAuth2 settings, as sentences naming the variables. */
function oauthProblems(o: Partial<MailboxOAuthConfig>, where: string): string[] {
  const name = (env: string, key: string) => (where === 'IMAP_*' ? env : `"oauth.${key}"`);
  const problems: string[] = [];
  if (typeof o !== 'object' || o === null)
    return [`${where}: "oauth" must be an object such as {"tokenUrl": "…", "clientId": "…"}.`];
  if (!o.tokenUrl || !/^https?:\/\/[^/\s]+/.test(String(o.tokenUrl)))
    problems.push(
      `${where}: ${name('IMAP_OAUTH_TOKEN_URL', 'tokenUrl')} must be the token endpoint's URL, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token (got "${o.tokenUrl ?? ''}").`,
    );
  if (!o.clientId) problems.push(`${where}: set ${name('IMAP_OAUTH_CLIENT_ID', 'clientId')}, the app's client id.`);
  if (!o.refreshToken && (!o.clientSecret || !o.scope))
    problems.push(
      `${where}: without ${name('IMAP_OAUTH_REFRESH_TOKEN', 'refreshToken')} Rapport asks for app-only tokens (client_credentials), which need ${name('IMAP_OAUTH_CLIENT_SECRET', 'clientSecret')} and ${name('IMAP_OAUTH_SCOPE', 'scope')} (Microsoft 365: https://outlook.office365.com/.default).`,
    );
  return problems;
}

/** RAPPORT_SECRET_KEY and RAPPORT_SECRET_KEY_OLD; a malformed one is a problem with a sentence. */
function readSecretKeys(str: (name: string) => string | undefined, problems: string[]): SecretKeys {
  const read = (name: string, value: string) => {
    const { key, problem } = parseSecretKey(name, value);
    if (problem) problems.push(problem);
    return key;
  };
  const current = str('RAPPORT_SECRET_KEY');
  const old = (str('RAPPORT_SECRET_KEY_OLD') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return {
    current: current ? read('RAPPORT_SECRET_KEY', current) : undefined,
    old: old.map((v) => read('RAPPORT_SECRET_KEY_OLD', v)).filter((k): k is Buffer => k !== undefined),
  };
}
