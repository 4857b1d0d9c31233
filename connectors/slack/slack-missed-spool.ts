import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeletionField } from './slack-missed-field.ts';

/**
 * The spool's directory for a deployment (RAPPORT_QUEUE_PREFIX): processes of other deployments that share
 * the data dir (each with its own database and prefix) never take each other's marks.
 */
export function slackMissedSpoolDir(dataDir: string, prefix: string): string {
  return join(dataDir, 'slack-missed', encodeURIComponent(prefix));
}

/**
 * How old a temporary file must be to count as left by a process killed between writing it and renaming it
 * over its file. A live process renames it within the write (milliseconds), so one this old is an orphan
 * (if it got to be written whole, it holds everything its process had unsaved, the newest mark included).
 */
export const ORPHANED_TMP_MS = 60_000;

/** Marks not yet in Redis: field ("T/C", "T/C/thread", "...!ts", "deleted!...") -> the ts to read back from. */
export type SpooledMarks = Map<string, string>;

/**
 * A process's marks go to two files: deletion marks ({@link isDeletionField}) to one ending in ".deletions",
 * the others to one ending in ".json". The releases before this one take ".json" files (".taken" once
 * taken, ".json.tmp" while written) and no others: they would drop a deletion mark in one (they pass over
 * its field) and delete the file, so the deletion would never be applied; its own kind of file they leave
 * for this release to take. The other marks stay where every release takes them (a rollback reads them).
 */
const KINDS = [
  { file: '.json', taken: '.taken', deletions: false },
  { file: '.deletions', taken: '.deletions-taken', deletions: true },
] as const;
type Kind = (typeof KINDS)[number];

/** A spool file's kind, and whether it is a temporary one (being written); undefined: not a spool file. */
function kindOf(name: string): { kind: Kind; tmp: boolean } | undefined {
  for (const kind of KINDS) {
    if (name.endsWith(`${kind.file}.tmp`)) return { kind, tmp: true };
    if (name.endsWith(kind.file) || name.endsWith(kind.taken)) return { kind, tmp: false };
  }
  return undefined;
}

/**
 * The marks of missed Slack messages a process made while Redis was away, on disk (a directory under
 * RAPPORT_DATA_DIR per deployment, {@link slackMissedSpoolDir}) until they are in Redis, so that a process killed before Redis is back does not take
 * them with it. Each process writes the whole of its unsaved marks to a file of its own (two: see KINDS; each written to a
 * temporary file and renamed over it: a file is never half written; one a process was killed writing is taken
 * once it is {@link ORPHANED_TMP_MS} old, passed over if it was not written whole). Any process of the deployment and
 * data dir that has Redis again takes every file it finds, its own of an earlier run and those of processes still
 * running (each also keeps its marks in memory and writes them to Redis itself), renaming it out of
 * the way before reading it, so a file written again meanwhile is a new file and taken next time.
 */
export class SlackMissedSpool {
  /**
   * This process's files, without their kind's ending: a name of its own, so that processes sharing the
   * data dir never write one file.
   */
  private readonly own: string;
  /** Writes of this process's files, one after another. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.own = join(dir, randomUUID());
  }

  /**
   * Writes this process's unsaved marks as they are now (none: its files go). Written and synced before
   * it resolves; throws when the disk refuses (the marks then live only in the process, as before).
   */
  save(marks: SpooledMarks): Promise<void> {
    const entries = [...marks];
    const next = this.writing.then(() => this.write(entries));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /**
   * Every spooled mark of the data dir (this process's earlier runs', and other processes'), each file
   * renamed to a name of this call's before it is read. `done` deletes the files taken: call it once
   * their marks are in Redis; until then a process that dies leaves them for the next to take.
   */
  async take(): Promise<{ marks: Array<[string, string]>; done: () => Promise<void> }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { marks: [], done: async () => {} };
      throw err;
    }
    const marks: Array<[string, string]> = [];
    const taken: string[] = [];
    // ".json": a process's marks; ".taken": a file another process took and did not get to delete;
    // ".json.tmp": a file a process was killed writing (taken once it is old enough not to be in the making).
    // The same for a ".deletions" file (see KINDS).
    const orphans = await this.orphanedTmps(names.filter((n) => kindOf(n)?.tmp === true));
    for (const name of [...names.filter((n) => kindOf(n)?.tmp === false), ...orphans]) {
      const path = join(this.dir, `${randomUUID()}${kindOf(name)?.kind.taken}`);
      try {
        await rename(join(this.dir, name), path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken by another meanwhile
        throw err;
      }
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process took it from us
        throw err;
      }
      taken.push(path);
      marks.push(...parseSpool(text));
    }
    return {
      marks,
      done: async () => {
        for (const path of taken) await unlink(path).catch(() => undefined);
      },
    };
  }

  /** The temporary files among `names` not written to for {@link ORPHANED_TMP_MS}. */
  private async orphanedTmps(names: string[]): Promise<string[]> {
    const old: string[] = [];
    for (const name of names) {
      try {
        if (Date.now() - (await stat(join(this.dir, name))).mtimeMs >= ORPHANED_TMP_MS) old.push(name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // renamed over its file meanwhile
      }
    }
    return old;
  }

  /** Writes each kind's file (see KINDS) with the marks of that kind (none: the file goes). */
  private async write(entries: Array<[string, string]>): Promise<void> {
    for (const kind of KINDS)
      await this.writeFile(
        `${this.own}${kind.file}`,
        entries.filter(([field]) => isDeletionField(field) === kind.deletions),
      );
  }

  private async writeFile(own: string, entries: Array<[string, string]>): Promise<void> {
    if (entries.length === 0) {
      await unlink(own).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    await mkdir(this.dir, { recursive: true });
    const tmp = `${own}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(JSON.stringify(Object.fromEntries(entries)));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, own);
  }
}

/** A spool file's marks; anything unreadable in it (a disk fault) is passed over, not fatal. */
function parseSpool(text: string): Array<[string, string]> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object') return [];
    return Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string');
  } catch {
    return [];
  }
}
