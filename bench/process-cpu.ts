import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, ms) in a /proc stat file's text (`/proc/<pid>/stat`, or a thread's
 * `/proc/<pid>/task/<tid>/stat`); with `reapedChildren`, plus that of the children it has waited for
 * (the time of exited PostgreSQL backends ends up in the postmaster's).
 */
export function statCpuMs(stat: string, reapedChildren = false): number {
  // Fields 14-17 of stat (utime, stime, cutime, cstime): 12-15 after the command name.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + (reapedChildren ? Number(f[13]) + Number(f[14]) : 0);
  return ticks * TICK_MS;
}

/**
 * CPU time (user + system, ms) of every running process whose command line `matches`, by pid, read
 * from /proc (Linux; empty elsewhere). Two readings around a run give the CPU the matched processes
 * spent in it (a process started in between counts from zero).
 */
export function processCpuMs(matches: (cmdline: string) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!matches(cmdline)) continue;
      out.set(Number(pid), statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** CPU ms spent between two readings of {@link processCpuMs}. */
export function cpuMsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}
