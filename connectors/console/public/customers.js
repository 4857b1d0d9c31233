import { api, el, pager, plural, say, when } from '/console/page.js';

const SORT_LABELS = {
  last_contact: 'Last contact (newest first)',
  least_recent: 'Last contact (oldest first)',
  name: 'Name',
  health: 'Health (most at risk first)',
};
const COLUMN_LABELS = {
  name: 'Customer',
  lastContactAt: 'Last contact',
  contactCount: 'Contacts',
  openFollowUps: 'Open follow-ups',
  health: 'Health',
};

const params = new URLSearchParams(window.location.search);
const state = {
  q: params.get('q') ?? '',
  sort: params.get('sort') ?? 'last_contact',
  page: Number(params.get('page') ?? 1),
};
const q = document.getElementById('q');
const sort = document.getElementById('sort');
const body = document.querySelector('#customers tbody');
q.value = state.q;

function cell(column, c) {
  const td = el('td');
  td.dataset.label = COLUMN_LABELS[column];
  if (column === 'name') {
    const a = el('a', '', c.name);
    a.href = `/console/customer?id=${encodeURIComponent(c.id)}`;
    td.append(a);
    if (c.domains.length) td.append(el('div', 'muted', c.domains.join(', ')));
  } else if (column === 'lastContactAt') td.textContent = c.lastContactAt ? when(c.lastContactAt) : 'never';
  else if (column === 'health') {
    if (!c.health) td.textContent = '—';
    else if (c.health.health === null) {
      // Nothing to score (no contact for half a year, nothing overdue): not the same as healthy.
      td.append('— ', el('span', 'muted', 'not scored'));
      td.title = c.health.reason ?? '';
    } else {
      td.append(el('span', `score${c.health.atRisk ? ' risk' : ''}`, String(c.health.health)));
      if (c.health.atRisk) td.append(' ', el('span', 'muted', 'at risk'));
      if (c.health.reason) {
        td.title = c.health.reason;
        td.append(el('div', 'muted reason', c.health.reason));
      }
    }
  } else td.textContent = String(c[column]);
  return td;
}

async function load() {
  const query = new URLSearchParams({ q: state.q, sort: state.sort, page: String(state.page) });
  history.replaceState(null, '', `?${query}`);
  try {
    const data = await api(`/api/customers?${query}`);
    sort.replaceChildren(
      ...data.sorts.map((s) => {
        const o = el('option', '', SORT_LABELS[s] ?? s);
        o.value = s;
        o.selected = s === state.sort;
        return o;
      }),
    );
    document.getElementById('columns').replaceChildren(...data.columns.map((c) => el('th', '', COLUMN_LABELS[c] ?? c)));
    body.replaceChildren(
      ...data.customers.map((c) => {
        const tr = el('tr');
        tr.dataset.companyId = c.id;
        tr.append(...data.columns.map((column) => cell(column, c)));
        return tr;
      }),
    );
    say(
      data.total === 0
        ? state.q
          ? `No customer matches "${state.q}".`
          : 'No customers yet: log one in the chat or import a CSV.'
        : plural(data.total, 'customer'),
    );
    document.getElementById('pages').replaceChildren(
      pager(data.total, data.page, data.pageSize, (page) => {
        state.page = page;
        load();
      }),
    );
  } catch (err) {
    say(err.message, true);
  }
}

let typing;
q.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    state.q = q.value.trim();
    state.page = 1;
    load();
  }, 250);
});
document.getElementById('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  state.q = q.value.trim();
  state.page = 1;
  load();
});
sort.addEventListener('change', () => {
  state.sort = sort.value;
  state.page = 1;
  load();
});
load();
