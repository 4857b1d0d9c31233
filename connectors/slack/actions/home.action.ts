import type { App, BlockAction, BlockElementAction } from '@slack/bolt';
import { INPUT_SUFFIX, renderInputModal } from '../render-blocks.ts';
import { HOME_ACTION_PREFIX } from '../render-home.ts';
import { publishHome } from '../publish-home.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { slackRequestOf } from '../outsider-gate.ts';

/** callback_id of the free-text modal opened from the Home tab (views/home-input.view.ts). */
export const HOME_INPUT_VIEW_ID = 'rapport_home_input';

/**
 * Clicks on the Home tab's buttons and menus: the command runs as the clicker, exactly as typed, and
 * the tab is published again with the result on top (a Home tab has no ephemeral messages). A button
 * that needs text first (Snooze until…, Reassign) opens the same small modal as in messages.
 */
export function registerHomeActions(app: App, deps: SlackListenerDeps): void {
  app.action<BlockAction>(new RegExp(`^${HOME_ACTION_PREFIX}`), async ({ ack, body, action, client, context }) => {
    await ack();
    const command = commandOf(action);
    if (!command) return;
    const req = slackRequestOf(context, body, { userId: body.user.id, triggerId: body.trigger_id });
    const teamId = req.teamId;
    if (action.action_id.endsWith(INPUT_SUFFIX)) {
      const label = action.type === 'button' ? action.text.text.replace(/…$/, '') : 'Rapport';
      const view = renderInputModal({
        title: label,
        placeholder: placeholderOf(body, action.action_id) ?? 'Type here',
        state: { command, teamId },
      });
      await client.views.open({ trigger_id: body.trigger_id, view: { ...view, callback_id: HOME_INPUT_VIEW_ID } });
      return;
    }
    const reply = await deps.run(command, await deps.contextFor(req));
    await publishHome(client, deps, req, reply);
  });
}

function commandOf(action: BlockElementAction): string | undefined {
  if (action.type === 'button') return action.value;
  if (action.type === 'static_select' || action.type === 'overflow') return action.selected_option?.value;
  return undefined;
}

/** The input hint the renderer put in the button's accessibility label ("Snooze until: e.g. friday 14:00"), read from the Home view. */
function placeholderOf(body: BlockAction, actionId: string): string | undefined {
  const blocks = ((body.view as { blocks?: unknown[] } | undefined)?.blocks ?? []) as Array<{
    elements?: Array<{ action_id?: string; accessibility_label?: string }>;
  }>;
  const label = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId)?.accessibility_label;
  return label?.includes(': ') ? label.slice(label.indexOf(': ') + 2) : label;
}
