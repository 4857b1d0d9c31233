import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';

// The WebClient's debug output prints request bodies and only hides fields named like "token":
// oauth.v2.access sends the client secret and the one-time code, so those are hidden here, and any
// Slack token that slips into a message is cut down to its prefix.
const SECRET_FIELDS = /("(?:client_secret|code|refresh_token|access_token|token)"\s*:\s*)"[^"]*"/g;
const SLACK_TOKENS = /\b(xox[a-z]|xapp)-[A-Za-z0-9-]+/g;

/** A Bolt or WebClient log message with secrets hidden. */
export function redactSlackSecrets(text: string): string {
  return text.replace(SECRET_FIELDS, '$1"[REDACTED]"').replace(SLACK_TOKENS, '$1-[REDACTED]');
}

const format = (msg: unknown[]) =>
  redactSlackSecrets(
    msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' '),
  );

/**
 * Bolt's and the WebClient's logger interface over our pino logger, so their warnings (a request
 * that failed signature verification, a failed HTTP call) land in the same structured log.
 * The level stays pino's: Bolt's setLevel is ignored. Secrets in request bodies are redacted.
 */
export function slackLogger(logger: Logger): SlackLogger {
  let name = 'slack';
  return {
    debug: (...msg) => logger.debug({ slack: name }, format(msg)),
    info: (...msg) => logger.info({ slack: name }, format(msg)),
    warn: (...msg) => logger.warn({ slack: name }, format(msg)),
    error: (...msg) => logger.error({ slack: name }, format(msg)),
    setLevel: () => {},
    getLevel: () => (logger.isLevelEnabled('debug') ? LogLevel.DEBUG : LogLevel.INFO),
    setName: (n) => {
      name = n;
    },
  };
}
