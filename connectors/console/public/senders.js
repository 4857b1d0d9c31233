import { api, el, pager, plural, say, when } from '/console/page.js';

const body = document.querySelector('#senders tbody');
let page = Math.max(1, Number(new URLSearchParams(location.search).get('page')) || 1);

function cell(label, content, className = '') {
  const td = el('td', className);
  td.dataset.label = label;
  if (typeof content === 'string') td.textContent = content;
  else if (content) td.append(content);
  return td;
}

/** The action cell of one sender: a name field for free-mail addresses (the company is named after it) and the button. */
function action(sender, row) {
  const form = el('form', 'inline-form');
  const isAddress = sender.key.includes('@');
  const name = el('input');
  name.type = 'text';
  name.placeholder = 'Company name (optional)';
  name.setAttribute('aria-label', `Company name for ${sender.key}`);
  if (isAddress) form.append(name);
  const button = el('button', 'primary', 'Make customer');
  button.type = 'submit';
  button.setAttribute('aria-label', `Make ${sender.key} a customer`);
  form.append(button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    say(`Making ${sender.key} a customer…`);
    try {
      const made = await api('/api/unconfirmed-senders/make-customer', {
        method: 'POST',
        body: JSON.stringify({
          key: sender.key,
          ...(isAddress && name.value.trim() ? { name: name.value.trim() } : {}),
        }),
      });
      const link = el('a', '', made.name);
      link.href = `/console/customer?id=${encodeURIComponent(made.companyId)}`;
      const done = el('span', 'done');
      done.append(
        link,
        ` is a customer${made.created ? ' (new)' : ''}: ${made.contacts === 1 ? '1 person' : `${made.contacts.toLocaleString('en-US')} people`}, ${plural(made.records, 'conversation')} moved.`,
      );
      form.replaceWith(done);
      row.classList.add('made');
      say(`${made.name} is a customer now.`);
    } catch (err) {
      button.disabled = false;
      say(err.message, true);
    }
  });
  return form;
}

async function load() {
  say('Loading…');
  try {
    const size = 200;
    const { senders, total, pageSize = size } = await api(`/api/unconfirmed-senders?offset=${(page - 1) * size}`);
    body.replaceChildren(
      ...senders.map((s) => {
        const tr = el('tr');
        tr.dataset.key = s.key;
        tr.append(
          cell('Sender', s.key),
          cell('People', String(s.contacts)),
          cell('Conversations', String(s.records)),
          cell('Last mail', when(s.lastMessageAt)),
          cell('Subjects', s.subjects.join(' · '), 'muted'),
        );
        tr.append(cell('', action(s, tr)));
        return tr;
      }),
    );
    const first = (page - 1) * pageSize + 1;
    document.getElementById('pages').replaceChildren(
      total > pageSize
        ? pager(total, page, pageSize, (p) => {
            page = p;
            history.replaceState(null, '', `?page=${p}`);
            load();
          })
        : '',
    );
    say(
      total === 0
        ? 'Nobody is waiting: every sender is a customer, or was filtered as spam, bulk or a list.'
        : senders.length === 0
          ? `${plural(total, 'sender')} not yet customers; this page is past the last one.`
          : `${plural(total, 'sender')} not yet customers, newest mail first${total > pageSize ? ` (${first}-${first + senders.length - 1} here)` : ''}.`,
    );
  } catch (err) {
    say(err.message, true);
  }
}

load();
