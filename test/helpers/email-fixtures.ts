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
  const id = opts.messageId ?? `${randomBytes(6).toString('hex')}@mail.test`;
  const lines = [
    `From: ${opts.from}`,
    `To: ${opts.to ?? 'support@support.example'}`,
    `Subject: ${opts.subject ?? 'Question about invoice 42'}`,
    `Date: ${(opts.date ?? new Date()).toUTCString()}`,
    `Message-ID: <${id}>`,
    ...(opts.inReplyTo ? [`In-Reply-To: <${opts.inReplyTo}>`] : []),
    ...(opts.references ? [`References: ${opts.references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...(opts.extra ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hello, can you help?',
    '',
  ];
  return lines.join('\r\n');
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
