import { domainToASCII, domainToUnicode } from 'node:url';
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
  ...['kgaa', 'aktiengesellschaft'],
]);

/** Suffixes added with Chinese names (issue 18): left out when reproducing keys written before them. */
const ADDED_WITH_CHINESE = new Set(['kgaa', 'aktiengesellschaft']);

/**
 * Chinese legal forms and group words at the end of a name, longest first so 股份有限公司 goes whole
 * (simplified and traditional): 华为技术有限公司 -> 华为技术, 阿里巴巴集团控股有限公司 -> 阿里巴巴.
 */
const CHINESE_LEGAL_SUFFIXES = [
  '集团股份有限公司',
  '集團股份有限公司',
  '集团有限责任公司',
  '集團有限責任公司',
  '集团控股有限公司',
  '集團控股有限公司',
  '集团有限公司',
  '集團有限公司',
  '股份有限公司',
  '有限责任公司',
  '有限責任公司',
  '控股有限公司',
  '有限公司',
  '股份公司',
  '集团公司',
  '集團公司',
  '控股集团',
  '控股集團',
  '集团',
  '集團',
  '公司',
];

/** German legal forms written out: "Gesellschaft mit beschränkter Haftung" (folded) and its kin. */
const SPELLED_OUT_SUFFIX = / (?:gesellschaft mit beschrankter haftung|aktien ?gesellschaft)$/;

/** Han, kana and Hangul: scripts written without spaces between words. */
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Whether a text holds Chinese, Japanese or Korean characters (names matched by characters, not words). */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** Regions written in brackets between a company's name and its legal form (西门子（中国）有限公司). */
const CHINESE_REGIONS = new Set([
  '中国',
  '中國',
  '香港',
  '澳门',
  '澳門',
  '台湾',
  '台灣',
  '上海',
  '北京',
  '深圳',
  '广州',
  '廣州',
]);

/**
 * Removes Chinese legal forms from the end of a word written without spaces (华为技术有限公司 ->
 * 华为技术), repeatedly, keeping at least two characters. A region in brackets before the form
 * (西门子（中国）有限公司) is already a word of its own; it goes when a legal form followed it.
 */
function stripChineseSuffixes(words: string[]): string[] {
  const kept = [...words];
  let stripped = false;
  for (;;) {
    const last = kept[kept.length - 1];
    if (CHINESE_LEGAL_SUFFIXES.includes(last)) {
      // A legal form on its own (有限公司) is the name; after a Chinese word it goes.
      if (kept.length === 1 || !hasCjk(kept[kept.length - 2])) return kept;
      kept.pop();
      stripped = true;
      continue;
    }
    const suffix = CHINESE_LEGAL_SUFFIXES.find((s) => last.endsWith(s) && last.length - s.length >= 2);
    if (suffix) {
      kept[kept.length - 1] = last.slice(0, -suffix.length);
      stripped = true;
      continue;
    }
    // 西门子（中国）有限公司: a bracketed Chinese region between the name and its legal form.
    if (stripped && kept.length > 1 && CHINESE_REGIONS.has(last) && hasCjk(kept[kept.length - 2])) {
      kept.pop();
      continue;
    }
    return kept;
  }
}

/** Removes diacritics and lower-cases: "Société" -> "societe". */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/**
 * Canonical form of a company name for matching: lower case, no diacritics or punctuation, "&" as "and",
 * trailing legal suffixes removed ("ACME Corp." -> "acme", "Müller GmbH & Co. KG" -> "muller",
 * "Siemens Aktiengesellschaft" -> "siemens", 华为技术有限公司 -> 华为技术, 阿里巴巴集团 -> 阿里巴巴).
 * `asBeforeChinese` gives the form written before Chinese and spelled-out German legal forms were
 * dropped (issue 18), for keys hashed back then (older tombstones).
 * A name made only of suffixes is kept as is ("Co" stays "co").
 */
export function normalizeCompanyName(name: string, opts: { asBeforeChinese?: boolean } = {}): string {
  const legacy = opts.asBeforeChinese === true;
  const folded = normalizePersonName(name.replace(/&/g, ' and '));
  const words = (legacy ? folded : folded.replace(SPELLED_OUT_SUFFIX, '')).split(' ').filter(Boolean);
  if (words.length === 0) return '';
  const kept = legacy ? words : stripChineseSuffixes(words);
  const isSuffix = (word: string) => LEGAL_SUFFIXES.has(word) && !(legacy && ADDED_WITH_CHINESE.has(word));
  // Drop suffixes from the end; "and" between two suffixes ("GmbH & Co KG") goes with them.
  while (kept.length > 1 && (isSuffix(kept[kept.length - 1]) || (kept[kept.length - 1] === 'and' && kept.length > 2))) {
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

/**
 * Lower-cased, trimmed email, its internationalized domain in Unicode (see {@link normalizeDomain});
 * `undefined` when it does not look like an address.
 */
export function normalizeEmail(text: string): string | undefined {
  const email = text
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/^mailto:/i, '')
    .toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return undefined;
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  if (!INTERNATIONAL_DOMAIN.test(domain)) return email;
  // An address literal ("[192.168.1.20]") or a domain IDNA refuses stays as written.
  const unicode = domainToUnicode(domainToASCII(domain));
  return unicode ? `${email.slice(0, at)}@${unicode}` : email;
}

/** A domain with a non-ASCII or an IDNA-encoded ("xn--") label. */
const INTERNATIONAL_DOMAIN = /\P{ASCII}|(^|\.)xn--/u;

/** A domain name in IDNA's ASCII form: letters, digits and hyphens in labels, a letter or "xn--" top level. */
const ASCII_DOMAIN = /^(?=.{3,253}$)([a-z0-9-]+\.)+([a-z]{2,}|xn--[a-z0-9-]+)$/;

/**
 * Lower-cased domain without scheme, "www." or path; `undefined` when it does not look like one. An
 * internationalized domain has one form however it was written ("BÜCHER.de", "xn--bcher-kva.de"):
 * Unicode ("bücher.de"), the form mail parsing gives a sender's domain in, so what a rep types finds
 * what the mailbox logged.
 */
export function normalizeDomain(text: string): string | undefined {
  const domain = text
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '')
    .replace(/\.$/, '');
  if (!INTERNATIONAL_DOMAIN.test(domain)) return ASCII_DOMAIN.test(domain) ? domain : undefined;
  const ascii = domainToASCII(domain);
  return ascii && ASCII_DOMAIN.test(ascii) ? domainToUnicode(ascii) : undefined;
}

/**
 * The ways a normalized domain may be stored: itself and, for an internationalized one, its IDNA ASCII
 * form, which rows written before domains had one form may hold ("xn--bcher-kva.de" typed by a rep).
 */
export function domainForms(domain: string): string[] {
  if (!INTERNATIONAL_DOMAIN.test(domain)) return [domain];
  const ascii = domainToASCII(domain);
  return ascii && ascii !== domain ? [domain, ascii] : [domain];
}

/** {@link domainForms} for a normalized email's domain part. */
export function emailForms(email: string): string[] {
  const at = email.lastIndexOf('@');
  return domainForms(email.slice(at + 1)).map((d) => `${email.slice(0, at)}@${d}`);
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
