import type { Database } from '../../src/db/database.ts';

/**
 * Mail as the IMAP sync leaves it from a sender nobody answered (IMAP_CREATE_COMPANIES=answered): a
 * company-less contact (new unless `existing`) with one message in a company-less record. Returns the record's id.
 */
export async function strangerMail(
  db: Database,
  email: string,
  subject: string,
  at: string,
  /** The sender's contact when it exists already (another thread of the same sender). */
  existing?: { contactId: string },
): Promise<string> {
  const contact = existing
    ? { id: existing.contactId }
    : await db.prisma.contact.create({
        data: { companyId: null, name: email, normalizedName: email, emails: [email] },
      });
  const record = await db.prisma.communicationRecord.create({
    data: {
      companyId: null,
      channelKind: 'email',
      subject,
      sourceKey: `email:${email}:${subject}`,
      startedAt: new Date(at),
      lastMessageAt: new Date(at),
    },
  });
  await db.prisma.message.create({
    data: {
      recordId: record.id,
      externalId: `<${subject.replace(/\W/g, '')}@${email.split('@')[1]}>`,
      direction: 'inbound',
      contactId: contact.id,
      authorEmail: email,
      text: subject,
      cleanText: subject,
      sentAt: new Date(at),
    },
  });
  return record.id;
}
