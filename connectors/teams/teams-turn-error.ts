import type { TurnContext } from 'botbuilder';
import type { Logger } from '../../src/logger.ts';

/**
 * The adapter's onTurnError. A proactive post (reminder, suggestion, digest, card refresh) runs as a
 * ContinueConversation turn: its failure is rethrown to the connector, which maps it to a delivery
 * code for the delivery job. (Swallowing it made a throttled post look delivered without an activity
 * id, and sent the apology below into the customer's channel.) A failed user turn is logged and the
 * user told; an invoke still gets its answer from the adapter, so a click shows no apology message.
 */
export function teamsTurnErrorHandler(logger: Logger): (context: TurnContext, err: Error) => Promise<void> {
  return async (context, err) => {
    const a = context.activity;
    if (a.type === 'event' && a.name === 'ContinueConversation') throw err;
    logger.error({ err, activityType: a.type, activityId: a.id }, 'Teams turn failed');
    if (a.type !== 'invoke')
      await context
        .sendActivity("Something went wrong on Rapport's side; the error was logged. Try again in a minute.")
        .catch(() => {});
  };
}
