import { randomUUID } from 'node:crypto';
import { deleteClassificationsOfMessage } from '../db/classification.repository.ts';
import { deleteRecord, lockRecord } from '../db/communication-record.repository.ts';
import { companyExists } from '../db/company.repository.ts';
import {
  findContactByEmailOldest,
  findContactByPlatformUser,
  addPlatformUserToContact,
  insertContact,
} from '../db/contact.repository.ts';
import type { Database } from '../db/database.ts';
import { type DbClient, inTransaction } from '../db/db-client.ts';
import { findPostedFollowUpIdsOfRecord, findSuggestionIdsFromClassifications } from '../db/follow-up.repository.ts';
import {
  countMessagesOfRecord,
  deleteMessage,
  findMessageByExternalId,
  findMessageForEdit,
  updateMessageText,
} from '../db/message.repository.ts';
import { insertRecordMessage, type InsertedRecordMessage } from '../db/record-message.repository.ts';
import { platformMessageKey } from '../domain/platform-message-key.ts';
import { normalizeEmail, normalizePersonName } from '../domain/normalize-company-name.ts';
import { wordsTakenOut } from '../domain/words-taken-out.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import { dismissStaleSuggestions, postedCardsOfRecord } from './posted-cards.service.ts';
import { forgetTakenBackWords, type ForgottenWords } from './training-text.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { platformUserKey } from './reps.service.ts';
import { findTombstonedKeys, type TombstoneKey } from './tombstones.service.ts';

/** Chat platforms whose channels are auto-logged. */
export type ChatPlatform = 'slack' | 'teams' | 'console';

/** Who wrote a chat message. */
export interface ChatAuthor {
  /** The platform's user id, e.g. "T1/U2" for Slack (stored as "slack:T1/U2"). */
  platformUserId: string;
  name?: string;
  email?: string;
  /** Bot and app messages are never logged. */
  isBot: boolean;
}

/** One message seen in an auto-logged chat channel. */
export interface ChatMessageInput {
  platform: ChatPlatform;
  /** The channel as stored in ChannelLink.channelRef ("T1/C2" for Slack, the conversation id for Teams). */
  channelRef: string;
  /** The thread's root message id (Slack: thread_ts, or the message's own ts when it is top-level). One thread is one record. */
  threadKey: string;
  /** The message's id, unique within the channel (Slack: ts). Same key again = same message (Events API retries). */
  messageKey: string;
  author: ChatAuthor;
  /**
   * `outbound` for our own people (same workspace/tenant), `inbound` for the customer's. Outbound messages
   * are kept but not classified.
   */
  direction: 'inbound' | 'outbound' | 'unknown';
  /** The rep behind an outbound author, when known; the record's first one becomes its owner. */
  repId?: string;
  /** The message as the platform sent it (mrkdwn, HTML), kept verbatim. */
  text: string;
  /** Plain text for the classifier (mentions and links resolved). Default: `text`. */
  cleanText?: string;
  sentAt: Date;
  /** The customer the channel belongs to. */
  companyId: string;
  /**
   * Whose contact an inbound author becomes, when not simply the channel's customer: a person from
   * another organisation belongs to the customer their email domain names, or to none (`null`).
   * Default: `companyId`.
   */
  contactCompanyId?: string | null;
  /** Why the contact is not the channel's customer's; kept on the message's metadata (`contactNote`). */
  contactNote?: string;
  /** Extra platform data kept on Message.metadata (ids, never secrets). */
  metadata?: Record<string, unknown>;
}

export type ChatLogOutcome =
  | { status: 'logged'; recordId: string; messageId: string; newRecord: boolean }
  | { status: 'duplicate'; recordId: string; messageId: string }
  | { status: 'skipped'; reason: ChatSkipReason };

/** Why a message was not logged: a bot wrote it, it has no text, the customer was erased, or the company is gone. */
export type ChatSkipReason = 'bot' | 'empty' | 'erased' | 'unknown-company';

/** The record key of a chat thread: "<platform>:<channelRef>/<threadKey>", e.g. "slack:T1/C2/1700000000.000100". */
export function chatSourceKey(platform: ChatPlatform, channelRef: string, threadKey: string): string {
  return `${platform}:${channelRef}/${threadKey}`;
}

/** Message.externalId of a chat message: "<platform>:<channelRef>/<messageKey>". */
export function chatMessageExternalId(platform: ChatPlatform, channelRef: string, messageKey: string): string {
  return platformMessageKey(platform, channelRef, messageKey);
}

const SUBJECT_CHARS = 80;

/**
 * Logs one chat message into its thread's CommunicationRecord (a top-level message starts one, replies
 * append), idempotently by message key: the same event delivered four times is one message. Bot
 * messages, empty text, erased customers (tombstoned thread, message, author or author email) and
 * deleted companies are skipped with the reason and write nothing. An inbound author becomes (or is
 * matched to) a Contact of the company. After commit, `hooks.recordLogged` queues classification.
 * Text of any length is kept whole: a chat message is never refused for its size.
 */
export async function logChatMessage(
  db: Database,
  input: ChatMessageInput,
  hooks: PipelineHooks,
): Promise<ChatLogOutcome> {
  if (input.author.isBot) return { status: 'skipped', reason: 'bot' };
  const text = input.text.trim();
  const cleanText = (input.cleanText ?? input.text).trim();
  if (!text && !cleanText) return { status: 'skipped', reason: 'empty' };

  const sourceKey = chatSourceKey(input.platform, input.channelRef, input.threadKey);
  const externalId = chatMessageExternalId(input.platform, input.channelRef, input.messageKey);
  const authorKey = platformUserKey(input.platform, input.author.platformUserId);
  const email = input.author.email ? normalizeEmail(input.author.email) : undefined;

  const existing = await findMessageByExternalId(db.prisma, externalId);
  if (existing) return { status: 'duplicate', recordId: existing.recordId, messageId: existing.id };

  const keys: TombstoneKey[] = [
    { kind: 'source', value: sourceKey },
    { kind: 'message', value: externalId },
    { kind: 'platform-user', value: authorKey },
  ];
  if (email && input.direction === 'inbound') keys.push({ kind: 'email', value: email });
  if ((await findTombstonedKeys(db.prisma, keys)).length > 0) return { status: 'skipped', reason: 'erased' };

  if (!(await companyExists(db.prisma, input.companyId))) return { status: 'skipped', reason: 'unknown-company' };

  const contactCompanyId = input.contactCompanyId === undefined ? input.companyId : input.contactCompanyId;
  const contactId =
    input.direction === 'inbound' ? await contactFor(db, contactCompanyId, authorKey, input.author.name, email) : null;
  const messageId = randomUUID();
  let inserted: InsertedRecordMessage | undefined;
  try {
    inserted = await insertRecordMessage(db.sql, {
      // One thread is one record: the first message starts it, the others append.
      record: {
        kind: 'new',
        ifExists: 'append',
        companyId: input.companyId,
        channelKind: input.platform,
        subject: (cleanText || text).split('\n')[0].slice(0, SUBJECT_CHARS),
        sourceKey,
        repId: input.repId ?? null,
      },
      // Idempotent by external id: an Events API retry writes nothing.
      message: {
        ifExists: 'read',
        id: messageId,
        externalId,
        direction: input.direction,
        contactId,
        authorName: input.author.name ?? null,
        authorEmail: email ?? null,
        text: text || cleanText,
        cleanText: cleanText || text,
        sentAt: input.sentAt,
        metadata: {
          ...input.metadata,
          author: authorKey,
          ...(input.contactNote && input.direction === 'inbound' ? { contactNote: input.contactNote } : {}),
        },
      },
      audit: {
        action: 'message.log',
        actor: input.repId ?? null,
        platform: input.platform,
        details: { companyId: input.companyId, messageId, direction: input.direction },
      },
    });
  } catch (err) {
    // The company was erased between the check and the insert.
    if ((err as { code?: unknown }).code === '23503') return { status: 'skipped', reason: 'unknown-company' };
    throw err;
  }
  // An upserted record always takes the message, and a stored message is always read back.
  if (!inserted?.messageId) throw new Error(`message ${externalId} was neither written nor read back`);
  if (!inserted.created) return { status: 'duplicate', recordId: inserted.recordId, messageId: inserted.messageId };
  await hooks.recordLogged(inserted.recordId, inserted.messageId);
  return {
    status: 'logged',
    recordId: inserted.recordId,
    messageId: inserted.messageId,
    newRecord: inserted.newRecord,
  };
}

/** Concurrent deliveries of one author's first messages share one contact lookup-or-create in this process. */
const contactsInFlight = new Map<string, Promise<string>>();

/**
 * The contact of a chat author (platform user key, else email), created under `companyId` (or none)
 * on first sight; concurrent first messages share one lookup-or-create.
 */
export async function contactFor(
  db: Database,
  companyId: string | null,
  authorKey: string,
  name: string | undefined,
  email: string | undefined,
): Promise<string> {
  const flightKey = `${companyId}|${authorKey}`;
  const pending = contactsInFlight.get(flightKey);
  if (pending) return pending;
  const work = (async () => {
    const byId = await findContactByPlatformUser(db.prisma, authorKey);
    if (byId) return byId.id;
    if (email) {
      const byEmail = await findContactByEmailOldest(db.prisma, email);
      if (byEmail) {
        await addPlatformUserToContact(db.prisma, byEmail.id, authorKey);
        return byEmail.id;
      }
    }
    const display = name?.trim() || email || authorKey;
    const created = await insertContact(db.prisma, {
      companyId,
      name: display,
      normalizedName: normalizePersonName(display),
      emails: email ? [email] : [],
      phones: [],
      platformUserIds: [authorKey],
    });
    return created.id;
  })();
  contactsInFlight.set(flightKey, work);
  try {
    return await work;
  } finally {
    contactsInFlight.delete(flightKey);
  }
}

/** Identifies a logged chat message. */
export interface ChatMessageRef {
  platform: ChatPlatform;
  channelRef: string;
  messageKey: string;
}

export type ChatChangeOutcome =
  | { status: 'updated' | 'deleted' | 'unchanged'; recordId: string; messageId: string; recordDeleted?: boolean }
  | { status: 'not_found' };

/**
 * A message was edited on the platform: its text and cleanText are replaced and it is classified again
 * (a rep's label correction is kept). When the edit took out words (wordsTakenOut on the clean texts,
 * case-insensitive) that a correction's training text holds, the text is taken again with the new
 * words and the learned models that may have read the old ones withdrawn (forgetTakenBackWords); an
 * edit that only adds words, or takes out only words added after the text was taken, leaves the text
 * the rep labeled and the models. An edit older than the last one
 * applied (retries arrive out of order) changes nothing. A message that was never logged is `not_found`.
 */
export async function editChatMessage(
  db: Database,
  input: ChatMessageRef & {
    text: string;
    cleanText?: string;
    editedAt: Date;
    actor?: AuditActor;
    /** Metadata the edit changes (e.g. `{ teams: { html } }`, the platform's HTML of the new text); objects merge one level deep. */
    metadataPatch?: Record<string, unknown>;
  },
  hooks: PipelineHooks,
): Promise<ChatChangeOutcome> {
  const externalId = chatMessageExternalId(input.platform, input.channelRef, input.messageKey);
  const text = input.text.trim();
  const cleanText = (input.cleanText ?? input.text).trim();
  const change = randomUUID();
  let posted: string[] = [];
  const result = await inTransaction(db, async (tx) => {
    const message = await lockedMessage(tx, externalId);
    if (!message) return { status: 'not_found' as const };
    const metadata = message.metadata;
    const lastEdit = typeof metadata.editedAt === 'string' ? Date.parse(metadata.editedAt) : 0;
    const same = message.text === (text || cleanText) && message.cleanText === (cleanText || text);
    if (same || input.editedAt.getTime() <= lastEdit)
      return { status: 'unchanged' as const, recordId: message.recordId, messageId: message.id };
    await updateMessageText(tx, message.id, {
      text: text || cleanText,
      cleanText: cleanText || text,
      metadata: { ...mergeMetadata(metadata, input.metadataPatch ?? {}), editedAt: input.editedAt.toISOString() },
    });
    // After the new words are stored (the text is taken again from them), under the record's lock: the
    // words the author took back leave a correction's text and the models that may have learned them.
    const takenOut = wordsTakenOut(message.cleanText, cleanText || text);
    const training: ForgottenWords =
      takenOut.size > 0
        ? await forgetTakenBackWords(
            tx,
            {
              recordId: message.recordId,
              storedAt: message.createdAt,
              messagesLeft: 1,
              wordsTakenOut: takenOut,
              reason: 'message.edit',
            },
            input.actor,
          )
        : { trainingText: 'kept', withdrawnModels: [] };
    // The old label described the old words; a rep's correction is theirs and stays. A suggestion
    // still waiting that was made from the old words no longer fits them: dismissed with the edit.
    const staleFrom = await findSuggestionIdsFromClassifications(tx, {
      recordId: message.recordId,
      messageId: message.id,
      correctedLabel: null,
    });
    await deleteClassificationsOfMessage(tx, {
      recordId: message.recordId,
      messageId: message.id,
      correctedLabel: null,
    });
    await writeAudit(tx, {
      action: 'message.edit',
      actor: input.actor,
      subject: message.recordId,
      details: {
        messageId: message.id,
        platform: input.platform,
        trainingText: training.trainingText,
        withdrawnModels: training.withdrawnModels.length,
      },
    });
    posted = await followCards(tx, message.recordId, staleFrom, 'the message it was made from was edited', {
      hooks,
      change,
    });
    return { status: 'updated' as const, recordId: message.recordId, messageId: message.id };
  });
  if (result.status === 'updated') {
    for (const id of posted) await hooks.followUpChanged(id, change);
    if (hooks.messageEdited) await hooks.messageEdited(result.recordId, result.messageId, input.editedAt);
    else await hooks.recordLogged(result.recordId, result.messageId);
  }
  return result;
}

/**
 * A message was deleted on the platform: it is removed, and its record too when no message is left
 * (with the record's classifications, follow-ups and training examples). A correction's training text
 * that holds it is taken again from the messages left (deleted when none is), and the learned models
 * that may have read its words withdrawn (forgetTakenBackWords; none when the text held no word of
 * it). Deleting an unknown message is `not_found`.
 */
export async function deleteChatMessage(
  db: Database,
  input: ChatMessageRef & { actor?: AuditActor },
  hooks?: PipelineHooks,
): Promise<ChatChangeOutcome> {
  const externalId = chatMessageExternalId(input.platform, input.channelRef, input.messageKey);
  const known = await findMessageByExternalId(db.prisma, externalId);
  // Read first: deleting the record's last message deletes its follow-ups, which know where their cards are.
  const cards = known && hooks?.cardsRetracted ? await postedCardsOfRecord(db, known.recordId) : [];
  const change = randomUUID();
  let posted: string[] = [];
  const result = await inTransaction(db, async (tx) => {
    const message = await lockedMessage(tx, externalId);
    if (!message) return { status: 'not_found' as const };
    const staleFrom = await findSuggestionIdsFromClassifications(tx, {
      recordId: message.recordId,
      messageId: message.id,
    });
    await deleteClassificationsOfMessage(tx, { recordId: message.recordId, messageId: message.id });
    await deleteMessage(tx, message.id);
    const left = await countMessagesOfRecord(tx, message.recordId);
    // Before the record goes (its examples with it): a correction's training text that may hold the
    // words is taken again without them, and the models that may have learned them are withdrawn.
    const training = await forgetTakenBackWords(
      tx,
      {
        recordId: message.recordId,
        storedAt: message.createdAt,
        messagesLeft: left,
        wordsTakenOut: wordsTakenOut(message.cleanText),
        reason: 'message.delete',
      },
      input.actor,
    );
    if (left === 0) await deleteRecord(tx, message.recordId);
    // The conversation is gone: its cards' retractions commit with it (queued by cardsRetracted below).
    if (left === 0 && cards.length > 0) await hooks?.recordCardRetractions?.(tx, cards, 'deleted');
    // One that stays gets its cards refreshed (they quote its latest message) and loses a suggestion
    // made from the deleted message, with the deletion.
    if (left > 0 && hooks)
      posted = await followCards(tx, message.recordId, staleFrom, 'the message it was made from was deleted', {
        hooks,
        change,
      });
    await writeAudit(tx, {
      action: 'message.delete',
      actor: input.actor,
      subject: message.recordId,
      details: {
        messageId: message.id,
        platform: input.platform,
        recordDeleted: left === 0,
        trainingText: training.trainingText,
        withdrawnModels: training.withdrawnModels.length,
      },
    });
    return { status: 'deleted' as const, recordId: message.recordId, messageId: message.id, recordDeleted: left === 0 };
  });
  if (result.status === 'deleted' && hooks) {
    // Cards follow the data: a conversation gone takes its cards with it; one that stays, its refreshes.
    if (result.recordDeleted) await hooks.cardsRetracted?.(cards, 'deleted');
    else for (const id of posted) await hooks.followUpChanged(id, change);
  }
  return result;
}

/**
 * A message looked up in the transaction that changes or deletes it, its record's row held until the
 * transaction ends (lockRecord), then read again under the lock: a concurrent delete or edit of another
 * message of the record, or a rep's correction, commits before this reads or waits for it, so a
 * training text taken again here sees what they committed. Null when the message is (now) gone.
 */
async function lockedMessage(tx: DbClient, externalId: string) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const seen = await findMessageForEdit(tx, externalId);
    if (!seen) return null;
    await lockRecord(tx, seen.recordId);
    const message = await findMessageForEdit(tx, externalId);
    // Still in the record locked (a record's messages never move, but if one did: lock the new one).
    if (!message || message.recordId === seen.recordId) return message;
  }
  throw new Error(`message ${externalId} kept moving between records`);
}

/**
 * In the transaction where a message of a conversation changed or went: suggestions made from it that
 * still wait are dismissed, and the refresh of every posted card of the conversation (it quotes the
 * latest message) is written down under `change` (recordCardRefreshes), so both commit with the change.
 * @returns the follow-ups whose cards the caller refreshes after the commit (`followUpChanged(id, change)`).
 */
async function followCards(
  tx: DbClient,
  recordId: string,
  suggestionIds: string[],
  why: string,
  pipeline: { hooks: PipelineHooks; change: string },
): Promise<string[]> {
  if (suggestionIds.length > 0) await dismissStaleSuggestions(tx, { recordId, followUpIds: suggestionIds }, why);
  const posted = await findPostedFollowUpIdsOfRecord(tx, recordId);
  if (posted.length > 0) await pipeline.hooks.recordCardRefreshes?.(tx, posted, pipeline.change);
  return posted;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeMetadata(metadata: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...metadata };
  for (const [k, v] of Object.entries(patch))
    merged[k] = isPlainObject(v) && isPlainObject(metadata[k]) ? { ...metadata[k], ...v } : v;
  return merged;
}
