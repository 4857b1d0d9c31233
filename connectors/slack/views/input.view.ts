import type { App } from '@slack/bolt';
import { INPUT_VIEW_ID } from '../render-blocks.ts';
import { ackTypedInput } from './typed-input.ts';
import { answerClick, type SlackListenerDeps } from '../slack-request.ts';

/**
 * Submission of the free-text modal: the typed text is appended to the button's command ("due 12"
 * + "friday 14:00") and the result is answered like a click on the original message.
 */
export function registerInputView(app: App, deps: SlackListenerDeps): void {
  app.view(INPUT_VIEW_ID, async ({ ack, body, view }) => {
    const typed = await ackTypedInput(ack, view);
    if (!typed) return;
    const { text, state } = typed;
    const req = {
      teamId: state.teamId,
      userId: body.user.id,
      channelId: state.channelId,
      triggerId: `view:${view.id}:${view.hash}`,
    };
    await answerClick(deps, req, {
      command: `${state.command} ${text}`,
      messageTs: state.messageTs,
      ephemeralMessage: false,
      responseUrl: state.responseUrl,
    });
  });
}
