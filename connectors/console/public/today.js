// "My day": the signed-in rep's overdue and due-today follow-ups, and the customers most at risk.
import { api, el, plural, say, when } from '/console/page.js';

const SNOOZE = [
  ['in 1 hour', '1 hour'],
  ['tomorrow 9:00', 'Tomorrow 9:00'],
  ['next monday 9:00', 'Next Monday 9:00'],
];

function customerLink(company) {
  if (!company) return el('span', 'muted', 'no customer');
  const a = el('a', '', company.name);
  a.href = `/console/customer?id=${encodeURIComponent(company.id)}`;
  return a;
}

/** Done or snooze through the same endpoint (and command grammar) as the follow-ups page. */
async function act(f, action, whenText) {
  try {
    const result = await api('/api/followups/bulk', {
      method: 'POST',
      body: JSON.stringify({ action, numbers: [f.number], when: whenText }),
    });
    const errors = result.replies.filter((r) => r.tone === 'error');
    await load();
    say(
      errors.length
        ? errors.map((r) => r.text).join(' ')
        : `#${f.number} ${action === 'done' ? 'marked done' : `snoozed until ${whenText}`}.`,
      errors.length > 0,
    );
  } catch (err) {
    say(err.message, true);
  }
}

function followUpItem(f, overdue) {
  const li = el('li', `day-item${overdue ? ' overdue' : ''}`);
  li.dataset.number = String(f.number);
  const head = el('div', 'day-head');
  head.append(el('strong', '', `#${f.number} ${f.title}`), ' · ', customerLink(f.company));
  const meta = el(
    'div',
    'muted',
    `${overdue ? 'was due' : 'due'} ${when(f.dueAt)}${f.status === 'snoozed' ? ' · snoozed' : ''}`,
  );
  const actions = el('div', 'buttons');
  const done = el('button', 'primary', 'Done');
  done.type = 'button';
  done.setAttribute('aria-label', `Done #${f.number}`);
  done.addEventListener('click', () => act(f, 'done'));
  const until = el('select');
  until.setAttribute('aria-label', `Snooze #${f.number} until`);
  for (const [value, label] of SNOOZE) {
    const o = el('option', '', label);
    o.value = value;
    o.selected = value === 'tomorrow 9:00';
    until.append(o);
  }
  const snooze = el('button', '', 'Snooze');
  snooze.type = 'button';
  snooze.setAttribute('aria-label', `Snooze #${f.number}`);
  snooze.addEventListener('click', () => act(f, 'snooze', until.value));
  actions.append(done, until, snooze);
  li.append(head, meta, actions);
  return li;
}

function riskItem(c) {
  const li = el('li', 'day-item');
  li.dataset.companyId = c.id;
  const head = el('div', 'day-head');
  const a = el('a', '', c.name);
  a.href = `/console/customer?id=${encodeURIComponent(c.id)}#health`;
  head.append(a, ' ', el('span', 'score risk', `health ${c.health}`));
  li.append(head);
  if (c.reason) li.append(el('div', 'reason', c.reason));
  return li;
}

async function load() {
  try {
    const data = await api('/api/my-day');
    document.getElementById('greeting').textContent = `My day · ${data.rep.name}`;
    document.getElementById('overdue-title').textContent = `Overdue (${data.overdue.length})`;
    document.getElementById('today-title').textContent = `Due today (${data.dueToday.length})`;
    document
      .getElementById('overdue')
      .replaceChildren(
        ...(data.overdue.length
          ? data.overdue.map((f) => followUpItem(f, true))
          : [el('li', 'muted', 'Nothing of yours is overdue.')]),
      );
    document
      .getElementById('due-today')
      .replaceChildren(
        ...(data.dueToday.length
          ? data.dueToday.map((f) => followUpItem(f, false))
          : [el('li', 'muted', 'Nothing else of yours is due today.')]),
      );
    const risk = document.getElementById('at-risk');
    const note = document.getElementById('risk-note');
    if (!data.atRisk) {
      note.textContent = 'Customer health is not computed by this Rapport process.';
      risk.replaceChildren();
    } else {
      note.textContent = `Health 0–100 over the last 30 days; at risk at ${100 - data.atRisk.threshold} or below. ${
        data.atRisk.source === 'snapshot' ? `As of ${when(data.atRisk.asOf)}.` : 'Computed just now.'
      }`;
      risk.replaceChildren(
        ...(data.atRisk.customers.length
          ? data.atRisk.customers.map(riskItem)
          : [el('li', 'muted', 'No customer is at risk.')]),
      );
    }
    say(
      data.followUpTotal > data.overdue.length + data.dueToday.length
        ? `Showing ${data.overdue.length + data.dueToday.length} of ${plural(data.followUpTotal, 'follow-up')} due by tonight.`
        : '',
    );
  } catch (err) {
    say(err.message, true);
  }
}
load();
