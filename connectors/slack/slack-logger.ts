import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';

const format = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');

/**
 * Bolt's and the WebClient's logger interface over our pino logger, so their warnings (a request
 * that failed signature verification, a failed HTTP call) land in the same structured log.
 * The level stays pino's: Bolt's setLevel is ignored.
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
