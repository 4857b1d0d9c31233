import { languageLabel } from '../../classifier/language-detector.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { getCustomerCard } from '../../services/customer-card.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply, ReplySection } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { followUpSection } from '../follow-up-view.ts';
import { count } from '../count-noun.ts';

/** Follow-ups shown on a customer card; the rest are one click away (`followups <customer>`). */
const CARD_FOLLOW_UPS = 10;

/** `lookup <query>`: the customer card, or a ranked pick list when several customers match. */
export async function handleLookup(cmd: Extract<Command, { kind: 'lookup' }>, h: HandlerContext): Promise<Reply> {
  const match = await resolveCustomer(h, cmd.query, { requireExact: false, commandFor: (name) => `lookup ${q(name)}` });
  const card = await getCustomerCard(h.deps.db, match.companyId, { followUpLimit: CARD_FOLLOW_UPS });
  const contacts = card.contacts.map((c) => (c.emails.length ? `${c.name} <${c.emails.join(', ')}>` : c.name));
  const recordSections: ReplySection[] = card.records.map((r) => ({
    title: `${formatInZone(r.lastMessageAt, h.timeZone, h.ctx.now)} · ${r.channelKind}${r.label ? ` · ${r.label}${r.labelCorrected ? ' (corrected)' : ''}` : ''}${languageNote(r.messages[0]?.language)}`,
    text: snippet(r.messages[0]?.text ?? r.subject ?? ''),
    buttons: r.label
      ? [
          {
            label: 'Correct label',
            command: `label ${r.id}`,
            input: { placeholder: 'the right label, e.g. purchase' },
          },
        ]
      : undefined,
  }));
  return {
    tone: 'info',
    title: card.company.name,
    text: `${card.company.name}: ${count(card.contacts.length, 'contact')}, ${count(card.recordCount, 'record')}, ${count(card.followUpCount, 'open follow-up')}.`,
    fields: [
      ...(card.company.domains.length ? [{ label: 'Domains', value: card.company.domains.join(', ') }] : []),
      { label: 'Contacts', value: contacts.length ? contacts.join('; ') : 'none yet' },
      { label: 'Records', value: String(card.recordCount) },
    ],
    sections: [
      ...(recordSections.length ? recordSections : [{ text: 'Nothing logged yet.' }]),
      ...card.followUps.map((f) => followUpSection(f, h.timeZone, h.ctx.now)),
      ...(card.followUpCount > card.followUps.length
        ? [
            {
              text: `…and ${count(card.followUpCount - card.followUps.length, 'more open follow-up')}.`,
              buttons: [{ label: 'All follow-ups', command: `followups ${q(card.company.name)}` }],
            },
          ]
        : []),
    ],
    buttons: [
      { label: 'Follow-ups', command: `followups ${q(card.company.name)}` },
      { label: 'Log a note', command: `log ${q(card.company.name)}`, input: { placeholder: 'what happened' } },
      { label: 'Export', command: `export ${q(card.company.name)} json` },
    ],
    footer: `Customer id ${card.company.id}`,
  };
}

/** " · Chinese (zh)" for a record in another language than English; nothing for English or unknown. */
function languageNote(language: string | null | undefined): string {
  return language && language !== 'en' && language !== 'und' ? ` · ${languageLabel(language)}` : '';
}

function snippet(text: string, max = 280): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
