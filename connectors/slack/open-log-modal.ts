import type { WebClient } from '@slack/web-api';
import { formatLocalDate } from '../../src/commands/form-result.ts';
import { instantToWallClock } from '../../src/domain/zoned-time.ts';
import { guessCustomer } from '../../src/services/guess-customer.service.ts';
import { customerOption, renderLogModal } from './render-log-modal.ts';
import type { SlackListenerDeps, SlackRequest } from './slack-request.ts';

/**
 * Opens the log modal for `/crm log` typed without arguments: date today in the rep's timezone, and
 * the customer prefilled when the channel is linked to one. The record is keyed by the modal's view id.
 */
export async function openLogModal(client: WebClient, deps: SlackListenerDeps, req: SlackRequest): Promise<void> {
  const [ctx, guess] = await Promise.all([
    deps.contextFor(req),
    req.channelId
      ? guessCustomer(deps.commands.db, { platform: 'slack', channelRef: `${req.teamId}/${req.channelId}` })
      : undefined,
  ]);
  await client.views.open({
    trigger_id: req.triggerId,
    view: renderLogModal({
      state: { teamId: req.teamId, channelId: req.channelId },
      today: formatLocalDate(instantToWallClock(ctx.now, ctx.actor.timezone)),
      customer: guess ? customerOption(guess.companyName, { companyId: guess.companyId }) : undefined,
    }),
  });
}
