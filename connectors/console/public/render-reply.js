// Renders a Reply model into DOM nodes. Every user-supplied string goes through textContent, never innerHTML.

/** Creates an element with a class and optional text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function renderFields(fields) {
  const dl = el('dl', 'fields');
  for (const f of fields ?? []) {
    dl.append(el('dt', '', f.label), el('dd', '', f.value));
  }
  return dl;
}

/** At most this many buttons in a row; the rest go into its "More" menu. */
const PRIMARY_BUTTONS = 3;

// One menu open at a time; a click elsewhere or Escape closes it.
let openMenu = null;
function closeOpenMenu() {
  if (!openMenu) return;
  openMenu.menu.hidden = true;
  openMenu.button.setAttribute('aria-expanded', 'false');
  openMenu = null;
}
document.addEventListener('click', (event) => {
  if (openMenu && !openMenu.menu.contains(event.target) && event.target !== openMenu.button) closeOpenMenu();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeOpenMenu();
});

/** A button that opens a small menu of `items` ({label, activate}). */
function menuButton(label, items, className = '') {
  const wrap = el('span', 'menu-wrap');
  const button = el('button', className, label);
  button.type = 'button';
  button.setAttribute('aria-haspopup', 'menu');
  button.setAttribute('aria-expanded', 'false');
  const menu = el('div', 'menu');
  menu.setAttribute('role', 'menu');
  menu.hidden = true;
  for (const item of items) {
    const entry = el('button', item.className ?? '', item.label);
    entry.type = 'button';
    entry.setAttribute('role', 'menuitem');
    entry.addEventListener('click', () => {
      closeOpenMenu();
      item.activate();
    });
    menu.append(entry);
  }
  button.addEventListener('click', () => {
    const wasOpen = openMenu?.menu === menu;
    closeOpenMenu();
    if (wasOpen) return;
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    openMenu = { menu, button };
  });
  wrap.append(button, menu);
  return wrap;
}

/**
 * A small form under the buttons for a command that needs text ("Reassign" -> "@rep or email"):
 * typed text is appended to the command. Replaces window.prompt, which phones and embedded views block.
 */
function askFor(row, b, run) {
  row.parentElement?.querySelector(':scope > .ask')?.remove();
  const form = el('form', 'ask');
  const input = el('input');
  input.placeholder = b.input.placeholder ?? b.label;
  input.setAttribute('aria-label', b.label);
  const ok = el('button', 'primary', b.label.replace(/…$/, ''));
  ok.type = 'submit';
  const cancel = el('button', '', 'Cancel');
  cancel.type = 'button';
  cancel.addEventListener('click', () => form.remove());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    form.remove();
    run(`${b.command} ${value}`);
  });
  form.append(input, ok, cancel);
  row.after(form);
  input.focus();
}

/** What clicking `b` does: ask first (`confirm`), ask for text (`input`), or run its command. */
function activation(b, row, run) {
  return () => {
    if (b.confirm && !window.confirm(b.confirm)) return;
    if (b.input) return askFor(row, b, run);
    run(b.command);
  };
}

/**
 * Buttons run their command through `run(command)`. A button with `choices` opens a menu (a button
 * asking for text on the same command joins that menu: "Snooze" -> 1 h, Tomorrow, …, Other time…);
 * the first three are shown, the others are in a "More" menu.
 */
function renderButtons(buttons, run) {
  const row = el('div', 'buttons');
  const list = [];
  for (const b of buttons ?? []) {
    const host = b.input && list.find((o) => o.choices?.length && o.command === b.command);
    if (host) host.extra = [...(host.extra ?? []), b];
    else list.push({ ...b });
  }
  const itemsOf = (b) => [
    ...b.choices.map((c) => ({ label: c.label, activate: () => run(c.command) })),
    ...(b.extra ?? []).map((x) => ({ label: x.label, activate: activation(x, row, run) })),
  ];
  const shown = list.slice(0, PRIMARY_BUTTONS);
  const rest = list.slice(PRIMARY_BUTTONS);
  for (const b of shown) {
    if (b.choices?.length) {
      const wrap = menuButton(b.label, itemsOf(b), b.style ?? '');
      wrap.firstChild.dataset.command = b.command;
      row.append(wrap);
      continue;
    }
    const button = el('button', b.style ?? '', b.label);
    button.type = 'button';
    button.dataset.command = b.command;
    button.addEventListener('click', activation(b, row, run));
    row.append(button);
  }
  if (rest.length) {
    const items = rest.flatMap((b) =>
      b.choices?.length
        ? itemsOf(b).map((i) => ({ ...i, label: `${b.label}: ${i.label}` }))
        : [{ label: b.label, className: b.style ?? '', activate: activation(b, row, run) }],
    );
    row.append(menuButton('More ▾', items, 'more'));
  }
  return row;
}

/** The DOM for one reply. `run(command)` executes a button's command as the current user. */
export function renderReply(reply, run) {
  const box = el('div', `reply tone-${reply.tone ?? 'info'}`);
  if (reply.title) box.append(el('div', 'reply-title', reply.title));
  box.append(el('div', 'reply-text', reply.text));
  if (reply.fields?.length) box.append(renderFields(reply.fields));
  for (const s of reply.sections ?? []) {
    const section = el('div', 'section');
    if (s.title) section.append(el('div', 'section-title', s.title));
    if (s.text) section.append(el('div', 'reply-text', s.text));
    if (s.fields?.length) section.append(renderFields(s.fields));
    if (s.buttons?.length) section.append(renderButtons(s.buttons, run));
    box.append(section);
  }
  if (reply.buttons?.length) box.append(renderButtons(reply.buttons, run));
  for (const image of reply.images ?? []) {
    const img = el('img', 'reply-image');
    img.src = `data:image/png;base64,${image.pngBase64}`;
    img.alt = image.altText;
    img.title = image.title;
    box.append(img);
  }
  if (reply.footer) {
    const footer = el('div', 'footer', reply.footer);
    const id = /Customer id ([0-9a-f-]{36})/.exec(reply.footer);
    if (id) {
      const link = el('a', '', 'Open timeline');
      link.href = `/console/timeline?customer=${encodeURIComponent(id[1])}`;
      footer.append(' · ', link);
    }
    box.append(footer);
  }
  return box;
}
