import type { QuarantineListing } from '../../src/db/mail-quarantine.repository.ts';

/** Longest error or note printed on a line of its own; the rest is in the table. */
const MAX_LINE = 300;

/**
 * `rapport mail quarantine`'s text: a block per mail (id, where it was, its sender and subject, why it is
 * kept, what to do), oldest first, then how many more there are and the commands that act on them.
 */
export function formatQuarantineListing(
  listing: { rows: QuarantineListing[]; total: number },
  opts: { resolved: boolean },
): string {
  const { rows, total } = listing;
  if (total === 0)
    return opts.resolved
      ? 'The quarantine is empty.'
      : 'No quarantined mail is waiting: every fetched message was stored (--resolved lists those a retry logged).';
  const lines = [
    `${total} quarantined mail(s)${opts.resolved ? '' : ' still failing'}, oldest first${rows.length < total ? `; the first ${rows.length} (--limit N shows more)` : ''}:`,
  ];
  for (const r of rows) {
    lines.push('');
    const where = [r.mailbox, r.folder, r.uid === null ? undefined : `UID ${r.uid}`].filter(Boolean).join(' ');
    lines.push(`${r.id}  ${where}`);
    const from = one(r.headers.from) || '(no From)';
    const subject = one(r.headers.subject) || '(no subject)';
    lines.push(`  from ${from}: ${subject}`);
    const facts = [
      r.serverDate ? `received ${r.serverDate.toISOString().slice(0, 16).replace('T', ' ')} UTC` : undefined,
      r.sizeBytes !== null ? size(r.sizeBytes) : undefined,
      kept(r),
      `${r.attempts} attempt(s)`,
      `kept since ${r.createdAt.toISOString().slice(0, 10)}`,
      r.resolvedAt ? `logged by a retry ${r.resolvedAt.toISOString().slice(0, 10)}` : undefined,
    ].filter(Boolean);
    lines.push(`  ${facts.join(', ')}`);
    lines.push(`  error: ${cut(one(r.error))}`);
    lines.push(`  ${cut(one(r.note))}`);
  }
  lines.push('');
  lines.push(
    'Log them again once the cause is fixed: rapport mail retry [ID...]; delete one for good: rapport mail drop ID --yes',
  );
  return lines.join('\n');
}

function kept(r: QuarantineListing): string {
  if (r.keptBytes === 0) return 'no source kept (the server sent none)';
  if (r.sizeBytes !== null && r.sizeBytes > r.keptBytes) return `headers only kept (${size(r.keptBytes)})`;
  return 'source kept';
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} bytes`;
}

/** On one line: a header or an error with newlines and control characters would break the listing. */
function one(s: string | undefined): string {
  return (s ?? '').replace(/\p{Cc}+/gu, ' ').trim();
}

function cut(s: string): string {
  return s.length > MAX_LINE ? `${s.slice(0, MAX_LINE)}…` : s;
}
