import { csvField } from '../domain/csv.ts';
import { findAuditLogsAbout } from '../db/audit-log.repository.ts';
import { findChannelLinksOfCompany } from '../db/channel-link.repository.ts';
import { findRecordsWithMessages } from '../db/communication-record.repository.ts';
import { findCompany } from '../db/company.repository.ts';
import { findContactsOfCompany } from '../db/contact.repository.ts';
import type { Database } from '../db/database.ts';
import { findFollowUpsOfCompany } from '../db/follow-up.repository.ts';
import { findLabeledExamplesOfRecords } from '../db/labeled-example.repository.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';

export type ExportFormat = 'json' | 'csv';

/** Everything Rapport stores about one customer (GDPR access request), as plain JSON-able data. */
export interface CustomerExport {
  exportedAt: string;
  company: Record<string, unknown>;
  contacts: unknown[];
  records: unknown[];
  followUps: unknown[];
  channelLinks: unknown[];
  labeledExamples: unknown[];
  auditLog: unknown[];
}

/**
 * Collects every row about the customer: company, contacts, records with messages and
 * classifications, follow-ups, channel links, training examples and audit entries about it.
 * Writes an audit entry (who exported, counts). Used by `export` in chat and by the CLI.
 * @throws RapportError not_found for an unknown company id.
 */
export async function exportCustomer(
  db: Database,
  companyId: string,
  actor: AuditActor | undefined,
  now = new Date(),
): Promise<CustomerExport> {
  const company = await findCompany(db.prisma, companyId);
  if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
  const [contacts, records, followUps, channelLinks] = await Promise.all([
    findContactsOfCompany(db.prisma, companyId),
    findRecordsWithMessages(db.prisma, companyId),
    findFollowUpsOfCompany(db.prisma, companyId),
    findChannelLinksOfCompany(db.prisma, companyId),
  ]);
  const recordIds = records.map((r) => r.id);
  const [labeledExamples, auditLog] = await Promise.all([
    findLabeledExamplesOfRecords(db.prisma, recordIds),
    findAuditLogsAbout(db.prisma, [
      companyId,
      ...recordIds,
      ...followUps.map((f) => f.id),
      ...channelLinks.map((l) => l.id),
    ]),
  ]);
  if (actor) {
    await writeAudit(db.prisma, {
      action: 'customer.export',
      actor,
      subject: companyId,
      details: { records: records.length, contacts: contacts.length },
    });
  }
  return {
    exportedAt: now.toISOString(),
    company,
    contacts,
    records,
    followUps,
    channelLinks,
    labeledExamples,
    auditLog,
  };
}

/** The fields of an exported record (with its messages and classifications) the CSV shows. */
interface ExportedRecordRow {
  id: string;
  channelKind: string;
  subject: string | null;
  classifications: Array<{ label: string; correctedLabel: string | null }>;
  messages: Array<{
    id: string;
    sentAt: Date | string;
    direction: string;
    authorName: string | null;
    authorEmail: string | null;
    text: string;
  }>;
}

/** The export as text: pretty JSON, or CSV with one row per message (records without messages get one row). */
export function formatCustomerExport(data: CustomerExport, format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  const header = [
    'company',
    'record_id',
    'channel',
    'subject',
    'label',
    'message_id',
    'sent_at',
    'direction',
    'author',
    'text',
  ];
  const rows: string[][] = [];
  for (const r of data.records as ExportedRecordRow[]) {
    const cls = r.classifications.at(-1);
    const label = cls ? (cls.correctedLabel ?? cls.label) : '';
    const msgs = r.messages.length > 0 ? r.messages : [undefined];
    for (const m of msgs) {
      rows.push([
        String(data.company.name),
        r.id,
        r.channelKind,
        r.subject ?? '',
        label,
        m?.id ?? '',
        m ? new Date(m.sentAt).toISOString() : '',
        m?.direction ?? '',
        m?.authorName ?? m?.authorEmail ?? '',
        m?.text ?? '',
      ]);
    }
  }
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** Quoted always; a formula neutralised (csvField). */
function csvCell(value: string): string {
  return csvField(value, { quote: 'always' });
}
