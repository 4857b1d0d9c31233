/**
 * Legal-form suffixes dropped when matching company names ("ACME Corp." and "Acme" are one customer).
 * Multi-word forms are listed after their dots and punctuation are removed.
 */
const LEGAL_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'llp',
  'lp',
  'ltd',
  'limited',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'ohg',
  'ug',
  'sa',
  'sas',
  'sarl',
  'sl',
  'srl',
  'spa',
  'bv',
  'nv',
  'oy',
  'oyj',
  'ab',
  'as',
  'asa',
  'aps',
  'pty',
  'pte',
  'kk',
  'se',
  'sp',
  'zoo',
  'pvt',
  'lda',
  'ltda',
  'cv',
  'group',
]);

/** Removes diacritics and lower-cases: "Société" -> "societe". */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/**
 * Canonical form of a company name for matching: lower case, no diacritics or punctuation, "&" as "and",
 * trailing legal suffixes removed ("ACME Corp." -> "acme", "Müller GmbH & Co. KG" -> "muller").
 * A name made only of suffixes is kept as is ("Co" stays "co").
 */
export function normalizeCompanyName(name: string): string {
  const words = normalizePersonName(name.replace(/&/g, ' and ')).split(' ').filter(Boolean);
  const kept = [...words];
  // Drop suffixes from the end; "and" between two suffixes ("GmbH & Co KG") goes with them.
  while (
    kept.length > 1 &&
    (LEGAL_SUFFIXES.has(kept[kept.length - 1]) || (kept[kept.length - 1] === 'and' && kept.length > 2))
  ) {
    kept.pop();
  }
  if (kept.length > 1 && kept[0] === 'the') kept.shift();
  return kept.join(' ');
}

/** Canonical form of a person's name: folded case, punctuation as spaces, single spaces ("O'Brien, Jo" -> "obrien jo"). */
export function normalizePersonName(name: string): string {
  return foldText(name)
    .replace(/[.'’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

/** Lower-cased, trimmed email; `undefined` when it does not look like an address. */
export function normalizeEmail(text: string): string | undefined {
  const email = text
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/^mailto:/i, '')
    .toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined;
}

/** Lower-cased domain without scheme, "www." or path; `undefined` when it does not look like one. */
export function normalizeDomain(text: string): string | undefined {
  const domain = text
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '')
    .replace(/\.$/, '');
  return /^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/.test(domain) ? domain : undefined;
}

/** The domain part of an email address. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** Mail providers whose domain says nothing about the customer; never used as a company domain. */
export const FREE_MAIL_DOMAINS = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'yahoo.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'proton.me',
  'protonmail.com',
  'mail.com',
  'yandex.ru',
]);
