import type { SqlRunner } from '../db/database.ts';
import {
  type EmailThreadCandidate,
  findEmailSubjectCandidates,
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

/** The subject fallback's question for one email: its customer-side participants and time window. */
export interface SubjectAsk {
  people: string[];
  from: Date;
  to: Date;
  /** The email's date: candidates nearest to it come first. */
  at: Date;
}

/**
 * The writes of one batch of emails (inside its transaction), sent as few multi-row statements: new
 * contacts and the records and messages (src/db/record-message.repository.ts, the insert path chat
 * and `log` use) wait in memory and go out together when the batch ends, or earlier when a step
 * must see them in the database (a contact confirmed, a record merged, or a subject-fallback
 * candidate a queued write may have changed). The result is the one the emails written one after
 * another would give; a profile of the sync found it waiting on one statement per email.
 */
/** `O`: the caller's outcome per email (log-email.service's LogEmailOutcome). */
export class EmailBatchWriter<O> {
  readonly outcomes: O[] = [];
  private contacts: Array<{ index: number; row: NewEmailContact }> = [];
  private queued: Array<{ index: number; input: Pick<RecordMessageInput, 'record' | 'message'>; keys: string[] }> = [];
  /** Subject-fallback candidates read for the batch's emails (by index), valid while nothing they show was written since. */
  private subjects: Map<number, EmailThreadCandidate[]> | undefined;
  private authorsSince = new Set<string>();
  private recordsSince = new Set<string>();

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
    if (input.message.authorEmail) this.authorsSince.add(input.message.authorEmail);
    if (input.record.kind === 'existing') this.recordsSince.add(input.record.id);
  }

  /**
   * Runs `step` (a statement that reads or changes rows the queued writes touch: confirming a
   * contact, merging records) after them; the subject candidates read before are read again.
   */
  async after<T>(step: () => Promise<T>): Promise<T> {
    await this.flush();
    const r = await step();
    this.subjects = undefined;
    return r;
  }

  /**
   * The subject fallback's candidates for email `index`, as a query at this point of the batch would
   * return them: read for the rest of the batch in one query, and again (after the queued writes)
   * when a write since could change them (a message by one of its participants, or to one of the
   * records they show).
   */
  async subjectCandidates(index: number): Promise<EmailThreadCandidate[]> {
    const ask = this.asks[index];
    if (!ask) return [];
    let rows = this.subjects?.get(index);
    if (
      !rows ||
      ask.people.some((a) => this.authorsSince.has(a)) ||
      rows.some((r) => this.recordsSince.has(r.recordId))
    ) {
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
      this.authorsSince.clear();
      this.recordsSince.clear();
      rows = this.subjects.get(index) ?? [];
    }
    return rows;
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
