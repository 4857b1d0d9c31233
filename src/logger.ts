import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the root logger; modules take `logger.child({ module })`. Secrets are redacted by path. */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rapport' },
      redact: {
        paths: [
          '*.token',
          '*.botToken',
          '*.password',
          '*.appPassword',
          '*.clientSecret',
          '*.accessToken',
          '*.refreshToken',
          '*.signingSecret',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
