import type { SocketModeReceiver } from '@slack/bolt';
import type { ReadinessCheck } from '../../src/runtime/readiness.ts';
import type { Logger } from '../../src/logger.ts';

/** Slack's answers to apps.connections.open that no retry fixes (the token is wrong or dead). */
const REFUSED = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'user_removed_from_team', 'team_disabled']);

/** The sentence for a failed Socket Mode start. */
export function socketModeFailure(err: unknown): string {
  const code = (err as { data?: { error?: string } }).data?.error;
  if (code && REFUSED.has(code))
    return `Slack refused SLACK_APP_TOKEN (${code}): create an app-level token with the connections:write scope and turn on Socket Mode in the app's settings.`;
  return `Could not open the Slack Socket Mode connection (${(err as Error).message}); check SLACK_API_URL and that this machine reaches Slack.`;
}

/**
 * The Socket Mode WebSocket in the background: Rapport's other parts (mail sync, console) do not wait
 * for Slack, the Socket Mode client reconnects on its own, and /readyz says whether Slack is connected.
 */
export function socketModeConnection(
  receiver: SocketModeReceiver,
  logger: Logger,
): { start(): void; stop(): Promise<void>; readiness: ReadinessCheck } {
  let state: { ok: boolean; detail: string } = { ok: false, detail: 'connecting to Slack (Socket Mode)' };
  receiver.client.on('connected', () => {
    state = { ok: true, detail: 'connected to Slack over Socket Mode' };
  });
  receiver.client.on('reconnecting', () => {
    state = { ok: false, detail: 'reconnecting to Slack (Socket Mode)' };
  });
  return {
    start() {
      receiver.start().then(
        () => logger.info('Slack Socket Mode connected (development set-up)'),
        (err: unknown) => {
          state = { ok: false, detail: socketModeFailure(err) };
          logger.error({ err: (err as Error).message }, state.detail);
        },
      );
    },
    async stop() {
      await receiver
        .stop()
        .catch((err: Error) => logger.warn({ err: err.message }, 'Slack Socket Mode did not close cleanly'));
    },
    readiness: { name: 'slack', check: async () => state },
  };
}
