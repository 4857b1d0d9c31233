import { findCompanyByNameOrDomain } from '../db/company.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/db-client.ts';
import { parseCsvRows } from '../domain/csv.ts';
import { type CustomerCsvLayout, detectCustomerCsvLayout } from '../domain/customer-csv-layout.ts';
import { isCompanyDomain } from '../domain/email-participants.ts';
import {
  emailDomain,
  normalizeCompanyName,
  normalizeDomain,
  normalizeEmail,
} from '../domain/normalize-company-name.ts';
import { RapportError, userMessage } from '../errors.ts';
import type { AuditActor } from './audit.service.ts';
import { createCustomer } from './create-customer.service.ts';
import { addCompanyDomain, saveContact } from './customer-contacts.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/** What happened to one data row (line = its line in the file, the header being line 1). */
export interface ImportRowResult {
  line: number;
  outcome: 'created' | 'updated' | 'unchanged' | 'error';
  company?: string;
  contact?: string;
  /** Why the row was not imported (outcome "error"). */
  error?: string;
}

export interface ImportSummary {
  dryRun: boolean;
  /** The export the header was recognised as ("HubSpot", "Salesforce", "Pipedrive", "by header"). */
  layout: string;
  /** Field -> column name, as read from the header. */
  mapping: Record<string, string>;
  rows: number;
  companiesCreated: number;
  contactsCreated: number;
  updated: number;
  unchanged: number;
  errors: number;
  results: ImportRowResult[];
}

/** Most rows one import takes (about 10 MB of CSV); split larger files. */
export const MAX_IMPORT_ROWS = 50_000;

class DryRunRollback extends Error {}

/**
 * Imports companies and contacts from a CSV export (HubSpot, Salesforce and Pipedrive layouts are
 * recognised, any other file is mapped by its column names). Each row is one transaction: a bad row is
 * reported with its line and the reason and changes nothing, the others are imported. Idempotent:
 * companies are found by name or domain and contacts by email (else name), so importing the same file
 * again changes nothing. With `dryRun` every row is checked the same way and then rolled back.
 * @throws RapportError invalid_input when the file is not a CSV this can read (nothing is imported).
 */
export async function importCustomersCsv(
  db: Database,
  text: string,
  opts: { dryRun: boolean; actor: AuditActor },
): Promise<ImportSummary> {
  let rows: string[][];
  try {
    rows = parseCsvRows(text).filter((r) => r.some((cell) => cell.trim() !== ''));
  } catch (err) {
    throw new RapportError('invalid_input', (err as Error).message);
  }
  if (rows.length < 2)
    throw new RapportError('invalid_input', 'The file needs a header row and at least one row of data.');
  if (rows.length - 1 > MAX_IMPORT_ROWS)
    throw new RapportError(
      'invalid_input',
      `The file has ${rows.length - 1} rows; import at most ${MAX_IMPORT_ROWS} at a time.`,
    );
  const header = rows[0];
  const layout = detectCustomerCsvLayout(header);
  if (!layout)
    throw new RapportError(
      'invalid_input',
      `No column of this file names a company, domain or email (columns: ${header.slice(0, 12).join(', ')}). Name one "Company", "Domain" or "Email".`,
    );
  const summary: ImportSummary = {
    dryRun: opts.dryRun,
    layout: layout.name,
    mapping: Object.fromEntries(Object.entries(layout.columns).map(([field, i]) => [field, header[i].trim()])),
    rows: rows.length - 1,
    companiesCreated: 0,
    contactsCreated: 0,
    updated: 0,
    unchanged: 0,
    errors: 0,
    results: [],
  };
  // A dry run rolls every row back, so later rows cannot see companies earlier rows would create.
  const wouldCreate = new Set<string>();
  for (let r = 1; r < rows.length; r++) {
    const line = r + 1;
    let result: ImportRowResult;
    try {
      result = await inTransaction(
        db,
        async (tx) => {
          const outcome = await importRow(tx, rows[r], layout, line, opts.actor, wouldCreate);
          if (opts.dryRun) throw new DryRunRollback('', { cause: outcome });
          return outcome;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
    } catch (err) {
      if (err instanceof DryRunRollback) result = err.cause as ImportRowResult;
      else result = { line, outcome: 'error', error: userMessage(err) };
    }
    summary.results.push(result);
    if (result.outcome === 'error') summary.errors++;
    else if (result.outcome === 'updated') summary.updated++;
    else if (result.outcome === 'unchanged') summary.unchanged++;
  }
  summary.companiesCreated = summary.results.filter(
    (x) => x.outcome !== 'error' && (x as RowWithCounts).companyCreated,
  ).length;
  summary.contactsCreated = summary.results.filter(
    (x) => x.outcome !== 'error' && (x as RowWithCounts).contactCreated,
  ).length;
  for (const x of summary.results as RowWithCounts[]) {
    delete x.companyCreated;
    delete x.contactCreated;
  }
  return summary;
}

type RowWithCounts = ImportRowResult & { companyCreated?: boolean; contactCreated?: boolean };

async function importRow(
  tx: PrismaExecutor,
  row: string[],
  layout: CustomerCsvLayout,
  line: number,
  actor: AuditActor,
  wouldCreate: Set<string>,
): Promise<RowWithCounts> {
  const cell = (field: keyof CustomerCsvLayout['columns']) => {
    const i = layout.columns[field];
    return i === undefined ? '' : (row[i] ?? '').trim();
  };
  const companyName = cell('company');
  const rawDomain = cell('domain');
  const rawEmail = cell('email');
  const email = rawEmail ? normalizeEmail(rawEmail) : undefined;
  if (rawEmail && !email) throw new RapportError('invalid_input', `"${rawEmail}" is not an email address.`);
  const domain = rawDomain ? normalizeDomain(rawDomain) : undefined;
  if (rawDomain && (!domain || !isCompanyDomain(domain)))
    throw new RapportError('invalid_input', `"${rawDomain}" is not a company domain or website.`);
  const contactName =
    cell('contactName') || [cell('firstName'), cell('lastName')].filter(Boolean).join(' ') || undefined;
  const phone = cell('phone') || undefined;
  const emailCompanyDomain = email && isCompanyDomain(emailDomain(email)) ? emailDomain(email) : undefined;
  const typed = companyName || domain || emailCompanyDomain;
  if (!typed)
    throw new RapportError(
      'invalid_input',
      email
        ? `${email} is a free-mail address and the row names no company: add the company's name.`
        : 'The row names no company, domain or email.',
    );
  const before = await findCompanyByNameOrDomain(tx, {
    normalizedName: companyName ? normalizeCompanyName(companyName) : undefined,
    domain: domain || (!companyName && emailCompanyDomain) ? (domain ?? emailCompanyDomain) : undefined,
  });
  const company = before ?? (await createCustomer(tx, typed, actor));
  const companyCreated = !before && !wouldCreate.has(normalizeCompanyName(company.name));
  if (companyCreated) wouldCreate.add(normalizeCompanyName(company.name));
  let changed = false;
  if (domain && !company.domains.includes(domain))
    changed = (await addCompanyDomain(tx, company.id, domain, actor)) || changed;
  let contactCreated = false;
  if (contactName || email) {
    const saved = await saveContact(tx, company.id, { name: contactName, email, phone }, actor);
    contactCreated = saved.outcome === 'created';
    changed = changed || saved.outcome === 'updated';
  }
  return {
    line,
    outcome: companyCreated || contactCreated ? 'created' : changed ? 'updated' : 'unchanged',
    company: company.name,
    contact: contactName ?? email,
    companyCreated,
    contactCreated,
  };
}
