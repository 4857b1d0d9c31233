import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { deleteTombstones, findTombstoneHashes } from '../db/tombstone.repository.ts';
import { RapportError } from '../errors.ts';
import { isFreeMailDomain } from '../domain/email-participants.ts';
import { normalizeCompanyName, normalizeDomain, normalizeEmail } from '../domain/normalize-company-name.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';

/**
 * Kinds of keys an erased customer leaves behind (hashed) so importers never bring them back.
 * `company-name` is the company's exact name (case and punctuation aside: "Doomed Co." = "doomed co",
 * but not "Doomed Company"); `company` is the older, looser key (legal suffixes dropped) that erasures
 * before issue 20 wrote: still honoured, never written any more.
 */
export type TombstoneKind = 'email' | 'domain' | 'company' | 'company-name' | 'platform-user' | 'source' | 'message';

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
    case 'company-name':
      return key.value
        .normalize('NFKC')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim();
    default:
      return key.value.trim();
  }
}

/** sha256 hex of "<kind>:<normalised value>": what a Tombstone stores instead of the key. */
export function tombstoneHash(key: TombstoneKey): string {
  return tombstoneHashOf(key.kind, normalizeTombstoneValue(key));
}

function tombstoneHashOf(kind: TombstoneKind, normalized: string): string {
  return createHash('sha256').update(`${kind}:${normalized}`).digest('hex');
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
  // An older `company` key was hashed before Chinese legal forms were dropped (华为技术有限公司 stayed
  // whole): look for that form too, so an erasure from back then still blocks.
  const before = usable.map((k) =>
    k.kind === 'company' ? tombstoneHashOf('company', normalizeCompanyName(k.value, { asBeforeChinese: true })) : '',
  );
  const wanted = [...new Set([...hashes, ...before.filter(Boolean)])];
  const hit = await findTombstoneHashes(prisma, wanted);
  return usable.filter((_, i) => hit.has(hashes[i]) || hit.has(before[i]));
}

/**
 * Throws when any key belongs to an erased customer.
 * @throws RapportError `erased`, saying which kind of key matched (never the key itself).
 */
export async function assertNotErased(db: Database | { prisma: PrismaExecutor }, keys: TombstoneKey[]): Promise<void> {
  const hits = await findTombstonedKeys(db.prisma, keys);
  if (hits.length > 0) {
    const what =
      { 'platform-user': 'user', 'company-name': 'company', company: 'company' }[hits[0].kind as string] ??
      hits[0].kind;
    throw new RapportError(
      'erased',
      `That ${what} belongs to a customer whose data was erased on request, so Rapport will not record it again. ` +
        `If the customer came back and agreed to be recorded, an admin can remove the tombstone on the server: rapport tombstone remove "<the ${what === 'company' ? 'company name' : what}>".`,
      { kind: hits[0].kind },
    );
  }
}

/**
 * The keys an erasure may have left for an email address: the address, its domain and each parent
 * domain (an erased pathname.com takes eu.pathname.com with it, as the erase's redaction does), never a
 * free-mail domain (erasing a company that had gmail.com listed must not take everybody's Gmail).
 */
export function addressTombstoneKeys(address: string): TombstoneKey[] {
  const keys: TombstoneKey[] = [];
  if (!address.startsWith('@')) keys.push({ kind: 'email', value: address });
  const labels = address.slice(address.lastIndexOf('@') + 1).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const domain = labels.slice(i).join('.');
    if (!isFreeMailDomain(domain)) keys.push({ kind: 'domain', value: domain });
  }
  return keys;
}

/** The keys a typed company name, email or domain could have left: what `tombstone remove` looks for. */
export function tombstoneKeysFor(typed: string): TombstoneKey[] {
  const email = normalizeEmail(typed);
  if (email) return [{ kind: 'email', value: email }];
  const keys: TombstoneKey[] = [
    { kind: 'company-name', value: typed },
    { kind: 'company', value: typed },
  ];
  const domain = normalizeDomain(typed);
  if (domain) keys.push({ kind: 'domain', value: domain });
  return keys.filter((k) => normalizeTombstoneValue(k) !== '');
}

/**
 * Removes the tombstones a typed company name, email or domain matches (a customer who came back and
 * agreed to be recorded), writing an audit entry with the kinds removed. Returns the kinds removed.
 */
export async function removeTombstones(
  prisma: PrismaExecutor,
  typed: string,
  actor: AuditActor,
): Promise<TombstoneKind[]> {
  const keys = tombstoneKeysFor(typed);
  const hits = await findTombstonedKeys(prisma, keys);
  if (hits.length === 0) return [];
  await deleteTombstones(prisma, hits.map(tombstoneHash));
  await writeAudit(prisma, {
    action: 'tombstone.remove',
    actor,
    details: { kinds: hits.map((k) => k.kind), hashes: hits.map(tombstoneHash) },
  });
  return hits.map((k) => k.kind);
}
