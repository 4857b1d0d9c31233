import type { App } from '@slack/bolt';
import { submitLogForm } from '../../../src/commands/handlers/log-form.handler.ts';
import { blockErrors, LOG_BLOCKS, LOG_VIEW_ID, readLogModal, type LogModalState } from '../render-log-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { tellUser } from '../tell-user.ts';
import { renderResultModal } from '../render-result-modal.ts';

/**
 * Submission of the log modal. The form is checked before the acknowledgement, so a missing
 * customer, empty notes or a follow-up day in the past come back next to their fields
 * (response_action: errors) and nothing is written. Then the record is logged through the same
 * service as the typed `log`, keyed by the view id (a retried submission logs once) or by the
 * message a shortcut logs (the same message logged twice is one record). The modal turns into the
 * result, and the same reply with its buttons goes ephemerally to the channel it came from.
 */
export function registerLogView(app: App, deps: SlackListenerDeps): void {
  app.view(LOG_VIEW_ID, async ({ ack, body, view, client }) => {
    const state = JSON.parse(view.private_metadata) as LogModalState;
    const req = {
      teamId: state.teamId,
      userId: body.user.id,
      channelId: state.channelId,
      triggerId: `view:${view.id}`,
    };
    const ctx = await deps.contextFor(req);
    const input = readLogModal(view.state.values, state.sourceKey ?? `slack:view:${state.teamId}/${view.id}`);
    const result = await submitLogForm(input, ctx, { ...deps.commands, logger: deps.logger });
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: blockErrors(result.errors, LOG_BLOCKS) });
      return;
    }
    await ack({ response_action: 'update', view: renderResultModal(result.reply, 'Logged') });
    await tellUser(client, { userId: body.user.id, channelId: state.channelId }, result.reply, deps.logger);
  });
}
