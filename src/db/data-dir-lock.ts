import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RapportError } from '../errors.ts';

const LOCK_FILE = 'rapport.lock';

/** What a running Rapport writes into its data dir lock: who holds it and where its HTTP API listens. */
export interface DataDirLockInfo {
  pid: number;
  startedAt: string;
  /** Base URL of the running process's HTTP server, once it listens (used by `rapport exec`). */
  url?: string;
  /**
   * A secret of the running process, in a file only its user reads: `rapport` commands send it to the
   * process's HTTP server as the operator's tools (see src/net/this-machine.ts), which a request merely
   * coming from this machine (a reverse proxy's) cannot.
   */
  toolToken?: string;
}

/** A lock whose holder serves HTTP (its URL is published once it listens). */
export type ServingHolder = DataDirLockInfo & { url: string };

/** Whether the holder of a lock serves HTTP yet. */
export function servesHttp(info: DataDirLockInfo): info is ServingHolder {
  return typeof info.url === 'string' && info.url !== '';
}

/**
 * Takes the exclusive lock on a PGlite data dir. A lock left by a dead process is taken over;
 * a live holder makes this throw a RapportError that says what to do.
 * @returns a function that releases the lock.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      const info: DataDirLockInfo = {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        toolToken: randomBytes(32).toString('base64url'),
      };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          const info = readDataDirLock(dataDir);
          if (info?.pid === process.pid) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readDataDirLock(dataDir);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new RapportError(
          'conflict',
          `Another Rapport process (pid ${holder.pid}) is using the embedded database in ${dataDir}. ` +
            'The embedded database serves one process only: stop that process, use another RAPPORT_DATA_DIR, ' +
            'or set DATABASE_URL to a PostgreSQL database to run several processes.',
          { pid: holder.pid },
        );
      }
      unlinkSync(file); // stale lock from a crashed process
    }
  }
  throw new RapportError('conflict', `Could not lock ${file}; remove it if no Rapport process is running.`);
}

/** Reads the lock of a data dir, or undefined when no process holds it. */
export function readDataDirLock(dataDir: string): DataDirLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as DataDirLockInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** This process's {@link DataDirLockInfo.toolToken}, when it holds the data dir's lock. */
export function ownToolToken(dataDir: string): string | undefined {
  const info = readDataDirLock(dataDir);
  return info?.pid === process.pid ? info.toolToken : undefined;
}

/** Records the HTTP URL of this process in its lock so CLI commands can reach it instead of opening the files. */
export function publishUrlInLock(dataDir: string, url: string): void {
  const info = readDataDirLock(dataDir);
  if (info?.pid !== process.pid) return;
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ ...info, url }), { mode: 0o600 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
