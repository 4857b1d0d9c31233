import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsvRows } from '../../../src/domain/csv.ts';
import { detectCustomerCsvLayout } from '../../../src/domain/customer-csv-layout.ts';

const fixture = (name: string) =>
  parseCsvRows(readFileSync(new URL(`../../fixtures/customers/${name}`, import.meta.url), 'utf8'));

describe('customer CSV layouts', () => {
  it('recognises HubSpot, Salesforce and Pipedrive exports and maps their columns', () => {
    const hubspot = fixture('hubspot-contacts.csv');
    expect(detectCustomerCsvLayout(hubspot[0])).toEqual({
      name: 'HubSpot',
      columns: { company: 5, firstName: 1, lastName: 2, email: 3, phone: 4 },
    });
    expect(hubspot[6]).toEqual([
      '106',
      'Quote',
      'Person "Q"',
      'q@quotes.example',
      '',
      'Quotes "R" Us',
      'lead',
      '2026-02-04 09:00',
    ]);
    expect(detectCustomerCsvLayout(fixture('salesforce-accounts.csv')[0])).toEqual({
      name: 'Salesforce',
      columns: { company: 0, domain: 1, phone: 2 },
    });
    expect(detectCustomerCsvLayout(fixture('pipedrive-people.csv')[0])).toEqual({
      name: 'Pipedrive',
      columns: { company: 3, domain: 4, contactName: 0, email: 1, phone: 2 },
    });
  });

  it('maps any other file by its column names (semicolons, a byte-order mark) and refuses one without a company, domain or email', () => {
    const other = parseCsvRows(
      `\ufeff${readFileSync(new URL('../../fixtures/customers/other-header.csv', import.meta.url), 'utf8')}`,
    );
    expect(other[1]).toEqual(['Müller GmbH', 'anna@mueller.example', '+49 30 1234', 'Anna Müller']);
    expect(detectCustomerCsvLayout(other[0])).toEqual({
      name: 'by header',
      columns: { company: 0, contactName: 3, email: 1, phone: 2 },
    });
    expect(detectCustomerCsvLayout(['Notes', 'Amount'])).toBeUndefined();
    expect(() => parseCsvRows('a,b\n"open,1\n')).toThrow(/unclosed double quote/);
  });

  it('reads HubSpot company exports, whose company column is called "Name"', () => {
    expect(detectCustomerCsvLayout(['Record ID', 'Name', 'Company Domain Name', 'Create Date'])).toEqual({
      name: 'HubSpot',
      columns: { company: 1, domain: 2 },
    });
  });
});
