/** The customer fields a CSV column can fill. */
export type CustomerField = 'company' | 'domain' | 'contactName' | 'firstName' | 'lastName' | 'email' | 'phone';

/** Which CSV export a header row is, and which column fills which field (column index). */
export interface CustomerCsvLayout {
  /** "HubSpot", "Salesforce", "Pipedrive", or "by header" (any other file, mapped by its column names). */
  name: string;
  columns: Partial<Record<CustomerField, number>>;
}

type Aliases = Record<CustomerField, string[]>;

/**
 * The column names of the CRM exports people bring, as exported (compared case- and space-insensitively).
 * HubSpot: company and contact exports ("Company name", "Company Domain Name", "First Name", "Email",
 * "Associated Company"). Salesforce: report and Data Loader exports ("Account Name", "Website",
 * "FirstName", "Account.Name"). Pipedrive: organisation and people exports ("Organization - Name",
 * "Person - Email").
 */
const KNOWN: Array<{ name: string; signature: string[]; aliases: Partial<Aliases> }> = [
  {
    name: 'HubSpot',
    signature: ['record id', 'company domain name', 'associated company', 'create date', 'lifecycle stage'],
    aliases: {
      company: ['company name', 'associated company', 'name'],
      domain: ['company domain name', 'website url', 'domain'],
      firstName: ['first name'],
      lastName: ['last name'],
      email: ['email'],
      phone: ['phone number', 'mobile phone number'],
    },
  },
  {
    name: 'Pipedrive',
    signature: ['organization - name', 'person - name', 'person - email', 'organization - website'],
    aliases: {
      company: ['organization - name', 'person - organization', 'organization'],
      domain: ['organization - website', 'organization - domain'],
      contactName: ['person - name'],
      firstName: ['person - first name'],
      lastName: ['person - last name'],
      email: ['person - email', 'person - email - work', 'person - email - other'],
      phone: ['person - phone', 'person - phone - work', 'person - phone - mobile'],
    },
  },
  {
    name: 'Salesforce',
    signature: ['account name', 'account.name', 'account owner', 'accountid', 'billing city', 'mailing city'],
    aliases: {
      company: ['account name', 'account.name', 'account: account name', 'company'],
      domain: ['website', 'account.website', 'account: website'],
      contactName: ['full name', 'contact name'],
      firstName: ['first name', 'firstname'],
      lastName: ['last name', 'lastname'],
      email: ['email'],
      phone: ['phone', 'mobile', 'mobilephone'],
    },
  },
];

/** Any other file: common names for each field. */
const GENERIC: Aliases = {
  company: [
    'company',
    'company name',
    'organization',
    'organisation',
    'organization name',
    'account',
    'account name',
    'customer',
    'business',
  ],
  domain: ['domain', 'website', 'web site', 'url', 'company domain', 'company website', 'homepage'],
  contactName: ['contact', 'contact name', 'name', 'full name', 'person'],
  firstName: ['first name', 'firstname', 'given name', 'forename'],
  lastName: ['last name', 'lastname', 'surname', 'family name'],
  email: ['email', 'e-mail', 'email address', 'e-mail address', 'mail', 'contact email'],
  phone: ['phone', 'telephone', 'phone number', 'mobile', 'tel'],
};

const key = (h: string) => h.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * Recognises the layout of a customer CSV from its header row and maps its columns. A file with a
 * company-only export (no contact columns) or a contact-only one both work; a file where no column
 * names a company, domain or email cannot be imported and gets `undefined`.
 */
export function detectCustomerCsvLayout(header: string[]): CustomerCsvLayout | undefined {
  const names = header.map(key);
  const known = KNOWN.find((k) => k.signature.some((s) => names.includes(s)));
  const aliases: Partial<Aliases> = known ? { ...GENERIC, ...known.aliases } : GENERIC;
  const columns: Partial<Record<CustomerField, number>> = {};
  const used = new Set<number>();
  for (const field of Object.keys(GENERIC) as CustomerField[]) {
    for (const alias of aliases[field] ?? []) {
      const i = names.findIndex((n, idx) => n === alias && !used.has(idx));
      if (i >= 0) {
        columns[field] = i;
        used.add(i);
        break;
      }
    }
  }
  // HubSpot's company export calls the company "Name"; in a contact file "Name" would be the person.
  if (
    known?.name === 'HubSpot' &&
    columns.company === undefined &&
    columns.contactName !== undefined &&
    columns.email === undefined
  ) {
    columns.company = columns.contactName;
    delete columns.contactName;
  }
  if (columns.company === undefined && columns.domain === undefined && columns.email === undefined) return undefined;
  return { name: known?.name ?? 'by header', columns };
}
