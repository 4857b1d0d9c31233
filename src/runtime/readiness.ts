import { MISSED_DEADLINE, withinDeadline } from '../concurrency/deadline.ts';

/** One dependency /readyz and `rapport doctor` check. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail: string; ms: number }>;
}

/** Runs every check in parallel with a timeout each; a hanging dependency reports as not ready instead of hanging /readyz. */
export async function runReadinessChecks(checks: ReadinessCheck[], timeoutMs = 3000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async (c) => {
      const started = Date.now();
      let result: { ok: boolean; detail: string };
      try {
        const answer = await withinDeadline(c.check(), timeoutMs);
        result = answer === MISSED_DEADLINE ? { ok: false, detail: `no answer within ${timeoutMs} ms` } : answer;
      } catch (err) {
        result = { ok: false, detail: (err as Error).message };
      }
      return [c.name, { ...result, ms: Date.now() - started }] as const;
    }),
  );
  const report = Object.fromEntries(entries);
  return { ok: entries.every(([, r]) => r.ok), checks: report };
}
