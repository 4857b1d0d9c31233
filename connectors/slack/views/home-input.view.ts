import type { App } from '@slack/bolt';
import { INPUT_ACTION_ID, INPUT_BLOCK_ID, type InputModalState } from '../render-blocks.ts';
import { HOME_INPUT_VIEW_ID } from '../actions/home.action.ts';
import { publishHome } from '../publish-home.ts';
import type { SlackListenerDeps } from '../slack-request.ts';

/** Submission of the free-text modal opened from the Home tab: runs the button's command with the text, then re-publishes the tab with the result. */
export function registerHomeInputView(app: App, deps: SlackListenerDeps): void {
  app.view(HOME_INPUT_VIEW_ID, async ({ ack, body, view, client }) => {
    const text = view.state.values[INPUT_BLOCK_ID]?.[INPUT_ACTION_ID]?.value?.trim();
    if (!text) {
      await ack({ response_action: 'errors', errors: { [INPUT_BLOCK_ID]: 'Type something first.' } });
      return;
    }
    await ack();
    const state = JSON.parse(view.private_metadata) as InputModalState;
    const req = { teamId: state.teamId, userId: body.user.id, triggerId: `view:${view.id}` };
    const reply = await deps.run(`${state.command} ${text}`, await deps.contextFor(req));
    await publishHome(client, deps, req, reply);
  });
}
