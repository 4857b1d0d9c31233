import { authHeaders, el, renderReply, tokenQuery } from '/console/render-reply.js';

const chat = document.getElementById('chat');
const feed = document.getElementById('feed');
const form = document.getElementById('command-form');
const input = document.getElementById('command');
const user = document.getElementById('user');
const streamState = document.getElementById('stream-state');

user.value = localStorage.getItem('rapport.user') ?? user.value;
user.addEventListener('change', () => localStorage.setItem('rapport.user', user.value.trim() || 'console'));

/** Sends one command as the current user and appends the reply to the chat. */
async function run(text) {
  const mine = el('li', 'you', `> ${text}`);
  chat.append(mine);
  const item = el('li');
  chat.append(item);
  try {
    const res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID(), ...authHeaders() },
      body: JSON.stringify({ text, user: user.value.trim() || 'console' }),
    });
    const reply = await res.json();
    item.append(renderReply(reply.text ? reply : { tone: 'error', text: reply.error ?? `HTTP ${res.status}` }, run));
  } catch (err) {
    item.append(
      renderReply({ tone: 'error', text: `Rapport did not answer (${err.message}). Is it still running?` }, run),
    );
  }
  item.scrollIntoView({ block: 'end' });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  run(text);
});

// The team channel: what Rapport posts (reminders, suggestions, shared replies), live.
const shown = new Map();
function show(entry) {
  const node = el('li');
  node.dataset.externalId = entry.externalId;
  node.append(renderReply(entry.reply, run));
  const existing = shown.get(entry.externalId);
  if (existing) existing.replaceWith(node);
  else feed.append(node);
  shown.set(entry.externalId, node);
  node.scrollIntoView({ block: 'end' });
}
const stream = new EventSource(`/api/channel/stream${tokenQuery('?')}`);
stream.addEventListener('open', () => (streamState.textContent = 'live'));
stream.addEventListener('error', () => (streamState.textContent = 'reconnecting…'));
stream.addEventListener('snapshot', (e) => {
  feed.replaceChildren();
  shown.clear();
  for (const entry of JSON.parse(e.data)) show(entry);
});
stream.addEventListener('post', (e) => show(JSON.parse(e.data)));
stream.addEventListener('update', (e) => show(JSON.parse(e.data)));
input.focus();
