import type { App } from '@slack/bolt';
import { submitFollowUpForm } from '../../../src/commands/handlers/follow-up-form.handler.ts';
import {
  FOLLOW_UP_BLOCKS,
  FOLLOW_UP_VIEW_ID,
  readFollowUpModal,
  type FollowUpModalState,
} from '../render-follow-up-modal.ts';
import { blockErrors } from '../render-log-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { servedOf } from '../outsider-gate.ts';
import { renderResultModal } from '../render-result-modal.ts';
import { publishHome } from '../publish-home.ts';

/**
 * Submission of the new-follow-up modal: the rules of `remind` (a customer, what, a future due time)
 * come back next to their fields with nothing written; otherwise the follow-up is created through the
 * follow-ups service, keyed by the view id so a retried submission creates one. The modal turns into
 * the result, and the clicker's Home tab is published again with the new follow-up and its buttons.
 */
export function registerFollowUpView(app: App, deps: SlackListenerDeps): void {
  app.view(FOLLOW_UP_VIEW_ID, async ({ ack, body, view, client, context }) => {
    const state = JSON.parse(view.private_metadata) as FollowUpModalState;
    const form = readFollowUpModal(view.state.values);
    const triggerId = `view:${view.id}`;
    const enterpriseId = servedOf(context).enterpriseId;
    const ctx = await deps.contextFor({ teamId: state.teamId, enterpriseId, userId: body.user.id, triggerId });
    // The assignee's standing (a guest, a Slack Connect member, or Slack cannot say) is checked by the
    // form like typed `assign` does (assigneeRefusal): nobody from outside becomes a Rep. The picker
    // says nothing of the person's team, so users.info decides; inside Enterprise Grid a member of
    // another of the org's workspaces is ours (the profile's enterprise_user is the org).
    const assignee =
      form.assigneeUserId && form.assigneeUserId !== body.user.id
        ? (await deps.contextFor({ teamId: state.teamId, enterpriseId, userId: form.assigneeUserId, triggerId })).actor
        : undefined;
    const result = await submitFollowUpForm(
      {
        customer: form.customer,
        title: form.title,
        dueAt: form.dueAt,
        assignee,
        requestKey: `slack:view:${state.teamId}/${view.id}`,
      },
      ctx,
      { ...deps.commands, logger: deps.logger },
    );
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: blockErrors(result.errors, FOLLOW_UP_BLOCKS) });
      return;
    }
    await ack({ response_action: 'update', view: renderResultModal(result.reply, 'New follow-up') });
    // The new follow-up, with its buttons, is on the Home tab.
    await publishHome(client, deps, { teamId: state.teamId, userId: body.user.id, triggerId }, result.reply);
  });
}
