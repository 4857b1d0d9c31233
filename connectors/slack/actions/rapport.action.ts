import type { App, BlockAction, BlockElementAction } from '@slack/bolt';
import { ACTION_PREFIX, INPUT_SUFFIX, renderInputModal } from '../render-blocks.ts';
import { answerClick, type SlackListenerDeps } from '../slack-request.ts';
import { slackRequestOf } from '../outsider-gate.ts';

/**
 * Clicks on Rapport's buttons and menus (action_id `rapport:<n>`): acknowledged at once, then the
 * control's command runs as the person who clicked, exactly as if they had typed it. A button that
 * needs text first opens a small modal (views/input.view.ts finishes it).
 */
export function registerRapportActions(app: App, deps: SlackListenerDeps): void {
  app.action<BlockAction>(new RegExp(`^${ACTION_PREFIX}`), async ({ ack, body, action, client, context }) => {
    await ack();
    const command = commandOf(action);
    if (!command) return;
    const req = slackRequestOf(context, body, {
      userId: body.user.id,
      channelId: body.channel?.id,
      triggerId: body.trigger_id,
    });
    const teamId = req.teamId;
    const messageTs = body.message?.ts ?? (body.container.message_ts as string | undefined);
    if (action.action_id.endsWith(INPUT_SUFFIX)) {
      const label = action.type === 'button' ? action.text.text.replace(/…$/, '') : 'Rapport';
      await client.views.open({
        trigger_id: body.trigger_id,
        view: renderInputModal({
          title: label,
          placeholder: placeholderOf(body, action.action_id) ?? 'Type here',
          state: { command, teamId, channelId: req.channelId, messageTs, responseUrl: body.response_url },
        }),
      });
      return;
    }
    await answerClick(deps, req, {
      command,
      messageTs,
      ephemeralMessage: body.container.is_ephemeral === true,
      responseUrl: body.response_url,
    });
  });
}

function commandOf(action: BlockElementAction): string | undefined {
  if (action.type === 'button') return action.value;
  if (action.type === 'static_select' || action.type === 'overflow') return action.selected_option?.value;
  return undefined;
}

/** The input hint the renderer put in the button's accessibility label ("Change due: e.g. friday 14:00"). */
function placeholderOf(body: BlockAction, actionId: string): string | undefined {
  const blocks = (body.message?.blocks ?? []) as Array<{
    elements?: Array<{ action_id?: string; accessibility_label?: string }>;
  }>;
  const label = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId)?.accessibility_label;
  return label?.includes(': ') ? label.slice(label.indexOf(': ') + 2) : label;
}
