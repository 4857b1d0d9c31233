import { openDatabase } from '../../src/db/open-database.ts';
import type { RapportError } from '../../src/errors.ts';
import { formatReportCsv, formatReportText } from '../../src/insights/format-insights-report.ts';
import { buildInsightsReport } from '../../src/insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../../src/insights/insights-period.ts';
import { rollupsUntil, SNAPSHOT_PERIODS, snapshotReport } from '../../src/insights/insight-snapshots.service.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';

const USAGE = 'Usage: rapport report [--since 30d] [--customer NAME] [--json|--csv] [--fresh]';

/**
 * `rapport report --since 30d [--customer NAME] [--json|--csv]`: the insights of a period (topics,
 * at-risk customers with reasons, response times, sentiment) as text, JSON or CSV on stdout.
 */
export const reportCommand: CliCommand = async (argv, config) => {
  let since: string | undefined;
  let customerName: string | undefined;
  let format: 'text' | 'json' | 'csv' = 'text';
  let fresh = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--fresh') fresh = true;
    else if (a === '--json' || a === '--csv') {
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
    // The whole team over a standard period: the refresh-insights job's snapshot while fresh (--fresh recomputes).
    const snap = !customer && !fresh ? await snapshotReport(db, period.label) : undefined;
    const report =
      snap?.report ??
      (await buildInsightsReport(db, c.insights, period, {
        companyIds: customer ? [customer.id] : undefined,
        customer,
      }));
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
