import type { TurnContext } from 'botbuilder';
import type { Logger } from '../../src/logger.ts';
import { addressedToBot } from './teams-bot.ts';

/**
 * The adapter's onTurnError. A proactive post (reminder, suggestion, digest, card refresh) runs as a
 * ContinueConversation turn: its failure is rethrown to the connector, which maps it to a delivery
 * code for the delivery job. (Swallowing it made a throttled post look delivered without an activity
 * id, and sent the apology below into the customer's channel.) A failed user turn is logged and the
 * user told; an invoke still gets its answer from the adapter, so a click shows no apology message. A
 * failed auto-logged message (nobody addressed the bot) is logged and answered 500: no apology there.
 */
export function teamsTurnErrorHandler(logger: Logger): (context: TurnContext, err: Error) => Promise<void> {
  return async (context, err) => {
    const a = context.activity;
    if (a.type === 'event' && a.name === 'ContinueConversation') throw err;
    logger.error({ err, activityType: a.type, activityId: a.id }, 'Teams turn failed');
    // A message nobody addressed to the bot (auto-logged: the customer's words, an edit, a deletion; not
    // a card's submit) gets no apology in the customer's channel; the 500 lets Teams deliver it again
    // (the write is idempotent).
    if (
      a.type === 'messageUpdate' ||
      a.type === 'messageDelete' ||
      (a.type === 'message' && a.value === undefined && !addressedToBot(a))
    )
      throw err;
    if (a.type !== 'invoke')
      await context
        .sendActivity("Something went wrong on Rapport's side; the error was logged. Try again in a minute.")
        .catch(() => {});
  };
}
