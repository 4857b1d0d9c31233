import type { Database } from '../../src/db/database.ts';
import { normalizeCompanyName } from '../../src/domain/normalize-company-name.ts';

const DAY = 24 * 3_600_000;

/**
 * What customer health ("My day", the customer page) is computed from, written straight to the
 * database: customers, classified conversations and follow-ups.
 */
export class HealthFixtures {
  constructor(private readonly db: Database) {}

  /** A customer named `name` (no domain); its id. */
  async company(name: string): Promise<string> {
    return (await this.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name) } })).id;
  }

  /**
   * A conversation with one inbound message `daysAgo`, classified `label` with `sentiment`; `replied`: a
   * rep answered 10 minutes later. Its record id.
   */
  async conversation(
    companyId: string,
    subject: string,
    text: string,
    daysAgo: number,
    label: string,
    sentiment: number,
    replied = false,
  ): Promise<string> {
    const prisma = this.db.prisma;
    const at = new Date(Date.now() - daysAgo * DAY);
    const record = await prisma.communicationRecord.create({
      data: {
        companyId,
        channelKind: 'email',
        subject,
        sourceKey: `test:${companyId}:${subject}`,
        startedAt: at,
        lastMessageAt: replied ? new Date(at.getTime() + 10 * 60_000) : at,
      },
    });
    const message = await prisma.message.create({
      data: {
        recordId: record.id,
        externalId: `test:${record.id}:in`,
        direction: 'inbound',
        text,
        cleanText: text,
        sentAt: at,
      },
    });
    if (replied)
      await prisma.message.create({
        data: {
          recordId: record.id,
          externalId: `test:${record.id}:out`,
          direction: 'outbound',
          text: 'Thanks, on it.',
          cleanText: 'Thanks, on it.',
          sentAt: new Date(at.getTime() + 10 * 60_000),
        },
      });
    await prisma.classification.create({
      data: { recordId: record.id, messageId: message.id, label, confidence: 0.9, sentiment, modelVersion: 'test' },
    });
    return record.id;
  }

  /** An open follow-up a rep made by hand. */
  followUp(companyId: string, title: string, dueAt: Date, assigneeRepId: string) {
    return this.db.prisma.followUp.create({
      data: { companyId, title, dueAt, assigneeRepId, status: 'open', source: 'manual' },
    });
  }

  /** A customer at risk: two inbound messages (2 and 3 days ago) labelled churn and an overdue follow-up; its id. */
  async atRiskCustomer(name: string, repId: string): Promise<string> {
    const id = await this.company(name);
    await this.conversation(id, `${name} 0`, 'We are going to cancel at renewal.', 2, 'churn', -0.7);
    await this.conversation(id, `${name} 1`, 'We are evaluating other vendors.', 3, 'churn', -0.7);
    await this.followUp(id, `Call ${name} back`, new Date(Date.now() - DAY), repId);
    return id;
  }
}
