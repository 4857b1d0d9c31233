import type { App } from '@slack/bolt';
import { HOME_INPUT_VIEW_ID } from '../actions/home.action.ts';
import { publishHome } from '../publish-home.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { servedOf } from '../outsider-gate.ts';
import { ackTypedInput } from './typed-input.ts';

/** Submission of the free-text modal opened from the Home tab: runs the button's command with the text, then re-publishes the tab with the result. */
export function registerHomeInputView(app: App, deps: SlackListenerDeps): void {
  app.view(HOME_INPUT_VIEW_ID, async ({ ack, body, view, client, context }) => {
    const typed = await ackTypedInput(ack, view);
    if (!typed) return;
    const { text, state } = typed;
    const req = { teamId: state.teamId, userId: body.user.id, triggerId: `view:${view.id}` };
    // The served org too: `assign` (Reassign…) checks the assignee as this installation sees them.
    const ctx = await deps.contextFor({ ...req, enterpriseId: servedOf(context).enterpriseId });
    const reply = await deps.run(`${state.command} ${text}`, ctx);
    await publishHome(client, deps, req, reply);
  });
}
