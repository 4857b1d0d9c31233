import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import type { EmailOrigin, EmailParticipant, InboundEmail } from '../../src/domain/email-message.ts';
import { normalizeMessageId, parseMessageIdList } from '../../src/domain/email-threading.ts';
import { normalizeEmail } from '../../src/domain/normalize-company-name.ts';

export interface ParseEmailOptions {
  /** Messages larger than this are logged with headers only. Default 20 MB (IMAP_MAX_MESSAGE_MB). */
  maxMessageBytes?: number;
  /** HTML parts longer than this many characters are not converted to text. Default 2,000,000. */
  maxHtmlLengthToParse?: number;
  /** Date to use when the Date header is missing or unreadable (the server's INTERNALDATE). */
  fallbackDate?: Date;
  /** The real size of the message when `source` holds the headers only (IMAP fetch of an oversize message). */
  sizeBytes?: number;
  /**
   * `source` is the header block alone, fetched so when the message was over the limit of that time (a
   * quarantined mail retried after IMAP_MAX_MESSAGE_MB was raised): its body is missing whatever the limit now.
   */
  headersOnly?: boolean;
}

const MB = 1024 * 1024;
/** Messages larger than this are logged with headers only unless told otherwise (IMAP_MAX_MESSAGE_MB's default). */
export const DEFAULT_MAX_MESSAGE_BYTES = 20 * MB;

/**
 * Parses a raw RFC 5322 message into an {@link InboundEmail}. Never throws for bad MIME: mailparser is
 * lenient, and whatever it cannot read ends up as an empty body with a `bodyNote`. A message over
 * `maxMessageBytes` (or passed as headers only) keeps its headers and says why the body is missing.
 */
export async function parseEmailSource(
  source: Buffer,
  origin: EmailOrigin,
  opts: ParseEmailOptions = {},
): Promise<InboundEmail> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const size = opts.sizeBytes ?? source.length;
  let bodyNote: string | undefined;
  let input = source;
  if (size > max) {
    input = headerBlock(source);
    bodyNote = `Body not stored: the message is ${(size / MB).toFixed(1)} MB, ${((size - max) / MB).toFixed(1)} MB over the ${(max / MB).toFixed(0)} MB limit (IMAP_MAX_MESSAGE_MB).`;
  } else if (opts.headersOnly) {
    input = headerBlock(source);
    bodyNote = `Body not stored: the message is ${(size / MB).toFixed(1)} MB and only its headers were fetched (it was over IMAP_MAX_MESSAGE_MB when it was synced); the body is on the mail server.`;
  }
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(input, {
      maxHtmlLengthToParse: opts.maxHtmlLengthToParse ?? 2_000_000,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      keepCidLinks: true,
      checksumAlgo: 'sha256',
    });
  } catch (err) {
    // Fall back to the header block alone so the message is still recorded with who/when/subject.
    parsed = await simpleParser(headerBlock(source), { skipTextToHtml: true, checksumAlgo: 'sha256' });
    bodyNote = `Body not stored: it could not be parsed (${(err as Error).message}).`;
  }
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    if (headers[line.key] !== undefined) continue;
    const value = parsed.headers.get(line.key);
    headers[line.key] = noNul(
      typeof value === 'string'
        ? value
        : line.line
            .slice(line.line.indexOf(':') + 1)
            .replace(/\r?\n[ \t]+/g, ' ')
            .trim(),
    );
  }
  const ct = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const contentType = ct?.value
    ? `${ct.value}${ct.params?.['report-type'] ? `; report-type=${ct.params['report-type']}` : ''}`
    : 'text/plain';
  // PostgreSQL text cannot hold NUL bytes; real mail (and the SpamAssassin corpus) has some.
  const text = bodyNote && input !== source ? '' : noNul(parsed.text ?? '').trim();
  const notes: string[] = [];
  const sentAt = saneDate(parsed.date, opts.fallbackDate, notes);
  if (!text && !bodyNote && typeof parsed.html === 'string' && parsed.html.trim() !== '')
    notes.push(
      'The HTML body could not be turned into text (too deeply nested or empty markup); the original is on the mail server.',
    );
  const from = participants(parsed.from, notes);
  const to = participants(parsed.to, notes);
  const cc = participants(parsed.cc, notes);
  // Addresses of the people on the email are never thread keys (a bracketed author address once held 23 messages).
  const people = new Set(
    [
      ...from,
      ...to,
      ...cc,
      ...participants(parsed.replyTo),
      ...participants(parsed.headers.get('sender') as AddressObject | undefined),
    ].map((p) => p.email),
  );
  const answered = parseMessageIdList(parsed.inReplyTo, people);
  return {
    messageId: normalizeMessageId(parsed.messageId),
    inReplyTo: answered[0],
    ...(answered.length > 1 ? { inReplyToIds: answered } : {}),
    references: parseMessageIdList(parsed.references, people),
    subject: noNul(parsed.subject ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
    from: from[0],
    to,
    cc,
    sentAt,
    headers,
    contentType: contentType.toLowerCase(),
    text,
    attachments: parsed.attachments.map((a) => ({
      name: a.filename,
      contentType: a.contentType,
      size: a.size,
      sha256: a.checksum || createHash('sha256').update(a.content).digest('hex'),
    })),
    bodyNote,
    notes,
    sizeBytes: size,
    origin,
  };
}

/** The header section of a raw message (up to the first empty line). */
export function headerBlock(source: Buffer): Buffer {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  const cut = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n > 0);
  return cut.length > 0 ? source.subarray(0, Math.min(...cut)) : Buffer.concat([source, Buffer.from('\r\n\r\n')]);
}

/** Longest address kept as it is (RFC 5321 allows 254); longer ones are indexed keys and once failed their mail. */
const MAX_ADDRESS_CHARS = 254;
/** Longest display name kept. */
const MAX_NAME_CHARS = 500;

function participants(header: AddressObject | AddressObject[] | undefined, notes?: string[]): EmailParticipant[] {
  const list = Array.isArray(header) ? header : header ? [header] : [];
  const flat = (a: EmailAddress): EmailAddress[] => (a.group ? a.group.flatMap(flat) : [a]);
  const out: EmailParticipant[] = [];
  for (const a of list.flatMap((h) => h.value).flatMap(flat)) {
    let email = normalizeEmail(a.address ?? '');
    if (!email) continue;
    if (email.length > MAX_ADDRESS_CHARS) {
      const at = email.lastIndexOf('@');
      const hash = createHash('sha256').update(email).digest('hex').slice(0, 16);
      const shortened = `long-${hash}@${email.slice(at + 1).slice(0, 200)}`;
      notes?.push(
        `The address ${email.slice(0, 60)}… is ${email.length} characters (over ${MAX_ADDRESS_CHARS}); stored as ${shortened}.`,
      );
      email = shortened;
    }
    let name = noNul(a.name ?? '').trim();
    if (name.length > MAX_NAME_CHARS) {
      notes?.push(`A display name of ${name.length} characters was cut to ${MAX_NAME_CHARS}.`);
      name = name.slice(0, MAX_NAME_CHARS);
    }
    if (!out.some((p) => p.email === email)) out.push({ email: noNul(email), name });
  }
  return out;
}

/** Earliest Date header believed; older ones are typos or forged, like year 99999 in the future. */
const EARLIEST_SANE_DATE = Date.UTC(1990, 0, 1);
/** How far after the server's INTERNALDATE (or now) a Date header may lie: clocks and time zones are off. */
const MAX_DATE_AHEAD_MS = 2 * 86_400_000;

/**
 * The Date header when it is sane, else the server's INTERNALDATE (else now), with a note saying so.
 * Sane: not before 1990 and at most two days after INTERNALDATE.
 */
function saneDate(header: Date | undefined, internal: Date | undefined, notes: string[]): Date {
  const fallback = internal ?? new Date();
  if (!header) return fallback;
  const t = header.getTime();
  if (t >= EARLIEST_SANE_DATE && t <= fallback.getTime() + MAX_DATE_AHEAD_MS) return header;
  notes.push(
    `The Date header (${Number.isFinite(t) ? header.toISOString() : 'unreadable'}) is outside the sane window (1990 to two days after the server received it); the server's date ${fallback.toISOString()} is used.`,
  );
  return fallback;
}

function noNul(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
}
