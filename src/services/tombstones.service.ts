import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { RapportError } from '../errors.ts';
import { normalizeCompanyName, normalizeDomain, normalizeEmail } from '../domain/normalize-company-name.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/** Kinds of keys an erased customer leaves behind (hashed) so importers never bring them back. */
export type TombstoneKind = 'email' | 'domain' | 'company' | 'platform-user' | 'source' | 'message';

export interface TombstoneKey {
  kind: TombstoneKind;
  /** The raw key; normalised here (emails and domains lower-cased, company names canonicalised). */
  value: string;
}

/** Normalises a key the same way at erase and at check time, so "Jo@ACME.com" and "jo@acme.com" are one key. */
export function normalizeTombstoneValue(key: TombstoneKey): string {
  switch (key.kind) {
    case 'email':
      return normalizeEmail(key.value) ?? key.value.trim().toLowerCase();
    case 'domain':
      return normalizeDomain(key.value) ?? key.value.trim().toLowerCase();
    case 'company':
      return normalizeCompanyName(key.value);
    default:
      return key.value.trim();
  }
}

/** sha256 hex of "<kind>:<normalised value>": what a Tombstone stores instead of the key. */
export function tombstoneHash(key: TombstoneKey): string {
  return createHash('sha256')
    .update(`${key.kind}:${normalizeTombstoneValue(key)}`)
    .digest('hex');
}

/**
 * Whether any of the keys belongs to an erased customer. Importers (IMAP, Slack, Teams) call this
 * before creating anything: `isTombstoned(db, [{ kind: 'email', value: from }, { kind: 'source', value: key }])`.
 */
export async function isTombstoned(db: Database | { prisma: PrismaExecutor }, keys: TombstoneKey[]): Promise<boolean> {
  return (await findTombstonedKeys(db.prisma, keys)).length > 0;
}

/** The subset of `keys` that were erased. */
export async function findTombstonedKeys(prisma: PrismaExecutor, keys: TombstoneKey[]): Promise<TombstoneKey[]> {
  const usable = keys.filter((k) => normalizeTombstoneValue(k) !== '');
  if (usable.length === 0) return [];
  const hashes = usable.map(tombstoneHash);
  const rows = await prisma.tombstone.findMany({ where: { keyHash: { in: hashes } }, select: { keyHash: true } });
  const hit = new Set(rows.map((r) => r.keyHash));
  return usable.filter((_, i) => hit.has(hashes[i]));
}

/**
 * Throws when any key belongs to an erased customer.
 * @throws RapportError `erased`, saying which kind of key matched (never the key itself).
 */
export async function assertNotErased(db: Database | { prisma: PrismaExecutor }, keys: TombstoneKey[]): Promise<void> {
  const hits = await findTombstonedKeys(db.prisma, keys);
  if (hits.length > 0) {
    throw new RapportError(
      'erased',
      `That ${hits[0].kind === 'platform-user' ? 'user' : hits[0].kind} belongs to a customer whose data was erased on request, so Rapport will not record it again. ` +
        'If the customer came back and agreed to be recorded, an admin must remove the tombstone first.',
      { kind: hits[0].kind },
    );
  }
}
