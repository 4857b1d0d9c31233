// Small helpers the console pages share. Every user-supplied string goes through textContent.
export { el } from '/console/render-reply.js';

/** JSON from the console API; throws an Error with the server's sentence on a non-2xx answer. */
export async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.body ? { 'Content-Type': 'application/json' } : {}), ...(options.headers ?? {}) },
  });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `Rapport answered HTTP ${res.status}.`);
  return body;
}

/** "3 Dec 2026, 09:00" in the browser's locale and zone. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
}

/** "1 record", "1,000 records". */
export function plural(n, noun) {
  return `${Number(n).toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** Previous / "page 2 of 7" / Next, calling `go(page)`. */
export function pager(total, page, pageSize, go) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const nav = document.createElement('nav');
  nav.className = 'pager';
  nav.setAttribute('aria-label', 'Pages');
  const prev = document.createElement('button');
  prev.type = 'button';
  prev.textContent = '‹ Previous';
  prev.disabled = page <= 1;
  prev.addEventListener('click', () => go(page - 1));
  const next = document.createElement('button');
  next.type = 'button';
  next.textContent = 'Next ›';
  next.disabled = page >= pages;
  next.addEventListener('click', () => go(page + 1));
  const label = document.createElement('span');
  label.className = 'muted';
  label.textContent = `page ${page} of ${pages} · ${plural(total, 'item')}`;
  nav.append(prev, label, next);
  return nav;
}

/** Shows a sentence in the page's status line (#status), as an error or not. */
export function say(text, isError = false) {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.className = isError ? 'status error' : 'status';
}
