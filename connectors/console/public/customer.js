import { api, el, pager, plural, say, when } from '/console/page.js';

const params = new URLSearchParams(window.location.search);
// `id` (the customer page) or `customer` (links from before it): an id, or a name that matches one customer.
const key = params.get('id') ?? params.get('customer') ?? '';
let page = Number(params.get('page') ?? 1);
let companyId = '';
let pageSize = 50;

/** A health reason's link (#record-<id>) opened: that conversation in the timeline, marked. */
function showLinkedRecord() {
  const id = window.location.hash.startsWith('#record-') ? window.location.hash.slice(1) : '';
  for (const old of document.querySelectorAll('.record.linked')) old.classList.remove('linked');
  const target = id ? document.getElementById(id) : null;
  if (!target) return;
  target.classList.add('linked');
  target.scrollIntoView({ block: 'center' });
}
window.addEventListener('hashchange', showLinkedRecord);

/** The score, each reason with its points, and the conversations and follow-ups behind it. */
async function loadHealth() {
  const box = document.getElementById('health');
  let h;
  try {
    h = await api(`/api/customers/${encodeURIComponent(companyId)}/health`);
  } catch (err) {
    // A process without the insights engine has no health figures: the section stays hidden.
    if (!/not computed/.test(err.message)) say(err.message, true);
    return;
  }
  box.hidden = false;
  const score = document.getElementById('health-score');
  score.replaceChildren(
    el('span', `score${h.atRisk ? ' risk' : ''}`, h.health === null ? 'Not scored' : `${h.health} / 100`),
    ' ',
    el(
      'span',
      'muted',
      h.reasons.length
        ? `${h.atRisk ? 'at risk · ' : ''}risk ${h.risk} = the sum of the reasons below (at risk from ${h.threshold}) · last 30 days`
        : h.health === null
          ? (h.whyNotScored ?? '')
          : (h.note ?? 'No risk found in the last 30 days.'),
    ),
  );
  document.getElementById('health-reasons').replaceChildren(
    ...h.reasons.map((r) => {
      const li = el('li', 'reason-item');
      li.dataset.code = r.code;
      li.append(el('div', '', `+${r.points} · ${r.text}`));
      if (r.records.length || r.followUps.length) {
        const list = el('ul', 'evidence');
        for (const rec of r.records) {
          const a = el(
            'a',
            '',
            `${when(rec.lastMessageAt)} · ${rec.channelKind}${rec.subject ? ` · ${rec.subject}` : ''}`,
          );
          const onPage = Math.floor(rec.position / pageSize) + 1;
          a.href = `?id=${encodeURIComponent(companyId)}&page=${onPage}#record-${rec.id}`;
          const item = el('li');
          item.append(a);
          if (rec.excerpt) item.append(el('div', 'muted excerpt', `“${rec.excerpt}”`));
          list.append(item);
        }
        for (const f of r.followUps) {
          const item = el('li');
          const a = el('a', '', `#${f.number} ${f.title}`);
          a.href = '/console/followups?view=overdue';
          item.append(a, el('span', 'muted', ` · due ${when(f.dueAt)} · ${f.status}`));
          list.append(item);
        }
        li.append(list);
      }
      return li;
    }),
  );
  if (window.location.hash === '#health') box.scrollIntoView({ block: 'start' });
}

function button(label, onClick, className = '') {
  const b = el('button', className, label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** Runs a change, shows its sentence, reloads the page's data. */
async function change(doing, done) {
  try {
    await doing();
    say(done);
    await load();
  } catch (err) {
    say(err.message, true);
  }
}

function renderDomains(domains) {
  document.getElementById('domains').replaceChildren(
    ...(domains.length
      ? domains.map((d) => {
          const li = el('li', 'chip', d);
          li.append(
            button(
              '×',
              () =>
                change(
                  () => api(`/api/customers/${companyId}/domains/${encodeURIComponent(d)}`, { method: 'DELETE' }),
                  `${d} removed.`,
                ),
              'icon',
            ),
          );
          li.lastChild.setAttribute('aria-label', `Remove ${d}`);
          return li;
        })
      : [el('li', 'muted', 'No domains: mail from this customer is matched by contact email only.')]),
  );
}

function contactForm(c) {
  const form = el('form', 'inline-form edit-contact');
  const name = el('input');
  name.value = c.name;
  name.setAttribute('aria-label', 'Name');
  const emails = el('input');
  emails.value = c.emails.join(', ');
  emails.setAttribute('aria-label', 'Emails (comma separated)');
  const phones = el('input');
  phones.value = (c.phones ?? []).join(', ');
  phones.setAttribute('aria-label', 'Phones (comma separated)');
  const save = el('button', 'primary', 'Save');
  save.type = 'submit';
  const split = (s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    change(
      () =>
        api(`/api/customers/${companyId}/contacts/${c.id}`, {
          method: 'PUT',
          body: JSON.stringify({ name: name.value, emails: split(emails.value), phones: split(phones.value) }),
        }),
      `${name.value} saved.`,
    );
  });
  form.append(
    name,
    emails,
    phones,
    save,
    button('Cancel', () => load()),
  );
  return form;
}

function renderContacts(contacts) {
  document.getElementById('contacts').replaceChildren(
    ...(contacts.length
      ? contacts.map((c) => {
          const li = el('li', 'contact');
          li.dataset.contactId = c.id;
          const text = el('span', '', c.name);
          const details = [...c.emails, ...(c.phones ?? [])].join(' · ');
          if (details) text.append(el('span', 'muted', ` ${details}`));
          li.append(
            text,
            button('Edit', () => li.replaceChildren(contactForm(c))),
            button(
              'Remove',
              () => {
                if (!window.confirm(`Remove ${c.name} from this customer? Their messages stay.`)) return;
                change(
                  () => api(`/api/customers/${companyId}/contacts/${c.id}`, { method: 'DELETE' }),
                  `${c.name} removed.`,
                );
              },
              'danger',
            ),
          );
          return li;
        })
      : [el('li', 'muted', 'No contacts yet.')]),
  );
}

async function load() {
  if (!key) {
    say('Open a customer from the customers list, or add ?id=<name or id> to the address.');
    return;
  }
  let data;
  try {
    data = await api(`/api/customers/${encodeURIComponent(key)}/timeline?page=${page}`);
  } catch (err) {
    say(err.message, true);
    return;
  }
  const first = !companyId;
  companyId = data.company.id;
  if (first) loadHealth();
  document.title = `${data.company.name} · Rapport`;
  document.getElementById('company-name').textContent = data.company.name;
  document
    .getElementById('summary')
    .replaceChildren(
      el(
        'div',
        '',
        `${plural(data.recordCount, 'record')}, ${plural(data.followUpCount ?? data.followUps.length, 'open follow-up')}${data.company.domains.length ? ` · ${data.company.domains.join(', ')}` : ''}`,
      ),
    );
  const exports = document.getElementById('exports');
  exports.replaceChildren(
    ...['csv', 'json'].map((format) => {
      const a = el('a', 'button', `Export ${format.toUpperCase()}`);
      a.href = `/api/customers/${companyId}/export?format=${format}&download=1`;
      a.setAttribute('download', '');
      return a;
    }),
  );
  renderDomains(data.company.domains);
  renderContacts(data.contacts);
  document
    .getElementById('followups')
    .replaceChildren(
      ...(data.followUps.length
        ? data.followUps.map((f) =>
            el('li', 'reply followup', `#${f.number} ${f.title} · due ${when(f.dueAt)} · ${f.status}`),
          )
        : [el('li', 'muted', 'None')]),
      ...(data.followUpCount > data.followUps.length
        ? [
            el(
              'li',
              'muted more',
              `…and ${plural(data.followUpCount - data.followUps.length, 'more open follow-up')} (see: Follow-ups)`,
            ),
          ]
        : []),
    );
  document.getElementById('timeline').replaceChildren(
    ...(data.records.length
      ? data.records.map((r) => {
          const item = el('li', 'reply record');
          item.dataset.recordId = r.id;
          item.id = `record-${r.id}`;
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
  );
  pageSize = data.pageSize;
  showLinkedRecord();
  document.getElementById('pages').replaceChildren(
    data.recordCount > data.pageSize
      ? pager(data.recordCount, data.page, data.pageSize, (p) => {
          page = p;
          history.replaceState(null, '', `?id=${encodeURIComponent(companyId)}&page=${p}`);
          load();
        })
      : '',
  );
}

document.getElementById('add-domain').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const domain = form.elements.namedItem('domain').value.trim();
  change(
    () => api(`/api/customers/${companyId}/domains`, { method: 'POST', body: JSON.stringify({ domain }) }),
    `${domain} added.`,
  ).then(() => {
    if (!document.getElementById('status').classList.contains('error')) form.reset();
  });
});
document.getElementById('add-contact').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const field = (n) => form.elements.namedItem(n).value;
  const contact = { name: field('name'), email: field('email'), phone: field('phone') };
  change(
    () => api(`/api/customers/${companyId}/contacts`, { method: 'POST', body: JSON.stringify(contact) }),
    `${contact.name || contact.email} saved.`,
  ).then(() => {
    if (!document.getElementById('status').classList.contains('error')) form.reset();
  });
});
load();
