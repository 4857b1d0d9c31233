import { randomBytes } from 'node:crypto';

/** A small RFC 5322 message for tests; `extra` adds raw header lines. */
export function buildEmail(opts: {
  from: string;
  to?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  body?: string;
  extra?: string[];
  date?: Date;
}): string {
  const lines = [
    ...headerLines({ ...opts, subject: opts.subject ?? 'Question about invoice 42' }),
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hello, can you help?',
    '',
  ];
  return lines.join('\r\n');
}

type EmailOptions = Parameters<typeof buildEmail>[0];

function headerLines(opts: EmailOptions & { subject: string }): string[] {
  const id = opts.messageId ?? `${randomBytes(6).toString('hex')}@mail.test`;
  return [
    `From: ${opts.from}`,
    `To: ${opts.to ?? 'support@support.example'}`,
    `Subject: ${opts.subject}`,
    `Date: ${(opts.date ?? new Date()).toUTCString()}`,
    `Message-ID: <${id}>`,
    ...(opts.inReplyTo ? [`In-Reply-To: <${opts.inReplyTo}>`] : []),
    ...(opts.references ? [`References: ${opts.references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...(opts.extra ?? []),
    'MIME-Version: 1.0',
  ];
}

/** Charsets a customer's mail client may still send Chinese in. */
export type LegacyCharset = 'GB2312' | 'GBK' | 'Big5' | 'UTF-8';

/**
 * A message whose subject (RFC 2047 `=?charset?B?…?=`) and body are encoded in `charset`, the body
 * sent as base64, quoted-printable or raw 8-bit bytes, as Chinese mail clients send them.
 */
export function buildCharsetEmail(
  opts: EmailOptions & {
    subject: string;
    body: string;
    charset: LegacyCharset;
    transferEncoding: 'base64' | 'quoted-printable' | '8bit';
  },
): Buffer {
  const word = (text: string) => `=?${opts.charset}?B?${encodeText(text, opts.charset).toString('base64')}?=`;
  const subject = word(opts.subject);
  // "王经理 <wang@…>": a display name outside ASCII is an encoded word too.
  const from = opts.from.replace(/^([^<]*[^ -~][^<]*?)\s*</, (_, name: string) => `${word(name.trim())} <`);
  const body = encodeText(opts.body.replace(/\n/g, '\r\n'), opts.charset);
  const encodedBody =
    opts.transferEncoding === 'base64'
      ? Buffer.from(body.toString('base64').replace(/.{76}/g, '$&\r\n'))
      : opts.transferEncoding === 'quoted-printable'
        ? Buffer.from(quotedPrintable(body))
        : body;
  const head = [
    ...headerLines({ ...opts, from, subject }),
    `Content-Type: text/plain; charset=${opts.charset}`,
    `Content-Transfer-Encoding: ${opts.transferEncoding}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), encodedBody, Buffer.from('\r\n')]);
}

/**
 * Text in GB2312/GBK or Big5 bytes, from the decoding tables Node's ICU already has (TextDecoder):
 * no encoder package needed. Throws for a character the charset cannot write.
 */
export function encodeText(text: string, charset: LegacyCharset): Buffer {
  if (charset === 'UTF-8') return Buffer.from(text, 'utf8');
  const table = encoderTable(charset === 'Big5' ? 'big5' : charset === 'GB2312' ? 'gb2312' : 'gbk');
  const bytes: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
    else {
      const pair = table.get(ch);
      if (!pair) throw new Error(`${charset} cannot write "${ch}"`);
      bytes.push(...pair);
    }
  }
  return Buffer.from(bytes);
}

const tables = new Map<string, Map<string, [number, number]>>();

function encoderTable(charset: 'gb2312' | 'gbk' | 'big5'): Map<string, [number, number]> {
  const known = tables.get(charset);
  if (known) return known;
  const decoder = new TextDecoder(charset === 'big5' ? 'big5' : 'gbk', { fatal: true });
  const table = new Map<string, [number, number]>();
  // GB2312 is the EUC-CN part of GBK (both bytes 0xA1-0xFE); Big5 proper starts at lead byte 0xA1
  // (below it are the Hong Kong additions, which would win for a few characters otherwise).
  const [leadFrom, trailFrom] = charset === 'gbk' ? [0x81, 0x40] : charset === 'gb2312' ? [0xa1, 0xa1] : [0xa1, 0x40];
  for (let lead = leadFrom; lead <= 0xfe; lead++) {
    for (let trail = trailFrom; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      try {
        const ch = decoder.decode(Uint8Array.of(lead, trail));
        if ([...ch].length === 1 && !table.has(ch)) table.set(ch, [lead, trail]);
      } catch {
        // not a character in this charset
      }
    }
  }
  tables.set(charset, table);
  return table;
}

/** RFC 2045 quoted-printable of raw bytes, lines at most 76 characters. */
function quotedPrintable(bytes: Buffer): string {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0d && bytes[i + 1] === 0x0a) {
      lines.push(line);
      line = '';
      i++;
      continue;
    }
    const piece =
      b >= 0x21 && b <= 0x7e && b !== 0x3d
        ? String.fromCharCode(b)
        : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + piece.length > 75) {
      lines.push(`${line}=`);
      line = '';
    }
    line += piece;
  }
  lines.push(line);
  return lines.join('\r\n');
}

/**
 * Polls `fn` until it returns a truthy value or the timeout passes. `what` names the condition; as a
 * function it is asked at the timeout (a process's output then, not when the wait began).
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
  what: string | (() => string) = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
