import type { WebClient } from '@slack/web-api';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Logger } from '../../src/logger.ts';
import { renderBlocks } from './render-blocks.ts';

/**
 * Tells one person the result of a modal, with its buttons, ephemerally in the channel the modal came
 * from. Where the bot may not post (not invited) the modal's own result view has already said it, so
 * a refusal is only logged.
 */
export async function tellUser(
  client: WebClient,
  to: { userId: string; channelId?: string },
  reply: Reply,
  logger: Logger,
): Promise<void> {
  if (!to.channelId) return;
  try {
    await client.chat.postEphemeral({ channel: to.channelId, user: to.userId, ...renderBlocks(reply) });
  } catch (err) {
    logger.info(
      { err: (err as Error).message, channel: to.channelId },
      'ephemeral answer refused; the modal showed the result',
    );
  }
}
