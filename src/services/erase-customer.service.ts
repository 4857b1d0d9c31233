import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { tombstoneHash, type TombstoneKey } from './tombstones.service.ts';

/** How long the button of a `forget` confirmation works. */
export const FORGET_CONFIRMATION_TTL_MS = 24 * 3_600_000;

const ERASE_REQUESTED = 'customer.erase_requested';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Starts an erasure: a random, single-customer, single-rep token that `forget <customer> --confirm
 * <token>` must carry within FORGET_CONFIRMATION_TTL_MS. Only its sha256 is stored (in the audit log,
 * with the company id and the rep), so neither a name, an id nor a database read lets anyone forge it.
 */
export async function requestCustomerErasure(
  client: PrismaExecutor,
  companyId: string,
  actor: AuditActor,
  now: Date,
): Promise<string> {
  const token = randomBytes(8).toString('hex');
  await writeAudit(client, {
    action: ERASE_REQUESTED,
    actor,
    subject: companyId,
    details: {
      tokenSha256: sha256(token),
      expiresAt: new Date(now.getTime() + FORGET_CONFIRMATION_TTL_MS).toISOString(),
    },
  });
  return token;
}

/** True when `token` was issued to this rep for this company by requestCustomerErasure and has not expired. */
export async function isValidErasureToken(
  client: PrismaExecutor,
  companyId: string,
  repId: string,
  now: Date,
  token: string,
): Promise<boolean> {
  const given = Buffer.from(sha256(token.trim().toLowerCase()));
  const requests = await client.auditLog.findMany({
    // Expiry is judged by the issuing request's clock (expiresAt), not the row's createdAt.
    where: { action: ERASE_REQUESTED, subject: companyId, actor: repId },
    select: { details: true },
    orderBy: { createdAt: 'desc' },
    take: 20,
  });
  return requests.some(({ details }) => {
    const d = details as { tokenSha256?: string; expiresAt?: string };
    if (!d.tokenSha256 || !d.expiresAt || Date.parse(d.expiresAt) <= now.getTime()) return false;
    const expected = Buffer.from(d.tokenSha256);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export interface EraseResult {
  auditId: string;
  counts: Record<string, number>;
}

/**
 * GDPR erasure of one customer: deletes the company with its contacts, records, messages,
 * classifications, follow-ups, channel links and training examples, and keeps only sha256 hashes of its
 * keys (emails, domains, name, platform ids, source keys) as tombstones so no importer brings it back.
 * The audit entry holds counts and hashes, no personal data. One transaction: all or nothing.
 * @throws RapportError not_found when the company does not exist.
 */
export async function eraseCustomer(db: Database, companyId: string, actor: AuditActor): Promise<EraseResult> {
  return db.prisma.$transaction(
    async (tx) => {
      const company = await tx.company.findUnique({
        where: { id: companyId },
        include: { contacts: true, records: { select: { id: true, sourceKey: true } } },
      });
      if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
      const recordIds = company.records.map((r) => r.id);
      const messages = await tx.message.findMany({
        where: { OR: [{ recordId: { in: recordIds } }, { contactId: { in: company.contacts.map((c) => c.id) } }] },
        select: { id: true, externalId: true, authorEmail: true, direction: true, recordId: true },
      });
      // The exact name (not the suffix-free one): erasing "Doomed Co" must not block "Doomed Company".
      const keys: TombstoneKey[] = [{ kind: 'company-name', value: company.name }];
      for (const d of company.domains) keys.push({ kind: 'domain', value: d });
      for (const c of company.contacts) {
        for (const e of c.emails) keys.push({ kind: 'email', value: e });
        for (const p of c.platformUserIds) keys.push({ kind: 'platform-user', value: p });
      }
      for (const r of company.records) keys.push({ kind: 'source', value: r.sourceKey });
      for (const m of messages) {
        if (!recordIds.includes(m.recordId)) continue;
        keys.push({ kind: 'message', value: m.externalId });
        if (m.authorEmail && m.direction === 'inbound') keys.push({ kind: 'email', value: m.authorEmail });
      }
      const hashes = [...new Map(keys.map((k) => [tombstoneHash(k), k.kind])).entries()];

      const counts = {
        contacts: company.contacts.length,
        records: recordIds.length,
        messages: messages.filter((m) => recordIds.includes(m.recordId)).length,
        classifications: await tx.classification.count({ where: { recordId: { in: recordIds } } }),
        followUps: await tx.followUp.count({ where: { OR: [{ companyId }, { recordId: { in: recordIds } }] } }),
        channelLinks: await tx.channelLink.count({ where: { companyId } }),
        labeledExamples: (await tx.labeledExample.deleteMany({ where: { recordId: { in: recordIds } } })).count,
        tombstones: hashes.length,
      };
      // Messages of this customer's contacts inside other customers' conversations lose the author link and address.
      await tx.message.updateMany({
        where: { contactId: { in: company.contacts.map((c) => c.id) }, recordId: { notIn: recordIds } },
        data: { contactId: null, authorEmail: null, authorName: null },
      });
      await tx.company.delete({ where: { id: companyId } }); // cascades to contacts, records, messages, classifications, follow-ups, links

      const auditId = await writeAudit(tx, {
        action: 'customer.erase',
        actor,
        subject: companyId,
        details: { counts, nameHash: tombstoneHash({ kind: 'company-name', value: company.name }) },
      });
      await tx.tombstone.createMany({
        data: hashes.map(([keyHash, kind]) => ({ keyHash, kind, auditId })),
        skipDuplicates: true,
      });
      return { auditId, counts };
    },
    { timeout: 60_000 },
  );
}
