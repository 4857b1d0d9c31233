import type { ChannelKind, Platform } from '../db/generated/enums.ts';

/**
 * A conversation a rep logs "via chat" (`--via chat`, the forms' "chat") is stored as the chat tool
 * it was logged from: a Slack or Teams record, or `console` from the console and the command line.
 */
export function chatKindFor(platform: Platform): ChannelKind {
  return platform === 'slack' || platform === 'teams' ? platform : 'console';
}

/** How a record's kind reads in a sentence ("Logged a Slack chat for Acme", "Logged a call ..."). */
export function describeChannelKind(kind: ChannelKind): string {
  if (kind === 'slack') return 'Slack chat';
  if (kind === 'teams') return 'Teams chat';
  if (kind === 'console') return 'chat';
  return kind;
}
