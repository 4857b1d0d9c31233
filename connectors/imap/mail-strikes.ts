/** One mail's failures so far: how many, and when the first was. */
export interface MailStrike {
  count: number;
  firstAt: number;
}

/**
 * The failures of a syncer's mails that are not logged nor kept yet, by folder, UIDVALIDITY and UID: a
 * UID names one mail only within one UIDVALIDITY, so after the folder's UIDVALIDITY changes a new mail
 * with an old UID starts with none. A folder's strikes are dropped at or below its cursor
 * ({@link MailStrikes.passed}): mails logged, kept or deleted since are never struck again, and a
 * long-running syncer does not hold them.
 */
export class MailStrikes {
  private readonly folders = new Map<string, { uidValidity: bigint; mails: Map<number, MailStrike> }>();

  /** One more strike against the mail; the strike as it now stands. */
  strike(folder: string, uidValidity: bigint, uid: number, now = Date.now()): MailStrike {
    const mails = this.mailsOf(folder, uidValidity);
    const struck = mails.get(uid) ?? { count: 0, firstAt: now };
    struck.count++;
    mails.set(uid, struck);
    return struck;
  }

  /** The mail was logged, skipped or kept: its strikes are over. */
  clear(folder: string, uidValidity: bigint, uid: number): void {
    const entry = this.folders.get(folder);
    if (entry?.uidValidity === uidValidity) entry.mails.delete(uid);
  }

  /** The folder's cursor stands at `lastUid` in `uidValidity`: drops the strikes at or below it, and those of another UIDVALIDITY. */
  passed(folder: string, uidValidity: bigint, lastUid: number): void {
    const entry = this.folders.get(folder);
    if (!entry) return;
    if (entry.uidValidity !== uidValidity) this.folders.delete(folder);
    else for (const uid of entry.mails.keys()) if (uid <= lastUid) entry.mails.delete(uid);
    if (entry.mails.size === 0) this.folders.delete(folder);
  }

  /** How many mails have strikes (every folder). */
  get size(): number {
    let n = 0;
    for (const entry of this.folders.values()) n += entry.mails.size;
    return n;
  }

  private mailsOf(folder: string, uidValidity: bigint): Map<number, MailStrike> {
    const entry = this.folders.get(folder);
    if (entry?.uidValidity === uidValidity) return entry.mails;
    // Another UIDVALIDITY: the old one's UIDs name no mail now.
    const mails = new Map<number, MailStrike>();
    this.folders.set(folder, { uidValidity, mails });
    return mails;
  }
}
