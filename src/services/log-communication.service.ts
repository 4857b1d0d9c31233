import { randomUUID } from 'node:crypto';
import type { ChannelKind, CommunicationRecord, FollowUp, Message } from '../db/generated/client.ts';
import type { Database } from '../db/database.ts';
import { RapportError } from '../errors.ts';
import type { AuditActor } from './audit.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { findRecordWithFirstMessage } from '../db/communication-record.repository.ts';
import { insertRecordMessage } from '../db/record-message.repository.ts';
import { findMessageByExternalId } from '../db/message.repository.ts';
import { isUniqueViolationError } from '../db/sql-errors.ts';

/** Longest note a rep can log in one command, in characters. */
export const MAX_LOG_TEXT_CHARS = 4000;

export interface LogCommunicationInput {
  companyId: string;
  text: string;
  /** How the conversation happened. Default `note`. */
  channelKind?: ChannelKind;
  /** When it happened. Default: now. */
  occurredAt: Date;
  /** Idempotency key: a second call with the same key returns the first record and writes nothing. */
  sourceKey: string;
  /**
   * The platform message this record is about, when it is one ({@link platformMessageKey}, "Log to CRM"):
   * stored as the message's external id, so a message auto-logged before (or after) is one record,
   * not two. Default `<sourceKey>#1`.
   */
  messageExternalId?: string;
  repId: string;
  repName: string;
  actor: AuditActor;
  /** Also create a follow-up due at this time, assigned to the rep. */
  followUpAt?: Date;
  /** Where that follow-up's reminder goes when the customer has no linked channel (the channel the command came from). */
  fallbackRemindTarget?: string;
  /**
   * The message's own author when it is not the rep's note ("Log to CRM" on someone's chat message):
   * their name, direction (the customer's words are inbound and classified; our people's outbound),
   * contact and platform data (links, attachments) kept on Message.metadata. Default: an internal
   * note by `repName`.
   */
  author?: {
    name: string;
    email?: string;
    direction: 'inbound' | 'outbound' | 'unknown';
    contactId?: string | null;
    metadata?: Record<string, unknown>;
  };
}

export interface LogCommunicationResult {
  record: CommunicationRecord;
  message: Message;
  followUp?: FollowUp;
  /** False when the source key was logged before and nothing new was written. */
  created: boolean;
}

/**
 * Records a conversation (one CommunicationRecord with one Message) and, optionally, its follow-up,
 * all in one statement with the audit entry (atomic, one round trip). Idempotent by `sourceKey`. Enqueues classification
 * through `hooks` after commit.
 * @throws RapportError invalid_input for empty or too long text.
 */
export async function logCommunication(
  db: Database,
  input: LogCommunicationInput,
  hooks: PipelineHooks,
): Promise<LogCommunicationResult> {
  const text = input.text.trim();
  if (!text) throw new RapportError('invalid_input', 'Say what happened, e.g. log acme "Called Jo, wants a quote".');
  if (text.length > MAX_LOG_TEXT_CHARS) {
    throw new RapportError(
      'invalid_input',
      `That note is ${text.length} characters; the limit is ${MAX_LOG_TEXT_CHARS}. Shorten it or split it into two logs.`,
    );
  }
  if (input.messageExternalId) {
    // Logged already (auto-logged from a linked channel, or logged by another rep): that record it is.
    const logged = await findByMessage(db, input.messageExternalId);
    if (logged) return logged;
  }
  // Optimistic: one statement inserts everything unless the source key exists; only a repeat (or a
  // race with one) pays for the second read.
  let result: LogCommunicationResult;
  try {
    const firstLine = text.split('\n')[0];
    const messageId = randomUUID();
    const followUpId = randomUUID();
    const inserted = await insertRecordMessage(db.sql, {
      returnRows: true,
      record: {
        kind: 'new',
        ifExists: 'skip',
        companyId: input.companyId,
        channelKind: input.channelKind ?? 'note',
        subject: firstLine.slice(0, 80),
        sourceKey: input.sourceKey,
        repId: input.repId,
      },
      message: {
        // Another record holds this message: the unique violation below finds it.
        ifExists: 'fail',
        id: messageId,
        externalId: input.messageExternalId ?? `${input.sourceKey}#1`,
        direction: input.author?.direction ?? 'internal',
        contactId: input.author?.contactId ?? null,
        authorName: input.author?.name ?? input.repName,
        authorEmail: input.author?.email ?? null,
        text,
        cleanText: text,
        sentAt: input.occurredAt,
        metadata: input.author?.metadata ?? {},
      },
      followUp: input.followUpAt
        ? {
            id: followUpId,
            title: firstLine.slice(0, 200),
            dueAt: input.followUpAt,
            fallbackRemindTarget: input.fallbackRemindTarget ?? null,
          }
        : undefined,
      audit: {
        action: 'record.log',
        actor: input.actor.repId ?? null,
        platform: input.actor.platform ?? null,
        details: { companyId: input.companyId, messageId, followUpId: input.followUpAt ? followUpId : null },
      },
    });
    if (!inserted) {
      const existing = await findExisting(db, input.sourceKey);
      if (existing) return existing;
      throw new Error(`record ${input.sourceKey} conflicted but cannot be read back`); // erased in between; the caller retries
    }
    result = { record: inserted.record, message: inserted.message, followUp: inserted.followUp, created: true };
  } catch (err) {
    if (isUniqueViolationError(err)) {
      const raced =
        (await findExisting(db, input.sourceKey)) ?? // a retry of the same request committed first
        (input.messageExternalId ? await findByMessage(db, input.messageExternalId) : undefined); // the message was auto-logged meanwhile
      if (raced) return raced;
    }
    throw err;
  }
  await hooks.recordLogged(result.record.id, result.message.id);
  if (result.followUp) await hooks.followUpChanged(result.followUp.id);
  return result;
}

async function findExisting(db: Database, sourceKey: string): Promise<LogCommunicationResult | undefined> {
  const found = await findRecordWithFirstMessage(db.prisma, sourceKey);
  return found ? { ...found, created: false } : undefined;
}

async function findByMessage(db: Database, externalId: string): Promise<LogCommunicationResult | undefined> {
  const message = await findMessageByExternalId(db.prisma, externalId);
  return message ? findExisting(db, message.record.sourceKey) : undefined;
}
