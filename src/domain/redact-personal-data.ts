/** What an erased person's data is replaced with. */
export const REDACTED = '[erased]';

/** What names an erased customer: whole terms (addresses, full names, domains) and single name words. */
export interface RedactionTerms {
  /** Replaced wherever they occur, case-insensitively: addresses, full names, company name, domains. */
  phrases: string[];
  /** Replaced as whole words only: the parts of a person's name ("Svanstrom" of "Jonas Svanstrom"). */
  words: string[];
  /**
   * Family names (the last word of a person name of two or more words): searched for in every row,
   * like the phrases. First names are only struck from rows found by another term: "Jonas" alone
   * names too many other people.
   */
  surnames: string[];
}

/** `s` as a literal inside a regular expression. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The terms of an erased customer: every address and domain, every name with at least 3 characters,
 * and the words of person names with at least 4 characters (shorter ones, like "Jo", are too common to
 * strike from other people's messages).
 */
export function redactionTerms(input: {
  addresses: string[];
  domains: string[];
  names: string[];
  personNames: string[];
}): RedactionTerms {
  const phrases = new Set<string>();
  for (const a of [...input.addresses, ...input.domains]) if (a.trim().length >= 3) phrases.add(a.trim().toLowerCase());
  for (const n of [...input.names, ...input.personNames]) {
    const t = n.trim().replace(/\s+/g, ' ');
    if (t.length >= 3) phrases.add(t.toLowerCase());
  }
  const words = new Set<string>();
  const surnames = new Set<string>();
  for (const n of input.personNames) {
    const parts = n.split(/[\s,.;:"'()<>@]+/).filter((w) => w.length >= 4 && /\p{L}/u.test(w));
    for (const w of parts) words.add(w.toLowerCase());
    if (parts.length >= 2) surnames.add(parts[parts.length - 1].toLowerCase());
  }
  // Longest first, so "jonas svanstrom" is replaced before "jonas".
  return {
    phrases: [...phrases].sort((a, b) => b.length - a.length),
    words: [...words].sort((a, b) => b.length - a.length),
    surnames: [...surnames].sort((a, b) => b.length - a.length),
  };
}

/** `text` with every phrase and name word replaced by {@link REDACTED}. */
export function redactText(text: string, terms: RedactionTerms): string {
  let out = text;
  for (const p of terms.phrases) out = out.replace(new RegExp(escapeRegExp(p), 'giu'), REDACTED);
  for (const w of terms.words)
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(w)}(?![\\p{L}\\p{N}])`, 'giu'), REDACTED);
  return out;
}

/** A JSON value with every string in it (at any depth) redacted; keys are kept. */
export function redactJson(value: unknown, terms: RedactionTerms): unknown {
  if (typeof value === 'string') return redactText(value, terms);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, terms));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactJson(v, terms)]));
  return value;
}

/** Whether a text names the customer (any phrase, or a name word). */
export function mentions(text: string, terms: RedactionTerms): boolean {
  return redactText(text, terms) !== text;
}

/**
 * Their own message's metadata without who wrote it: no author key, and no longer held for the
 * platform to name (a held message's `heldAuthor` is what the held-author job asks about).
 */
export function withoutAuthor(metadata: unknown): Record<string, unknown> {
  const rest = { ...((metadata ?? {}) as Record<string, unknown>) };
  delete rest.author;
  delete rest.heldAuthor;
  delete rest.heldBecause;
  return rest;
}
