/** Chat platforms whose messages are keyed by {@link platformMessageKey}. */
export type KeyedChatPlatform = 'slack' | 'teams' | 'console';

/**
 * The one key of a platform message, whichever way it reaches Rapport (auto-logged from a linked
 * channel, "Log to CRM" on it, or typed to the bot as a command): "<platform>:<channel>/<message id>",
 * e.g. "slack:T1/C2/1700000000.000100" or "teams:19:abc@thread.tacv2/1700000000000".
 * The conversation is part of it because message ids are only unique within one (Teams ids are
 * per-conversation timestamps: two reps' messages in two chats can share one).
 */
export function platformMessageKey(platform: KeyedChatPlatform, channelRef: string, messageId: string): string {
  return `${platform}:${channelRef}/${messageId}`;
}
