import type { ModalView } from '@slack/types';
import type { Reply } from '../../src/commands/reply-model.ts';
import { renderBlocks, truncate } from './render-blocks.ts';

/** Most blocks a modal holds. */
const MODAL_BLOCK_LIMIT = 100;

/**
 * What a submitted modal turns into (response_action: update): the result, so the person sees it
 * where they clicked even when no channel can show it (a global shortcut, a channel without the bot).
 * Buttons are left out: a click inside a modal has no message to answer in; the same reply with its
 * buttons goes to the channel or the Home tab.
 */
export function renderResultModal(reply: Reply, title: string): ModalView {
  const blocks = renderBlocks(reply)
    .blocks.filter((b) => b.type !== 'actions')
    .slice(0, MODAL_BLOCK_LIMIT);
  return {
    type: 'modal',
    title: { type: 'plain_text', text: truncate(title, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks,
  };
}
