import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import {
  type ChatAuthor,
  deleteChatMessage,
  editChatMessage,
  logChatMessage,
} from '../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../src/services/pipeline-hooks.ts';

/** When the first message of every channel was sent; each next one a minute later. */
const FIRST_SENT = new Date('2026-12-01T15:00:00Z');

/** A message logged in a customer's Slack channel: its conversation's record and its Slack `ts`. */
export interface SlackChatMessage {
  recordId: string;
  ts: string;
}

/**
 * A customer's own Slack channel (workspace T1) in tests of what the classifier learns: its people's
 * messages are logged, edited and deleted through the functions the Slack auto-logger calls
 * (logChatMessage, editChatMessage, deleteChatMessage), without Bolt. Its functions may be taken
 * apart (`const { chat, edited } = …`).
 */
export class SlackCustomerChat {
  private sent = 0;
  private edits = 0;
  /** The Slack channel id. */
  readonly channel: string;
  private readonly channelRef: string;

  /**
   * @param author who writes (the customer's side), unless a message names another
   * @param channel the Slack channel id; default: a new one
   */
  constructor(
    private readonly db: Database,
    private readonly companyId: string,
    private readonly author: ChatAuthor,
    channel = `C${randomUUID().slice(0, 8).toUpperCase()}`,
  ) {
    this.channel = channel;
    this.channelRef = `T1/${channel}`;
  }

  /**
   * Logs one inbound message: a new thread's first, or a reply in the thread whose root is `thread`
   * (its ts). Throws unless it was logged.
   * @param as.author another writer than the channel's
   * @param as.contactCompanyId whose contact the writer becomes (default: the channel's customer)
   */
  readonly chat = async (
    text: string,
    thread = '',
    as: { author?: ChatAuthor; contactCompanyId?: string } = {},
  ): Promise<SlackChatMessage> => {
    const n = this.sent++;
    const ts = `${1765000000 + n}.000100`;
    const o = await logChatMessage(
      this.db,
      {
        platform: 'slack',
        channelRef: this.channelRef,
        threadKey: thread || ts,
        messageKey: ts,
        author: as.author ?? this.author,
        direction: 'inbound',
        text,
        sentAt: new Date(FIRST_SENT.getTime() + n * 60_000),
        companyId: this.companyId,
        ...(as.contactCompanyId ? { contactCompanyId: as.contactCompanyId } : {}),
      },
      noopPipelineHooks,
    );
    if (o.status !== 'logged') throw new Error(`message not logged: ${o.status}`);
    return { recordId: o.recordId, ts };
  };

  /** Its author edits message `ts` on Slack to `text`, now (each edit later than the one before). */
  readonly edited = (ts: string, text: string) =>
    editChatMessage(
      this.db,
      {
        platform: 'slack',
        channelRef: this.channelRef,
        messageKey: ts,
        text,
        editedAt: new Date(Date.now() + this.edits++),
      },
      noopPipelineHooks,
    );

  /** Its author deletes message `ts` on Slack. */
  readonly deleted = (ts: string) =>
    deleteChatMessage(this.db, { platform: 'slack', channelRef: this.channelRef, messageKey: ts }, noopPipelineHooks);
}
