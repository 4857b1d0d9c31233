import type { Reply } from '../commands/reply-model.ts';
import type { CardRetraction } from '../services/posted-cards.service.ts';
import { TAKEN_BACK_TEXT } from '../services/shared-place.service.ts';

const RETRACTED_TEXT: Record<CardRetraction, string> = {
  erased: 'Erased: this card quoted a customer whose data was erased.',
  deleted: 'Removed: the message this card quoted was deleted.',
  shared: TAKEN_BACK_TEXT,
};

/**
 * What a posted card becomes when the data it quoted is gone: one line, no customer name, no quote,
 * no buttons (a click would act on nothing).
 */
export function retractedCardReply(reason: CardRetraction): Reply {
  return {
    text: RETRACTED_TEXT[reason],
    tone: 'info',
    visibility: 'channel',
  };
}
