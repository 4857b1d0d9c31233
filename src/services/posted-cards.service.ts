import { unlinkAddressedChannelsOf } from '../db/channel-link.repository.ts';
import type { Database } from '../db/database.ts';
import {
  dismissSuggestion,
  findFollowUpIdsOfCompany,
  findFollowUpIdsOfRecord,
  findWaitingSuggestionIds,
} from '../db/follow-up.repository.ts';
import { findPostedCards, type PostedCard } from '../db/posted-card.repository.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/**
 * Why posted cards are taken back: the customer was erased (`forget`), the message they quoted was
 * deleted, or the place they are in is now shared with people outside the company.
 */
export type CardRetraction = 'erased' | 'deleted' | 'shared';

/**
 * The cards posted about a customer (its follow-ups and those of its records): read before an
 * erasure deletes the follow-ups that know where they were posted.
 */
export async function postedCardsOfCompany(db: Database, companyId: string): Promise<PostedCard[]> {
  return findPostedCards(db.sql, await findFollowUpIdsOfCompany(db.prisma, companyId));
}

/** The cards posted about one conversation (its follow-ups). */
export async function postedCardsOfRecord(db: Database, recordId: string): Promise<PostedCard[]> {
  return findPostedCards(db.sql, await findFollowUpIdsOfRecord(db.prisma, recordId));
}

/**
 * Dismisses the suggestions still waiting for Accept/Dismiss that no longer fit their conversation:
 * its label was changed by a rep, or the message they were made from was edited or deleted. Their
 * cards then show "Dismissed" (the caller tells the pipeline, which refreshes them in place).
 * @returns the dismissed follow-up ids.
 */
export async function dismissStaleSuggestions(
  client: PrismaExecutor,
  where: { recordId: string; followUpIds?: string[] },
  why: string,
  actor?: AuditActor,
): Promise<string[]> {
  const stale = await findWaitingSuggestionIds(client, { recordId: where.recordId, ids: where.followUpIds });
  const dismissed: string[] = [];
  for (const id of stale) {
    if (!(await dismissSuggestion(client, id, new Date()))) continue;
    await writeAudit(client, { action: 'followup.dismiss', actor, subject: id, details: { reason: why } });
    dismissed.push(id);
  }
  return dismissed;
}

/**
 * Before a customer is erased: its channels that hold the platform's address of the conversation
 * (Teams' ConversationReference) are unlinked instead of deleted with it, so the cards posted there
 * can still be taken back and the bot can still post there. Nothing about the customer stays on them.
 * @returns how many channels were unlinked.
 */
export async function unlinkAddressedChannels(db: Database, companyId: string): Promise<number> {
  return unlinkAddressedChannelsOf(db.sql, companyId);
}
