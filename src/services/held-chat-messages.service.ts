import { eraseSubjectOfThreadStartedBy, setRecordRepIfNone } from '../db/communication-record.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/db-client.ts';
import { randomUUID } from 'node:crypto';
import {
  decideHeldMessage,
  eraseHeldMessage,
  findHeldAuthorKeys,
  findHeldMessages,
  findLatestHeldMessage,
} from '../db/message.repository.ts';
import { normalizeEmail } from '../domain/normalize-company-name.ts';
import { REDACTED, withoutAuthor } from '../domain/redact-personal-data.ts';
import { findTombstonedKeys, type TombstoneKey } from './tombstones.service.ts';
import { writeAudit } from './audit.service.ts';
import { contactFor, chatMessageExternalId, type ChatPlatform } from './log-chat-message.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';

/** One author's held messages in one channel. */
export interface HeldAuthorKey {
  platform: ChatPlatform;
  channelRef: string;
  /** The message's `metadata.author` ("slack:T1/U1", "teams:<aad id>"). */
  authorKey: string;
}

/** A held author as the database remembers them: enough for a connector to ask its platform again, in any process. */
export interface HeldAuthor extends HeldAuthorKey {
  /** The channel's customer (the held record's company). */
  companyId: string | null;
  /** What the connector stored when it held the message (`metadata.heldAuthor`): Slack's workspace and user, Teams' member id and tenant. */
  lookup: Record<string, unknown>;
  authorName?: string;
}

/**
 * Asks the platform again who a held author is (the connector's side of the held-author job):
 * their decision, or undefined while the platform still cannot say (nothing is guessed).
 */
export type IdentifyHeldAuthor = (held: HeldAuthor) => Promise<AuthorDecision | undefined>;

/** Who a held message's author turned out to be. */
export type AuthorDecision =
  | { direction: 'outbound'; repId: string; email?: string }
  | {
      direction: 'inbound';
      email?: string;
      name?: string;
      /** Whose contact they become: the customer their email domain names, or none (null). */
      contactCompanyId: string | null;
      contactNote?: string;
    };

/**
 * Decides the messages held as `unknown` (logged while the platform could not say who wrote them)
 * of one author in one channel, now that a lookup said who they are: our rep's words become
 * outbound (never classified, never a contact), a customer's become inbound with their contact and
 * are queued for classification, as if they had been known from the start.
 * @returns how many messages were decided.
 */
export async function decideHeldMessages(
  db: Database,
  input: HeldAuthorKey & { decision: AuthorDecision },
  hooks: PipelineHooks,
): Promise<number> {
  const held = await findHeldMessages(db.prisma, heldWhere(input));
  if (held.length === 0) return 0;
  const d = input.decision;
  const email = d.email ? normalizeEmail(d.email) : undefined;
  // An erased person is not recorded again (as a message logged now would be skipped): their held
  // words are struck, and no contact is made, nothing classified.
  const keys: TombstoneKey[] = [{ kind: 'platform-user', value: input.authorKey }];
  if (email && d.direction === 'inbound') keys.push({ kind: 'email', value: email });
  if ((await findTombstonedKeys(db.prisma, keys)).length > 0) {
    await eraseHeldMessages(db, input, held);
    return 0;
  }
  const decided: Array<{ id: string; recordId: string }> = [];
  for (const m of held) {
    const metadata = { ...m.metadata };
    delete metadata.heldBecause;
    delete metadata.heldAuthor;
    if (d.direction === 'inbound' && d.contactNote) metadata.contactNote = d.contactNote;
    const contactId =
      d.direction === 'inbound'
        ? await contactFor(db, d.contactCompanyId, input.authorKey, d.name ?? m.authorName ?? undefined, email)
        : null;
    // Only a message still held is decided: two lookups racing decide it once. The message, its
    // record's rep and the audit entry change together, so nobody reads a decided message whose
    // record does not name the rep yet.
    const changed = await inTransaction(db, async (tx) => {
      const updated = await decideHeldMessage(tx, m.id, {
        direction: d.direction,
        contactId,
        authorEmail: email ?? null,
        metadata,
      });
      if (!updated) return false;
      if (d.direction === 'outbound') await setRecordRepIfNone(tx, m.recordId, d.repId);
      await writeAudit(tx, {
        action: 'message.author_decided',
        subject: m.recordId,
        details: { messageId: m.id, direction: d.direction, platform: input.platform },
      });
      return true;
    });
    if (!changed) continue;
    decided.push({ id: m.id, recordId: m.recordId });
  }
  // The job queued when it was logged ran already (and skipped it as held): a job of its own now.
  if (d.direction === 'inbound')
    for (const m of decided)
      if (hooks.messageEdited) await hooks.messageEdited(m.recordId, m.id, new Date());
      else await hooks.recordLogged(m.recordId, m.id);
  return decided.length;
}

/**
 * Strikes held messages of an erased author, as an erasure strikes a person's own messages in another
 * customer's thread: no text, author or platform ids left, an external id that is a hash, no longer
 * held (the held-author job no longer asks about them). Only messages still held are changed.
 */
async function eraseHeldMessages(
  db: Database,
  key: HeldAuthorKey,
  held: Array<{ id: string; recordId: string; externalId: string; metadata: Record<string, unknown> }>,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    let erased = 0;
    for (const m of held) {
      const changed = await eraseHeldMessage(tx, m.id, {
        externalId: `erased:${randomUUID().replaceAll('-', '')}`,
        text: REDACTED,
        cleanText: REDACTED,
        metadata: { ...withoutAuthor(m.metadata), erased: 'author' },
      });
      if (!changed) continue;
      erased++;
      // A thread their message started is named by its first line.
      await eraseSubjectOfThreadStartedBy(tx, { recordId: m.recordId, messageKey: m.externalId }, REDACTED);
    }
    if (erased > 0)
      await writeAudit(tx, {
        action: 'message.held_author_erased',
        details: { messages: erased, platform: key.platform },
      });
  });
}

function heldWhere(key: HeldAuthorKey) {
  return { authorKey: key.authorKey, externalIdPrefix: chatMessageExternalId(key.platform, key.channelRef, '') };
}

/** This author's latest held message in this channel, as a {@link HeldAuthor}; undefined when none is held any more. */
export async function findHeldAuthor(db: Database, key: HeldAuthorKey): Promise<HeldAuthor | undefined> {
  const m = await findLatestHeldMessage(db.prisma, heldWhere(key));
  if (!m) return undefined;
  const lookup = (m.metadata as { heldAuthor?: Record<string, unknown> }).heldAuthor ?? {};
  return { ...key, companyId: m.companyId, lookup, authorName: m.authorName ?? undefined };
}

/**
 * Every (channel, author) with messages still held, logged since `since`, at most `limit`: what the
 * held-author sweep asks about again. Read from the database, so nothing held is forgotten when a
 * process restarts or Redis loses its jobs. Only messages held with a `metadata.heldAuthor` (what the
 * connector needs to ask again) are listed.
 */
export async function listHeldAuthors(db: Database, opts: { since: Date; limit: number }): Promise<HeldAuthorKey[]> {
  const rows = await findHeldAuthorKeys(db.sql, opts);
  // The author key names its platform ("slack:T1/U1"), see platformUserKey.
  return rows.flatMap((r) => {
    const platform = r.authorKey.slice(0, r.authorKey.indexOf(':'));
    return platform === 'slack' || platform === 'teams'
      ? [{ platform: platform as ChatPlatform, channelRef: r.channelRef, authorKey: r.authorKey }]
      : [];
  });
}

/** What one retry of a held author came to. */
export type HeldRetryOutcome =
  | { status: 'none-held' }
  | { status: 'still-held' }
  | { status: 'decided'; direction: AuthorDecision['direction']; decided: number };

/**
 * One more try at a held author: when messages of theirs are still held, asks the platform (through
 * `identify`) and decides them when it can say. A rerun is harmless: decided messages are not held
 * any more, and each message is decided once (see {@link decideHeldMessages}).
 */
export async function retryHeldAuthor(
  db: Database,
  key: HeldAuthorKey,
  identify: IdentifyHeldAuthor,
  hooks: PipelineHooks,
): Promise<HeldRetryOutcome> {
  const held = await findHeldAuthor(db, key);
  if (!held) return { status: 'none-held' };
  const decision = await identify(held);
  if (!decision) return { status: 'still-held' };
  const decided = await decideHeldMessages(db, { ...key, decision }, hooks);
  return { status: 'decided', direction: decision.direction, decided };
}
