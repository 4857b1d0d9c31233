import type { Reply } from '../commands/reply-model.ts';
import type { CardRetraction } from '../services/posted-cards.service.ts';

/**
 * What a posted card becomes when the data it quoted is gone: one line, no customer name, no quote,
 * no buttons (a click would act on nothing).
 */
export function retractedCardReply(reason: CardRetraction): Reply {
  return {
    text:
      reason === 'erased'
        ? 'Erased: this card quoted a customer whose data was erased.'
        : 'Removed: the message this card quoted was deleted.',
    tone: 'info',
    visibility: 'channel',
  };
}
