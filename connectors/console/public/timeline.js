import { el } from '/console/render-reply.js';

const params = new URLSearchParams(window.location.search);
const customer = params.get('customer') ?? '';
const nameNode = document.getElementById('company-name');
const summary = document.getElementById('summary');
const timeline = document.getElementById('timeline');
const followups = document.getElementById('followups');
const when = (iso) => new Date(iso).toLocaleString();

async function load() {
  if (!customer) {
    summary.textContent = 'Open a customer from "lookup" in the console, or add ?customer=<name or id> to the address.';
    return;
  }
  const res = await fetch(`/api/customers/${encodeURIComponent(customer)}/timeline`);
  const data = await res.json();
  if (!res.ok) {
    summary.textContent = data.error ?? `HTTP ${res.status}`;
    return;
  }
  document.title = `${data.company.name} · Rapport`;
  nameNode.textContent = data.company.name;
  const contacts = data.contacts
    .map((c) => (c.emails.length ? `${c.name} <${c.emails.join(', ')}>` : c.name))
    .join('; ');
  summary.replaceChildren(
    el(
      'div',
      '',
      `${plural(data.recordCount, 'record')}, ${plural(data.followUpCount ?? data.followUps.length, 'open follow-up')}${data.company.domains.length ? ` · ${data.company.domains.join(', ')}` : ''}`,
    ),
    el('div', 'muted', contacts ? `Contacts: ${contacts}` : 'No contacts yet'),
  );
  followups.replaceChildren(
    ...(data.followUps.length
      ? data.followUps.map((f) =>
          el('li', 'reply followup', `#${f.number} ${f.title} · due ${when(f.dueAt)} · ${f.status}`),
        )
      : [el('li', 'muted', 'None')]),
    ...more(data.followUpCount, data.followUps.length, 'open follow-up', `followups "${data.company.name}"`),
  );
  timeline.replaceChildren(
    ...(data.records.length
      ? data.records.map((r) => {
          const item = el('li', 'reply record');
          item.dataset.recordId = r.id;
          item.append(
            el(
              'div',
              'meta',
              `${when(r.lastMessageAt)} · ${r.channelKind}${r.label ? ` · ${r.label}${r.labelCorrected ? ' (corrected)' : ''}` : ''}`,
            ),
          );
          for (const m of r.messages) {
            const message = el('div', 'message', `${m.authorName ? `${m.authorName}: ` : ''}${m.text}`);
            // The language the classifier read it in, for anything but English: reps see at once who wrote Chinese.
            if (m.language && m.language !== 'en' && m.language !== 'und') {
              message.lang = m.language;
              message.title = `language: ${m.language}`;
              message.prepend(el('span', 'muted', `[${m.language}] `));
            }
            item.append(message);
          }
          return item;
        })
      : [el('li', 'muted', 'Nothing logged yet.')]),
    ...more(data.recordCount, data.records.length, 'record', `rapport export "${data.company.name}" json`),
  );
}

/** "1 record", "1,000 records". */
function plural(n, noun) {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** "…and N more" under a list that shows `shown` of `total`, naming where the rest are. */
function more(total, shown, noun, where) {
  if (!total || total <= shown) return [];
  return [el('li', 'muted more', `…and ${plural(total - shown, `more ${noun}`)} (see: ${where})`)];
}
load();
