import type { ChannelKind, Classification } from '../db/generated/client.ts';
import { countRecordsOfCompany, listRecordSummaries } from '../db/communication-record.repository.ts';
import { findCompanyWithContacts } from '../db/company.repository.ts';
import type { Database } from '../db/database.ts';
import { countActiveFollowUps, listActiveFollowUps } from '../db/follow-up.repository.ts';
import { RapportError } from '../errors.ts';
import type { FollowUpWithCompany } from './follow-ups.service.ts';

/** One record as shown on a card or timeline: its first message, its current label. */
export interface RecordSummary {
  id: string;
  channelKind: ChannelKind;
  subject: string | null;
  startedAt: Date;
  lastMessageAt: Date;
  /** The label reps see: a correction wins over the classifier's label. */
  label: string | null;
  labelCorrected: boolean;
  /** `language`: ISO 639-1 code the classifier read the message in (`und`: could not tell; null: not classified). */
  messages: Array<{
    id: string;
    authorName: string | null;
    text: string;
    sentAt: Date;
    direction: string;
    language: string | null;
  }>;
}

export interface CustomerCard {
  company: { id: string; name: string; domains: string[] };
  contacts: Array<{ id: string; name: string; emails: string[]; phones: string[] }>;
  records: RecordSummary[];
  recordCount: number;
  /** The soonest-due active follow-ups (at most `followUpLimit`); `followUpCount` says how many there are. */
  followUps: FollowUpWithCompany[];
  followUpCount: number;
}

/** The label to show for a record: latest classification, its correction first. */
export function effectiveLabel(classifications: Pick<Classification, 'label' | 'correctedLabel'>[]): {
  label: string | null;
  corrected: boolean;
} {
  const latest = classifications[0];
  if (!latest) return { label: null, corrected: false };
  return latest.correctedLabel
    ? { label: latest.correctedLabel, corrected: true }
    : { label: latest.label, corrected: false };
}

/**
 * A customer with contacts, its latest records (newest first, `recordLimit`, default 5, each with up to
 * `messageLimit` messages, default 1), its active follow-ups (soonest first, `followUpLimit`, default 20)
 * and how many records and active follow-ups it has in all.
 * @throws RapportError not_found for an unknown company id.
 */
export async function getCustomerCard(
  db: Database,
  companyId: string,
  opts: {
    recordLimit?: number;
    recordOffset?: number;
    contactLimit?: number;
    messageLimit?: number;
    followUpLimit?: number;
  } = {},
): Promise<CustomerCard> {
  const company = await findCompanyWithContacts(db.prisma, companyId, opts.contactLimit ?? 50);
  if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
  const [records, recordCount, followUps, followUpCount] = await Promise.all([
    listRecordSummaries(db.prisma, companyId, {
      limit: opts.recordLimit ?? 5,
      offset: opts.recordOffset ?? 0,
      messageLimit: opts.messageLimit ?? 1,
    }),
    countRecordsOfCompany(db.prisma, companyId),
    listActiveFollowUps(db.prisma, { kind: 'customer', companyId }, opts.followUpLimit ?? 20, 0),
    countActiveFollowUps(db.prisma, { kind: 'customer', companyId }),
  ]);
  const { contacts, ...rest } = company;
  return {
    company: rest,
    contacts,
    recordCount,
    followUps,
    followUpCount,
    records: records.map((r) => {
      const { label, corrected } = effectiveLabel(r.classifications);
      return {
        id: r.id,
        channelKind: r.channelKind,
        subject: r.subject,
        startedAt: r.startedAt,
        lastMessageAt: r.lastMessageAt,
        label,
        labelCorrected: corrected,
        messages: r.messages.map((m) => ({ ...m, direction: String(m.direction) })),
      };
    }),
  };
}
