import { api, el, pager, plural, say, when } from '/console/page.js';

const params = new URLSearchParams(window.location.search);
const state = { view: params.get('view') ?? 'mine', page: Number(params.get('page') ?? 1) };
const body = document.querySelector('#followups tbody');
const all = document.getElementById('all');
const EMPTY = {
  mine: 'Nothing assigned to you is open.',
  overdue: 'Nothing is overdue.',
  today: 'Nothing of yours is due today.',
  all: 'No open follow-ups.',
};

function selected() {
  return [...body.querySelectorAll('input[type=checkbox]:checked')].map((c) => Number(c.value));
}
function countSelected() {
  document.getElementById('selected').textContent = `${selected().length} selected`;
}

async function load() {
  history.replaceState(null, '', `?view=${state.view}&page=${state.page}`);
  for (const b of document.querySelectorAll('#views button'))
    b.setAttribute('aria-pressed', String(b.dataset.view === state.view));
  all.checked = false;
  try {
    const data = await api(`/api/followups?view=${state.view}&page=${state.page}`);
    body.replaceChildren(
      ...data.followUps.map((f) => {
        const tr = el('tr', f.overdue ? 'overdue' : '');
        tr.dataset.number = String(f.number);
        const box = el('input');
        box.type = 'checkbox';
        box.value = String(f.number);
        box.setAttribute('aria-label', `Select #${f.number} ${f.title}`);
        box.addEventListener('change', countSelected);
        const company = el('td');
        company.dataset.label = 'Customer';
        if (f.company) {
          const a = el('a', '', f.company.name);
          a.href = `/console/customer?id=${encodeURIComponent(f.company.id)}`;
          company.append(a);
        } else company.textContent = '—';
        const td = (label, text) => {
          const c = el('td', '', text);
          c.dataset.label = label;
          return c;
        };
        const first = el('td');
        first.append(box);
        tr.append(
          first,
          td('#', `#${f.number}`),
          td('What', f.title),
          company,
          td('Due', `${when(f.dueAt)}${f.overdue ? ' (overdue)' : ''}`),
          td('Status', f.status),
          td('Assignee', f.assignee ?? 'nobody'),
        );
        return tr;
      }),
    );
    say(data.total === 0 ? EMPTY[state.view] : plural(data.total, 'follow-up'));
    document.getElementById('pages').replaceChildren(
      pager(data.total, data.page, data.pageSize, (p) => {
        state.page = p;
        load();
      }),
    );
  } catch (err) {
    say(err.message, true);
  }
  countSelected();
}

async function bulk(action) {
  const numbers = selected();
  if (numbers.length === 0) return say('Select follow-ups first.', true);
  try {
    const result = await api('/api/followups/bulk', {
      method: 'POST',
      body: JSON.stringify({ action, numbers, when: document.getElementById('bulk-when').value }),
    });
    const errors = result.replies.filter((r) => r.tone === 'error');
    await load();
    say(
      errors.length
        ? errors.map((r) => r.text).join(' ')
        : `${plural(numbers.length, 'follow-up')} ${action === 'done' ? 'marked done' : 'snoozed'}.`,
      errors.length > 0,
    );
  } catch (err) {
    say(err.message, true);
  }
}

for (const b of document.querySelectorAll('#views button'))
  b.addEventListener('click', () => {
    state.view = b.dataset.view;
    state.page = 1;
    load();
  });
all.addEventListener('change', () => {
  for (const c of body.querySelectorAll('input[type=checkbox]')) c.checked = all.checked;
  countSelected();
});
document.getElementById('bulk-done').addEventListener('click', () => bulk('done'));
document.getElementById('bulk-snooze').addEventListener('click', () => bulk('snooze'));
load();
