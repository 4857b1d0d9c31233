/**
 * The conversation a Teams activity belongs to, as stored in ChannelLink.channelRef and used in
 * `teams:<id>` targets. Activities in a channel thread carry "19:…@thread.tacv2;messageid=<root id>";
 * the channel is the part before ";messageid=" (the root id is the thread, see {@link teamsThreadId}).
 */
export function teamsChannelRef(conversationId: string): string {
  const at = conversationId.indexOf(';messageid=');
  return at === -1 ? conversationId : conversationId.slice(0, at);
}

/** The root message id of the channel thread an activity is in, if the conversation id names one. */
export function teamsThreadId(conversationId: string): string | undefined {
  const at = conversationId.indexOf(';messageid=');
  return at === -1 ? undefined : conversationId.slice(at + ';messageid='.length) || undefined;
}
