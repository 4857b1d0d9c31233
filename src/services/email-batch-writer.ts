import type { SqlRunner } from '../db/database.ts';
import {
  type EmailThreadCandidate,
  findEmailSubjectCandidates,
  SUBJECT_CANDIDATE_LIMIT,
  insertEmailContacts,
  insertEmailThreadKeys,
  type NewEmailContact,
} from '../db/email-log.repository.ts';
import { insertRecordMessages, type RecordMessageInput } from '../db/record-message.repository.ts';
import { isUniqueViolationError } from '../db/sql-errors.ts';

/** Thrown inside the batch transaction; `retry` for a concurrent writer (a fresh read resolves it). */
export class EmailWriteError extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
    readonly retry: boolean,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** The subject fallback's question for one email: its customer-side participants, time window and subject. */
export interface SubjectAsk {
  people: string[];
  /** The email's subject as the fallback compares it (normalizeEmailSubject). */
  subjectKey: string;
  from: Date;
  to: Date;
  /** The email's date: candidates nearest to it come first. */
  at: Date;
}

/** What the subject fallback shows of a record: its subject (and its key) and company. */
interface RecordFacts {
  subject: string | null;
  subjectKey: string | null;
  companyId: string | null;
}

/** A message queued since the subject candidates were read: the candidate row it adds for its author's asks. */
interface QueuedMessage {
  author: string;
  sentAt: Date;
  recordId: string | undefined;
}

const time = (d: Date | string | null) => (d === null ? 0 : new Date(d).getTime());

/**
 * The writes of one batch of emails (inside its transaction), sent as few multi-row statements: new
 * contacts and the records and messages (src/db/record-message.repository.ts, the insert path chat
 * and `log` use) wait in memory and go out together when the batch ends, or earlier when a step
 * must see them in the database (a contact confirmed, a record merged, or a subject-fallback
 * candidate of a record the batch knows nothing of). The result is the one the emails written one
 * after another would give; a profile of the sync found it waiting on one statement per email.
 * `O`: the caller's outcome per email (log-email.service's LogEmailOutcome).
 */
export class EmailBatchWriter<O> {
  readonly outcomes: O[] = [];
  private contacts: Array<{ index: number; row: NewEmailContact }> = [];
  private queued: Array<{ index: number; input: Pick<RecordMessageInput, 'record' | 'message'>; keys: string[] }> = [];
  /** Subject-fallback candidates read for the batch's emails (by index), as the database held them at the read. */
  private subjects: Map<number, EmailThreadCandidate[]> | undefined;
  /** Messages queued since the read, in order: the candidates they add are worked out here, not read again. */
  private queuedSince: QueuedMessage[] = [];
  /** Subject and company of the records read, and of those the batch started since, as its queued writes leave them. */
  private records = new Map<string, RecordFacts>();

  /** @param asks per email of the batch, its subject-fallback question (undefined: threaded by headers only). */
  constructor(
    readonly sql: SqlRunner,
    private readonly asks: Array<SubjectAsk | undefined>,
  ) {}

  /** Email `index` needs no write. */
  done(index: number, outcome: O): void {
    this.outcomes[index] = outcome;
  }

  /** A new contact (and company) for email `index`, written before its message. */
  addContact(index: number, row: NewEmailContact): void {
    this.contacts.push({ index, row });
  }

  /**
   * Email `index`'s record and message, and the thread keys (EmailThreadKey) its record gains with it;
   * `outcome` is what it will be once written.
   */
  queue(index: number, input: Pick<RecordMessageInput, 'record' | 'message'>, outcome: O, keys: string[] = []): void {
    if (keys.length > 0 && !input.record.id) throw new Error('thread keys need the record id');
    this.queued.push({ index, input, keys });
    this.outcomes[index] = outcome;
    const { record, message } = input;
    // As the insert will leave the record: a new one as given, an existing one's company filled in when it had none.
    if (record.kind === 'new') {
      if (record.id)
        this.records.set(record.id, {
          subject: record.subject,
          subjectKey: record.subjectKey ?? null,
          companyId: record.companyId,
        });
    } else {
      const facts = this.records.get(record.id);
      if (facts) facts.companyId ??= record.companyId;
    }
    if (message.authorEmail)
      this.queuedSince.push({ author: message.authorEmail, sentAt: message.sentAt, recordId: record.id });
  }

  /**
   * Runs `step` (a statement that reads or changes rows the queued writes touch: confirming a
   * contact, merging records) after them; the subject candidates read before are read again.
   */
  async after<T>(step: () => Promise<T>): Promise<T> {
    await this.flush();
    const r = await step();
    this.subjects = undefined;
    this.records.clear();
    return r;
  }

  /**
   * The subject fallback's candidates for email `index`, as a query at this point of the batch would
   * return them: read for the rest of the batch in one query, plus the messages queued since by its
   * participants within its window (nearest in time to it first, SUBJECT_CANDIDATE_LIMIT of them, the record's
   * company as the queued writes leave it). Read again (after the queued writes) only when the
   * batch has no read yet, after a merge or a confirmed contact (`after`), or when a queued message
   * went to a record the batch knows nothing of.
   */
  async subjectCandidates(index: number): Promise<EmailThreadCandidate[]> {
    const ask = this.asks[index];
    if (!ask) return [];
    const read = this.subjects?.get(index);
    const rows = read && this.withQueued(ask, read);
    if (rows) return rows;
    await this.flush();
    const at: number[] = [];
    const asks: SubjectAsk[] = [];
    for (let k = index; k < this.asks.length; k++) {
      const a = this.asks[k];
      if (a) {
        at.push(k);
        asks.push(a);
      }
    }
    const byAsk = await findEmailSubjectCandidates(this.sql, asks);
    this.subjects = new Map(at.map((k, j) => [k, byAsk.get(j) ?? []]));
    this.queuedSince = [];
    this.records.clear();
    for (const list of this.subjects.values())
      for (const r of list)
        this.records.set(r.recordId, { subject: r.subject, subjectKey: r.subjectKey, companyId: r.companyId });
    return this.subjects.get(index) ?? [];
  }

  /**
   * `read` (nearest in time to the email first) with the messages queued since that `ask` would find, as a read now would
   * order them (a later insert first among equal times), or undefined when one of them went to a
   * record whose subject and company are not known here.
   */
  private withQueued(ask: SubjectAsk, read: EmailThreadCandidate[]): EmailThreadCandidate[] | undefined {
    const from = ask.from.getTime();
    const to = ask.to.getTime();
    const added: EmailThreadCandidate[] = [];
    for (let k = this.queuedSince.length - 1; k >= 0; k--) {
      const q = this.queuedSince[k];
      const t = q.sentAt.getTime();
      if (t < from || t > to || !ask.people.includes(q.author)) continue;
      const recordId = q.recordId;
      const facts = recordId === undefined ? undefined : this.records.get(recordId);
      if (!recordId || !facts) return undefined;
      // The read returns threads with the email's subject key only.
      if (facts.subjectKey !== ask.subjectKey) continue;
      added.push({ kind: 2, key: null, recordId, author: q.author, sentAt: q.sentAt, ...facts });
    }
    // Only a company changes under a queued write (filled in where the record had none).
    const current = read.map((r) => {
      const companyId = this.records.get(r.recordId)?.companyId ?? r.companyId;
      return companyId === r.companyId ? r : { ...r, companyId };
    });
    if (added.length === 0) return current;
    // The read's order: nearest in time to the email first, then the later one. Stable: among equal
    // keys the later-queued message stays first.
    const at = ask.at.getTime();
    const first = (a: EmailThreadCandidate, b: EmailThreadCandidate) => {
      const da = Math.abs(time(a.sentAt) - at);
      const db = Math.abs(time(b.sentAt) - at);
      return da !== db ? da < db : time(a.sentAt) >= time(b.sentAt);
    };
    added.sort((a, b) => (first(a, b) ? (first(b, a) ? 0 : -1) : 1));
    const merged: EmailThreadCandidate[] = [];
    let i = 0;
    let j = 0;
    while (merged.length < SUBJECT_CANDIDATE_LIMIT && (i < added.length || j < current.length)) {
      if (j >= current.length || (i < added.length && first(added[i], current[j]))) merged.push(added[i++]);
      else merged.push(current[j++]);
    }
    return merged;
  }

  /**
   * Writes what is queued: the new contacts, then the records and messages, then their thread keys,
   * one statement each.
   * @throws EmailWriteError naming the first email of the flush (a retry writes email by email), with
   *   `retry` for a concurrent writer: a unique violation, or a thread, Message-ID or thread key that
   *   was written meanwhile (the batch rolls back and reads again).
   */
  async flush(): Promise<void> {
    const contacts = this.contacts;
    const queued = this.queued;
    this.contacts = [];
    this.queued = [];
    const first = Math.min(...contacts.map((c) => c.index), ...queued.map((q) => q.index));
    let results: Awaited<ReturnType<typeof insertRecordMessages>> = [];
    try {
      const now = new Date();
      await insertEmailContacts(
        this.sql,
        contacts.map((c) => c.row),
        now,
      );
      results = await insertRecordMessages(
        this.sql,
        queued.map((q) => q.input),
        now,
      );
    } catch (err) {
      throw new EmailWriteError(first, err, isUniqueViolationError(err));
    }
    results.forEach((r, k) => {
      if (!r?.created)
        throw new EmailWriteError(
          queued[k].index,
          new Error('a concurrent writer logged this thread or message first'),
          true,
        );
    });
    const keys = queued.flatMap((q) =>
      q.keys.map((key) => ({ key, recordId: q.input.record.id ?? '', index: q.index })),
    );
    let taken: Awaited<ReturnType<typeof insertEmailThreadKeys>>;
    try {
      taken = await insertEmailThreadKeys(this.sql, keys);
    } catch (err) {
      throw new EmailWriteError(first, err, isUniqueViolationError(err));
    }
    if (taken.length > 0) {
      const at = keys.find((k) => k.key === taken[0].key)?.index ?? first;
      throw new EmailWriteError(at, new Error('a concurrent writer gave this thread key to another thread'), true);
    }
  }
}
