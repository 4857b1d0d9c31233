import { followTeamChannel } from '/console/feed.js';
import { el, renderReply } from '/console/render-reply.js';

const chat = document.getElementById('chat');
const feed = document.getElementById('feed');
const form = document.getElementById('command-form');
const input = document.getElementById('command');
const streamState = document.getElementById('stream-state');

/** A random request key; crypto.randomUUID exists only on secure origins (not http://host:3000 from elsewhere). */
function newRequestKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// The typed command still waiting for an answer and its Idempotency-Key. Sending the same text again
// before Rapport answered it (the connection dropped, a proxy timed out, Rapport restarted or said 5xx)
// reuses the key, so a command that was in fact saved is never saved twice.
let unanswered = null;

/** Sends one command as the signed-in person and appends the reply to the chat. */
async function run(text) {
  const key = unanswered?.text === text ? unanswered.key : newRequestKey();
  unanswered = { text, key };
  const mine = el('li', 'you', `> ${text}`);
  chat.append(mine);
  const item = el('li');
  chat.append(item);
  const again = [{ label: 'Send again', command: text }];
  try {
    const res = await fetch('/api/command', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ text }),
    });
    if (res.status < 500 && unanswered?.key === key) unanswered = null;
    const reply = await res.json().catch(() => ({}));
    const shown = reply.text ? reply : { tone: 'error', text: reply.error ?? `Rapport answered HTTP ${res.status}.` };
    item.append(
      renderReply(res.status >= 500 ? { ...shown, buttons: [...(shown.buttons ?? []), ...again] } : shown, run),
    );
  } catch (err) {
    item.append(
      renderReply(
        {
          tone: 'error',
          text: `Rapport did not answer (${err.message}). Is it still running? Sending the same command again will not log it twice.`,
          buttons: again,
        },
        run,
      ),
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

followTeamChannel(feed, streamState, run);
input.focus();
