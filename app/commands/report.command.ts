import { openDatabase } from '../../src/db/open-database.ts';
import type { RapportError } from '../../src/errors.ts';
import { formatReportCsv, formatReportText } from '../../src/insights/format-insights-report.ts';
import {
  EVERY_CUSTOMER,
  FIRST_PAGE,
  type HealthPage,
  holdsPage,
  pageHealth,
  REPORT_CUSTOMERS,
} from '../../src/insights/health.service.ts';
import { buildInsightsReport } from '../../src/insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../../src/insights/insights-period.ts';
import { rollupsUntil, SNAPSHOT_PERIODS, snapshotReport } from '../../src/insights/insight-snapshots.service.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';

const USAGE =
  'Usage: rapport report [--since 30d] [--customer NAME] [--json|--csv] [--fresh] [--all | --offset N] [--limit N]';

/**
 * `rapport report --since 30d [--customer NAME] [--json|--csv]`: the insights of a period (topics,
 * at-risk customers with reasons, response times, sentiment) as text, JSON or CSV on stdout. Every
 * customer is scored; the REPORT_CUSTOMERS riskiest are listed (`health.scored` counts them all):
 * `--offset N [--limit N]` lists another page, `--all` every one.
 */
export const reportCommand: CliCommand = async (argv, config) => {
  let since: string | undefined;
  let customerName: string | undefined;
  let format: 'text' | 'json' | 'csv' = 'text';
  let fresh = false;
  let all = false;
  let offset = 0;
  let limit = REPORT_CUSTOMERS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--fresh') fresh = true;
    else if (a === '--all') all = true;
    else if (a === '--offset' || a === '--limit') {
      const value = argv[++i];
      const n = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || (a === '--limit' && n < 1)) {
        console.error(`${a} needs a whole number${a === '--limit' ? ' of at least 1' : ''}. ${USAGE}`);
        return 2;
      }
      if (a === '--offset') offset = n;
      else limit = n;
    } else if (a === '--json' || a === '--csv') {
      if (format !== 'text') {
        console.error(`Choose one of --json and --csv. ${USAGE}`);
        return 2;
      }
      format = a === '--json' ? 'json' : 'csv';
    } else if (a === '--since' || a === '--customer') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) {
        console.error(`${a} needs a value. ${USAGE}`);
        return 2;
      }
      if (a === '--since') since = value;
      else customerName = value;
    } else if (a.startsWith('--since=')) since = a.slice(8);
    else {
      console.error(`Unknown argument "${a}". ${USAGE}`);
      return 2;
    }
  }
  if (all && (offset !== 0 || limit !== REPORT_CUSTOMERS)) {
    console.error(`--all lists every customer: leave out --offset and --limit. ${USAGE}`);
    return 2;
  }
  const page: HealthPage = all
    ? EVERY_CUSTOMER
    : offset === 0 && limit === REPORT_CUSTOMERS
      ? FIRST_PAGE
      : { offset, limit };
  let period: ReturnType<typeof parseInsightsPeriod>;
  try {
    period = parseInsightsPeriod(since, new Date());
  } catch (err) {
    console.error((err as RapportError).message);
    return 2;
  }
  const c = config();
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    let customer: { id: string; name: string } | undefined;
    if (customerName) {
      const match = confidentMatch(await lookupCustomer(db, customerName), { requireExact: false });
      if (!match) {
        console.error(`No single customer matches "${customerName}"; "rapport exec lookup NAME" lists them.`);
        return 1;
      }
      customer = { id: match.companyId, name: match.companyName };
    }
    // The whole team over a standard period: the refresh-insights job's snapshot while fresh (--fresh
    // recomputes); it holds the riskiest REPORT_CUSTOMERS, so a page past them is computed.
    const held = !customer && !fresh ? await snapshotReport(db, period.label) : undefined;
    const snap = held && holdsPage(held.report.health, page) ? held : undefined;
    const report = snap
      ? { ...snap.report, health: pageHealth(snap.report.health, page) }
      : await buildInsightsReport(db, c.insights, period, {
          companyIds: customer ? [customer.id] : undefined,
          customer,
          page,
        });
    const until = snap || customer ? undefined : await rollupsUntil(db);
    if (snap && format === 'text')
      console.error(`(as of ${snap.computedAt.toISOString()}, from the refresh-insights job; --fresh recomputes now)`);
    else if (!customer && format === 'text' && until)
      console.error(
        `(computed now: whole days before ${until.toISOString().slice(0, 10)} from the refresh-insights job's daily rollups, the rest from the messages; topics from a sample)`,
      );
    else if (!customer && format === 'text')
      console.error(
        `(computed now: the refresh-insights job precomputes only ${SNAPSHOT_PERIODS.join(', ')} for the whole team; other periods take longer on a large history)`,
      );
    const h = report.health;
    if (h.customers.length < h.scored)
      console.error(
        `(customers ranked ${h.customers.length === 0 ? 'none' : `${h.offset + 1}-${h.offset + h.customers.length}`} of ${h.scored} scored are listed, riskiest first; --offset N lists from rank N+1, --all every one)`,
      );
    process.stdout.write(
      format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : format === 'csv'
          ? formatReportCsv(report)
          : formatReportText(report),
    );
    return 0;
  } finally {
    await db.close();
  }
};
