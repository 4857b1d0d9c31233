import { el, renderReply } from '/console/render-reply.js';

/**
 * The team channel, live: what Rapport posts (reminders, suggestions, shared replies) arrives over
 * server-sent events and replaces its earlier version in place. A message posted in another card's
 * thread (`entry.thread`: a burst of one customer's suggestions) is folded under that card, like a
 * Slack thread. `run` executes a card's button.
 */
export function followTeamChannel(feed, streamState, run) {
  const shown = new Map();
  function show(entry) {
    const card = el('div', 'entry-card');
    card.append(renderReply(entry.reply, run));
    const existing = shown.get(entry.externalId);
    if (existing) {
      // In place: the card only, so a thread folded under it stays.
      existing.querySelector(':scope > .entry-card').replaceWith(card);
      return;
    }
    const node = el('li');
    node.dataset.externalId = entry.externalId;
    node.append(card);
    shown.set(entry.externalId, node);
    const parent = entry.thread ? shown.get(entry.thread) : undefined;
    if (parent) {
      threadOf(parent).append(node);
      return;
    }
    feed.append(node);
    node.scrollIntoView({ block: 'end' });
  }
  const stream = new EventSource('/api/channel/stream');
  stream.addEventListener('open', () => (streamState.textContent = 'live'));
  stream.addEventListener('error', () => (streamState.textContent = 'reconnecting…'));
  stream.addEventListener('snapshot', (e) => {
    feed.replaceChildren();
    shown.clear();
    for (const entry of JSON.parse(e.data)) show(entry);
  });
  stream.addEventListener('post', (e) => show(JSON.parse(e.data)));
  stream.addEventListener('update', (e) => show(JSON.parse(e.data)));
  return stream;
}

/** The folded list under a card (made on its first reply); its summary counts the replies. */
function threadOf(parent) {
  let group = parent.querySelector(':scope > details.thread');
  if (!group) {
    group = el('details', 'thread');
    group.append(el('summary'), el('ol', 'thread-messages'));
    parent.append(group);
  }
  const list = group.querySelector(':scope > ol');
  const count = list.children.length + 1;
  group.querySelector(':scope > summary').textContent =
    `${count} more ${count === 1 ? 'message' : 'messages'} in this thread`;
  return list;
}

/** Runs a command as the signed-in person; resolves with the reply (or an error reply). */
export async function runCommand(text) {
  try {
    const res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    const reply = await res.json().catch(() => ({}));
    return reply.text ? reply : { tone: 'error', text: reply.error ?? `Rapport answered HTTP ${res.status}.` };
  } catch (err) {
    return { tone: 'error', text: `Rapport did not answer (${err.message}).` };
  }
}
