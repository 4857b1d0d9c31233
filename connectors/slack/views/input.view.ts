import type { App } from '@slack/bolt';
import { INPUT_ACTION_ID, INPUT_BLOCK_ID, INPUT_VIEW_ID, type InputModalState } from '../render-blocks.ts';
import { answerClick, type SlackListenerDeps } from '../slack-request.ts';

/**
 * Submission of the free-text modal: the typed text is appended to the button's command ("due 12"
 * + "friday 14:00") and the result is answered like a click on the original message.
 */
export function registerInputView(app: App, deps: SlackListenerDeps): void {
  app.view(INPUT_VIEW_ID, async ({ ack, body, view }) => {
    const text = view.state.values[INPUT_BLOCK_ID]?.[INPUT_ACTION_ID]?.value?.trim();
    if (!text) {
      await ack({ response_action: 'errors', errors: { [INPUT_BLOCK_ID]: 'Type something first.' } });
      return;
    }
    await ack();
    const state = JSON.parse(view.private_metadata) as InputModalState;
    const req = { teamId: state.teamId, userId: body.user.id, channelId: state.channelId, triggerId: `view:${view.id}:${view.hash}` };
    await answerClick(deps, req, { command: `${state.command} ${text}`, messageTs: state.messageTs, ephemeralMessage: false, responseUrl: state.responseUrl });
  });
}
