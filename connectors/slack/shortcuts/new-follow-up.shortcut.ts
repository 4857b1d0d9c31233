import type { App, GlobalShortcut } from '@slack/bolt';
import { dueTomorrowMorning } from '../../../src/domain/follow-up.ts';
import { renderFollowUpModal } from '../render-follow-up-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { slackRequestOf } from '../outsider-gate.ts';

/** callback_id of the "New follow-up" global shortcut (manifest.json features.shortcuts). */
export const NEW_FOLLOW_UP_SHORTCUT = 'new_follow_up';

/**
 * "New follow-up" from anywhere in Slack: the follow-up modal, due at the team's opening time on the
 * next working day (tomorrow 9:00 with the default hours) in the clicker's timezone, assigned to them.
 */
export function registerNewFollowUpShortcut(app: App, deps: SlackListenerDeps): void {
  app.shortcut<GlobalShortcut>(
    { callback_id: NEW_FOLLOW_UP_SHORTCUT, type: 'shortcut' },
    async ({ ack, body, client, context }) => {
      await ack();
      const req = slackRequestOf(context, body, { userId: body.user.id, triggerId: body.trigger_id });
      const teamId = req.teamId;
      const ctx = await deps.contextFor(req);
      // The team's next working morning, as a typed `remind ... tomorrow` reads it (RAPPORT_BUSINESS_HOURS/DAYS).
      const initialDue = dueTomorrowMorning(ctx.now, ctx.actor.timezone, deps.commands.businessHours);
      await client.views.open({
        trigger_id: body.trigger_id,
        view: renderFollowUpModal({ state: { teamId }, initialDue, assigneeUserId: body.user.id }),
      });
    },
  );
}
