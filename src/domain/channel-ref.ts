import type { Platform } from '../db/generated/enums.ts';

/** A chat channel as stored in a link and as connectors address it. */
export interface ChannelRef {
  platform: Platform;
  /** Platform channel id as stored in ChannelLink.channelRef ("T1/C2" for Slack, the conversation id for Teams, "team" for the console). */
  channelRef: string;
  /** Target string connectors post to (see connectors/chat-connector.ts), e.g. "slack:T1/C2". */
  target: string;
}
