import { el, plural, say } from '/console/page.js';

const file = document.getElementById('file');
const table = document.getElementById('rows');

function show(summary) {
  const done = summary.dryRun ? 'would be' : 'were';
  document.getElementById('summary').replaceChildren(
    el(
      'p',
      '',
      `Read as: ${summary.layout} (${Object.entries(summary.mapping)
        .map(([f, c]) => `${f} ← "${c}"`)
        .join(', ')})`,
    ),
    el(
      'p',
      summary.errors ? 'error' : '',
      `${plural(summary.rows, 'row')}: ${summary.companiesCreated} new companies and ${summary.contactsCreated} new contacts ${done} created, ${summary.updated} ${done} updated, ${summary.unchanged} unchanged, ${plural(summary.errors, 'row')} with problems${summary.dryRun ? ' (dry run: nothing was changed)' : ''}.`,
    ),
  );
  // Problems first, so they are seen even in a long file.
  const rows = [...summary.results].sort((a, b) =>
    (a.outcome === 'error') === (b.outcome === 'error') ? a.line - b.line : a.outcome === 'error' ? -1 : 1,
  );
  table.tBodies[0].replaceChildren(
    ...rows.slice(0, 500).map((r) => {
      const tr = el('tr', r.outcome === 'error' ? 'error-row' : '');
      const td = (label, text, className = '') => {
        const c = el('td', className, text ?? '');
        c.dataset.label = label;
        return c;
      };
      tr.append(
        td('Line', String(r.line)),
        td('Outcome', r.outcome),
        td('Company', r.company),
        td('Contact', r.contact),
        td('Problem', r.error, r.error ? 'error' : ''),
      );
      return tr;
    }),
  );
  table.hidden = false;
}

async function send(dryRun) {
  const chosen = file.files?.[0];
  if (!chosen) return say('Choose a CSV file first.', true);
  say(dryRun ? 'Checking…' : 'Importing…');
  try {
    const res = await fetch(`/api/import/customers?dryRun=${dryRun ? 1 : 0}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: await chosen.text(),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return say(body.error ?? `Rapport answered HTTP ${res.status}.`, true);
    show(body);
    say(dryRun ? 'Checked. Nothing was changed.' : 'Imported.');
  } catch (err) {
    say(`Rapport did not answer (${err.message}).`, true);
  }
}

document.getElementById('check').addEventListener('click', () => send(true));
document.getElementById('run').addEventListener('click', () => send(false));
