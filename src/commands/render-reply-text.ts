import type { Reply, ReplyButton } from './reply-model.ts';

/**
 * Plain-text rendering of a reply for terminals (`rapport exec`) and logs: title, text, fields,
 * sections, and each button as the command it runs, so a terminal user can type it.
 */
export function renderReplyText(reply: Reply): string {
  const out: string[] = [];
  const mark = reply.tone === 'error' ? '✗ ' : reply.tone === 'warning' ? '! ' : reply.tone === 'success' ? '✓ ' : '';
  if (reply.title) out.push(`${mark}${reply.title}`);
  out.push(reply.title ? reply.text : `${mark}${reply.text}`);
  for (const f of reply.fields ?? []) out.push(`  ${f.label}: ${f.value}`);
  for (const s of reply.sections ?? []) {
    out.push('');
    if (s.title) out.push(`• ${s.title}`);
    if (s.text) out.push(`  ${s.text.replace(/\n/g, '\n  ')}`);
    for (const f of s.fields ?? []) out.push(`    ${f.label}: ${f.value}`);
    const buttons = renderButtons(s.buttons);
    if (buttons) out.push(`    ${buttons}`);
  }
  const buttons = renderButtons(reply.buttons);
  if (buttons) out.push('', buttons);
  if (reply.footer) out.push('', reply.footer);
  return out.join('\n');
}

function renderButtons(buttons: ReplyButton[] | undefined): string {
  if (!buttons?.length) return '';
  return buttons
    .map((b) => {
      if (b.choices?.length) return `[${b.label}: ${b.choices.map((c) => `${c.label} → ${c.command}`).join(' | ')}]`;
      if (b.input) return `[${b.label} → ${b.command} <${b.input.placeholder}>]`;
      return `[${b.label} → ${b.command}]`;
    })
    .join(' ');
}
