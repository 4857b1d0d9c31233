import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/open-database.ts';
import { createScratchPostgres, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { spawnRapport } from '../../helpers/spawn-rapport.ts';
import { generateHistory, writeHistory } from '../../../bench/insights-history.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';

describe.each(TEST_DATABASE_KINDS)('rapport report on %s', (kind) => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-report-'));
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await drop?.();
  });

  it('prints the period as text, JSON and CSV, with the planted churner at risk; bad arguments exit 2', async () => {
    const env: Record<string, string> = { RAPPORT_DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' };
    if (kind === 'postgres') {
      const scratch = await createScratchPostgres();
      drop = scratch.drop;
      env.DATABASE_URL = scratch.url;
    }
    // Seeded in-process up to now (the CLI reads the last 30 days from the real clock).
    const db = await openDatabase({ dataDir: dir, databaseUrl: env.DATABASE_URL });
    const history = generateHistory({
      seed: 3,
      customers: 8,
      churners: 1,
      strength: 'clear',
      now: new Date(),
      namePrefix: 'Report',
    });
    await writeHistory(db, history);
    // What the engine says in-process, to compare the CLI's output with.
    const expected = await healthInsight(db, parseInsightsPeriod('30d', new Date()), {
      businessHours: DEFAULT_BUSINESS_HOURS,
      responseTargetMinutes: 240,
      publicUrl: 'http://127.0.0.1:3000',
    });
    await db.close();
    const churner = history.companies.find((c) => c.willChurn)!;
    expect(expected.atRisk.map((c) => c.name)).toContain(churner.name);
    const run = async (...args: string[]) => {
      const p = spawnRapport(args, env);
      return { code: await p.exited, out: p.output() };
    };

    const text = await run('report', '--since', '30d');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^Insights over 30d: \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/m);
    // No snapshot yet (no refresh-insights job ran): computed now, and it says which periods are precomputed.
    expect(text.out).toContain(
      '(computed now: the refresh-insights job precomputes only 7d, 30d, 90d for the whole team;',
    );
    expect(text.out).toContain(`At risk (`);
    expect(text.out).toContain(`  ${churner.name}: risk `);
    expect(text.out).toMatch(/Responsiveness \(target 4 h, business hours 09:00-17:00 mon,tue,wed,thu,fri UTC\)/);

    const json = await run('report', '--since', '30d', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report.period.label).toBe('30d');
    expect(report.health.atRisk.map((c: { name: string }) => c.name)).toContain(churner.name);
    const inbound = history.messages.filter(
      (m) => m.direction === 'inbound' && m.sentAt.getTime() >= Date.parse(report.period.from),
    );
    expect(report.topics.overall.total).toBe(inbound.length);

    const csv = await run('report', '--csv', '--since', '30d');
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('section,group,kind,metric,value');
    expect(lines).toContain(
      `health,${churner.name},at-risk,risk,${report.health.atRisk.find((c: { name: string }) => c.name === churner.name).risk}`,
    );
    expect(lines.some((l) => l.startsWith('response_overall,everyone,first,median_minutes,'))).toBe(true);

    // Every customer is scored and counted; --offset/--limit list another page, --all every one.
    expect(report.health).toMatchObject({ scored: expected.scored, atRiskCount: expected.atRiskCount, offset: 0 });
    const names = (h: { customers: { name: string }[] }) => h.customers.map((c) => c.name);
    const all = JSON.parse((await run('report', '--since', '30d', '--json', '--all')).out);
    expect(all.health.customers).toHaveLength(expected.scored);
    const page = await run('report', '--since', '30d', '--json', '--offset', '2', '--limit', '3');
    expect(page.code).toBe(0);
    // stdout and stderr come in one stream here: the note about the page is a line of its own.
    const paged = JSON.parse(
      page.out
        .split('\n')
        .filter((l) => !l.startsWith('(customers ranked'))
        .join('\n'),
    );
    expect(paged.health).toMatchObject({ scored: expected.scored, offset: 2 });
    expect(names(paged.health)).toEqual(names(all.health).slice(2, 5));
    expect(page.out).toContain(`(customers ranked 3-5 of ${expected.scored} scored are listed, riskiest first;`);
    const both = await run('report', '--all', '--offset', '3');
    expect(both.code).toBe(2);
    expect(both.out).toContain('--all lists every customer');

    const bad = await run('report', '--since', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('"forever" is not a period');
  }, 300_000);
});
