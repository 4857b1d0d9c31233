import { el, renderReply } from '/console/render-reply.js';

/**
 * The team channel, live: what Rapport posts (reminders, suggestions, shared replies) arrives over
 * server-sent events and replaces its earlier version in place. `run` executes a card's button.
 */
export function followTeamChannel(feed, streamState, run) {
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
