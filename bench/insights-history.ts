import { randomUUID } from 'node:crypto';
import { seededRandom } from '../src/classifier/seeded-random.ts';
import type { Database } from '../src/db/database.ts';
import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';

/**
 * A synthetic but realistic customer history: customers who later churn and customers who stay,
 * each writing in conversations over two periods (before and now), with labels, sentiment, replies
 * and follow-ups drawn from distributions that differ by outcome the way support teams describe
 * churn (more issues, talk of leaving, falling mood, slower or missing replies, overdue promises,
 * some going quiet) — and with noise: stayers have bad weeks, churners sometimes look fine.
 * Labels are planted (as a perfect classifier would give them), not predicted.
 */
export interface HistoryOptions {
  seed?: number;
  customers: number;
  /** How many of them churn. */
  churners: number;
  /** `clear`: churners show strong signals and stayers little noise (tests); `realistic`: overlapping. */
  strength: 'clear' | 'realistic';
  /** End of the history. */
  now: Date;
  /** Length of one period, days (the history covers two). Default 30. */
  periodDays?: number;
  /** Name prefix of the customers. Default "Customer". */
  namePrefix?: string;
}

export interface GeneratedHistory {
  companies: { id: string; name: string; willChurn: boolean }[];
  records: {
    id: string;
    companyId: string;
    channelKind: string;
    subject: string;
    startedAt: Date;
    lastMessageAt: Date;
  }[];
  messages: {
    id: string;
    recordId: string;
    direction: 'inbound' | 'outbound';
    authorName: string;
    authorEmail: string;
    text: string;
    sentAt: Date;
  }[];
  classifications: { recordId: string; messageId: string; label: string; sentiment: number }[];
  followUps: { companyId: string; recordId: string; title: string; dueAt: Date; status: 'open' | 'done' }[];
}

const TEXTS: Record<string, string[]> = {
  need: [
    'We need more seats for the new support team',
    'Could you add an API for the monthly reports?',
    'We would like SSO login for all our staff',
    'Is there a dashboard for managers planned?',
  ],
  issue: [
    'The calendar sync is broken again since yesterday',
    'Login fails with an error after the password reset',
    'The invoice page does not load for our finance team',
    'Notifications stopped arriving on mobile',
  ],
  churn: [
    'We are considering cancelling our subscription at renewal',
    'Honestly we are thinking about switching to another vendor',
    'Please tell us how to end the contract',
  ],
  feedback: ['Love the new reporting view, great work', 'The team really likes the mobile app'],
  purchase: ['Please send a quote for ten more licences', 'We want to upgrade to the enterprise plan'],
  scheduling: ['Can we move our review call to Thursday?', 'Are you free for a quick call next week?'],
  other: ['Thanks, got it.', 'Received, will forward internally.'],
};
const MOOD: Record<string, number> = {
  need: 0.1,
  issue: -0.45,
  churn: -0.55,
  feedback: 0.65,
  purchase: 0.3,
  scheduling: 0.05,
  other: 0.1,
};

type Mix = Record<string, number>;
const STAYER: Mix = {
  need: 0.25,
  issue: 0.12,
  churn: 0.015,
  feedback: 0.2,
  purchase: 0.1,
  scheduling: 0.15,
  other: 0.165,
};
const CHURNER_REALISTIC: Mix = {
  need: 0.16,
  issue: 0.32,
  churn: 0.12,
  feedback: 0.06,
  purchase: 0.02,
  scheduling: 0.12,
  other: 0.2,
};
const CHURNER_CLEAR: Mix = {
  need: 0.05,
  issue: 0.45,
  churn: 0.35,
  feedback: 0,
  purchase: 0,
  scheduling: 0.05,
  other: 0.1,
};
const STAYER_CLEAR: Mix = {
  need: 0.35,
  issue: 0.05,
  churn: 0,
  feedback: 0.3,
  purchase: 0.1,
  scheduling: 0.1,
  other: 0.1,
};

const REPS = [
  { name: 'Ann Rep', email: 'ann@ours.example' },
  { name: 'Bob Rep', email: 'bob@ours.example' },
];

/** Generates a history (deterministic for a seed). */
export function generateHistory(o: HistoryOptions): GeneratedHistory {
  const random = seededRandom(o.seed ?? 7);
  const periodDays = o.periodDays ?? 30;
  const day = 86_400_000;
  // Days start at UTC midnight, so conversations fall in (UTC) office hours whatever the clock says.
  const start = Math.floor(o.now.getTime() / day) * day - 2 * periodDays * day;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const draw = (mix: Mix) => {
    let x = random();
    for (const [k, p] of Object.entries(mix)) {
      x -= p;
      if (x < 0) return k;
    }
    return 'other';
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const clear = o.strength === 'clear';
  const h: GeneratedHistory = { companies: [], records: [], messages: [], classifications: [], followUps: [] };
  // Churners spread through the list, not first: ranking must not follow insertion order.
  const churnAt = new Set<number>();
  while (churnAt.size < o.churners) churnAt.add(Math.floor(random() * o.customers));
  for (let c = 0; c < o.customers; c++) {
    const willChurn = churnAt.has(c);
    const company = {
      id: randomUUID(),
      name: `${o.namePrefix ?? 'Customer'} ${String(c + 1).padStart(4, '0')}`,
      willChurn,
    };
    h.companies.push(company);
    const rate = (clear ? 0.2 : 0.1) + random() * 0.15; // conversations per day
    const goesQuiet = willChurn ? random() < (clear ? 0 : 0.3) : random() < (clear ? 0 : 0.06);
    const badPatch = !willChurn && !clear && random() < 0.12; // a stayer with a rough month
    const looksFine = willChurn && !clear && random() < 0.2; // a churner who never complains
    for (let d = 0; d < 2 * periodDays; d++) {
      if (random() >= rate) continue;
      const current = d >= periodDays;
      if (goesQuiet && d >= 2 * periodDays - 18) continue;
      const mix =
        willChurn && current && !looksFine
          ? clear
            ? CHURNER_CLEAR
            : CHURNER_REALISTIC
          : badPatch && current
            ? CHURNER_REALISTIC
            : clear
              ? STAYER_CLEAR
              : STAYER;
      const label = draw(mix);
      const drift = willChurn && current && !looksFine ? -0.25 : 0;
      const asked = start + d * day + (9 + random() * 7) * 3_600_000;
      if (asked >= o.now.getTime()) continue;
      const record = {
        id: randomUUID(),
        companyId: company.id,
        channelKind: pick(['email', 'slack', 'teams'] as const),
        subject: pick(TEXTS[label]),
        startedAt: new Date(asked),
        lastMessageAt: new Date(asked),
      };
      h.records.push(record);
      let at = asked;
      for (let turn = 0; turn < 2; turn++) {
        const m = {
          id: randomUUID(),
          recordId: record.id,
          direction: 'inbound' as const,
          authorName: `Contact ${c + 1}`,
          authorEmail: `contact${c + 1}@customer${c + 1}.example`,
          text: turn === 0 ? record.subject : `${pick(TEXTS[label])} (follow-up)`,
          sentAt: new Date(at),
        };
        h.messages.push(m);
        const sentiment = Math.max(-1, Math.min(1, MOOD[label] + drift + normal() * (clear ? 0.1 : 0.3)));
        h.classifications.push({
          recordId: record.id,
          messageId: m.id,
          label,
          sentiment: Math.round(sentiment * 1000) / 1000,
        });
        record.lastMessageAt = new Date(at);
        const answerRate = willChurn && current && !looksFine ? (clear ? 0.4 : 0.75) : clear ? 1 : 0.93;
        if (random() >= answerRate) break;
        const delayMinutes = -Math.log(1 - random()) * (willChurn && current ? 300 : 90);
        const replyAt = at + delayMinutes * 60_000;
        if (replyAt >= o.now.getTime()) break;
        const rep = pick(REPS);
        h.messages.push({
          id: randomUUID(),
          recordId: record.id,
          direction: 'outbound',
          authorName: rep.name,
          authorEmail: rep.email,
          text: 'Thanks, we are on it.',
          sentAt: new Date(replyAt),
        });
        record.lastMessageAt = new Date(replyAt);
        if (random() >= 0.3) break;
        at = replyAt + day;
        if (at >= o.now.getTime()) break;
      }
      if ((label === 'issue' || label === 'need') && random() < 0.3) {
        const due = asked + (2 + random() * 5) * day;
        const doneRate = willChurn && current ? (clear ? 0 : 0.35) : clear ? 1 : 0.7;
        h.followUps.push({
          companyId: company.id,
          recordId: record.id,
          title: `Get back about: ${record.subject}`,
          dueAt: new Date(due),
          status: due < o.now.getTime() && random() >= doneRate ? 'open' : due >= o.now.getTime() ? 'open' : 'done',
        });
      }
    }
  }
  return h;
}

/** Inserts a generated history (batched multi-row INSERTs; PGlite and PostgreSQL). */
export async function writeHistory(db: Database, h: GeneratedHistory): Promise<void> {
  const insert = async (table: string, columns: string[], rows: unknown[][], casts: string[] = []) => {
    for (let i = 0; i < rows.length; i += 400) {
      const batch = rows.slice(i, i + 400);
      const params: unknown[] = [];
      const values = batch.map(
        (row) =>
          `(${row
            .map((v) => {
              params.push(v);
              return `$${params.length}${casts[(params.length - 1) % columns.length] ?? ''}`;
            })
            .join(',')})`,
      );
      await db.sql.query(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(',')}) VALUES ${values.join(',')}`,
        params,
      );
    }
  };
  const now = new Date();
  await insert(
    'Company',
    ['id', 'name', 'normalizedName', 'updatedAt'],
    h.companies.map((c) => [c.id, c.name, normalizeCompanyName(c.name), now]),
  );
  await insert(
    'CommunicationRecord',
    ['id', 'companyId', 'channelKind', 'subject', 'sourceKey', 'startedAt', 'lastMessageAt', 'updatedAt'],
    h.records.map((r) => [
      r.id,
      r.companyId,
      r.channelKind,
      r.subject,
      `synthetic:${r.id}`,
      r.startedAt,
      r.lastMessageAt,
      now,
    ]),
    ['', '', '::"ChannelKind"'],
  );
  await insert(
    'Message',
    [
      'id',
      'recordId',
      'externalId',
      'direction',
      'authorName',
      'authorEmail',
      'text',
      'cleanText',
      'sentAt',
      'updatedAt',
    ],
    h.messages.map((m) => [
      m.id,
      m.recordId,
      `synthetic:${m.id}`,
      m.direction,
      m.authorName,
      m.authorEmail,
      m.text,
      m.text,
      m.sentAt,
      now,
    ]),
    ['', '', '', '::"Direction"'],
  );
  await insert(
    'Classification',
    ['id', 'recordId', 'messageId', 'label', 'confidence', 'sentiment', 'modelVersion'],
    h.classifications.map((c) => [randomUUID(), c.recordId, c.messageId, c.label, 0.9, c.sentiment, 'synthetic']),
  );
  await insert(
    'FollowUp',
    ['id', 'companyId', 'recordId', 'title', 'dueAt', 'status', 'source', 'updatedAt'],
    h.followUps.map((f) => [randomUUID(), f.companyId, f.recordId, f.title, f.dueAt, f.status, 'manual', now]),
    ['', '', '', '', '', '::"FollowUpStatus"', '::"FollowUpSource"'],
  );
}
