import type { App } from '@slack/bolt';
import { DeliveryError } from '../../chat-connector.ts';
import { answerViaResponseUrl, type SlackListenerDeps, type SlackRequest } from '../slack-request.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { openLogModal } from '../open-log-modal.ts';
import { ackedByGate, slackRequestOf } from '../outsider-gate.ts';
import { slackCommandText } from '../slack-text.ts';
import { rememberDirectPost } from '../../../src/services/shared-place.service.ts';

/** The ack's answer when Rapport sheds load; the word "busy" is what bench:slack counts. */
export const SLACK_BUSY_SENTENCE =
  'Rapport is very busy right now and did not save this. Please send the same command again in a minute.';

/** The slash command in manifest.json. */
export const CRM_COMMAND = '/crm';

/**
 * `/crm <text>`: acknowledged at once (Slack gives 3 seconds), then run as a command of the shared
 * grammar. The reply goes to the requester only, unless the command answers for the channel
 * (visibility 'channel'); when the bot may not post there it tells the requester how to fix that.
 * `/crm log` with nothing after it opens the log modal (open-log-modal.ts).
 */
export function registerCrmCommand(app: App, deps: SlackListenerDeps): void {
  app.command(CRM_COMMAND, async ({ command, ack, client, context, body }) => {
    // Shed, don't stall: Slack shows the ack's text at once and does not retry slash commands, so a
    // sentence now beats a timeout later (and the backlog's memory stays bounded).
    // The outsider gate may have acknowledged already (a slow check of the person): then Bolt refuses a
    // second ack, and what the ack would have said goes through the response_url.
    const acked = ackedByGate(context);
    if (deps.busy?.()) {
      if (acked)
        await answerViaResponseUrl(command.response_url, { tone: 'error', text: SLACK_BUSY_SENTENCE }, 'ephemeral');
      else await ack({ response_type: 'ephemeral', text: SLACK_BUSY_SENTENCE });
      return;
    }
    if (!acked) await ack();
    const req = slackRequestOf(context, body, {
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
    });
    // What the person typed: Slack sends typed addresses and domains as links and escapes & < >.
    const typed = slackCommandText(command.text);
    // `/crm log` alone opens the log form instead of a usage error.
    if (/^log$/i.test(typed)) {
      await openLogModal(client, deps, req);
      return;
    }
    const text = typed || 'help';
    const responseUrl = command.response_url;
    const answer = async (run: (text: string, ctx: CommandContext) => Promise<Reply>) =>
      answerCommand(deps, req, responseUrl, await run(text, await deps.contextFor(req)));
    // The answer has Slack's 30 minutes (response_url), the ack had 3 s: the work waits its turn on
    // its own, holding a few strings rather than this request (a burst's backlog stays small).
    if (deps.detach && deps.execute) {
      const execute = deps.execute;
      deps.detach(() => answer(execute));
    } else await answer(deps.run);
  });
}

/**
 * Says a command's reply where it belongs: in the channel when it answers for it and only the company
 * reads there, else to the requester. An answer posted in the channel is recorded (rememberDirectPost)
 * with the customers it names, so that it is taken back if the channel becomes shared later or one of
 * them is erased.
 */
async function answerCommand(
  deps: SlackListenerDeps,
  req: SlackRequest,
  responseUrl: string,
  reply: Reply,
): Promise<void> {
  if (reply.visibility === 'channel') {
    // Said in the channel only where only the company reads it (the last-step guard's answer).
    const target = `slack:${req.teamId}/${req.channelId}`;
    if ((await deps.connector.audience(target)) !== 'internal')
      reply.footer = 'Only you can see this: this channel has people from outside the company.';
    else
      try {
        const { externalId } = await deps.connector.post(target, reply);
        await rememberDirectPost(
          deps.commands.db,
          { target, externalId, about: reply.about },
          deps.logger,
          deps.commands.hooks,
        );
        return;
      } catch (err) {
        if (!(err instanceof DeliveryError) || err.code !== 'not_found') throw err;
        reply.footer = `Only you can see this: invite @Rapport to this channel (/invite @Rapport) to share answers here.`;
      }
  }
  await answerViaResponseUrl(responseUrl, reply, 'ephemeral');
}
