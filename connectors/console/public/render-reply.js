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

/**
 * Buttons run their command through `run(command)`: `confirm` asks first, `choices` opens a small menu,
 * `input` prompts for the text appended to the command.
 */
function renderButtons(buttons, run) {
  const row = el('div', 'buttons');
  for (const b of buttons ?? []) {
    const button = el('button', b.style ?? '', b.label);
    button.type = 'button';
    button.dataset.command = b.command;
    if (b.choices?.length) {
      const menu = el('div', 'menu');
      menu.hidden = true;
      for (const c of b.choices) {
        const item = el('button', '', c.label);
        item.type = 'button';
        item.dataset.command = c.command;
        item.addEventListener('click', () => {
          menu.hidden = true;
          run(c.command);
        });
        menu.append(item);
      }
      button.addEventListener('click', () => {
        menu.hidden = !menu.hidden;
      });
      row.append(button, menu);
      continue;
    }
    button.addEventListener('click', () => {
      if (b.confirm && !window.confirm(b.confirm)) return;
      if (b.input) {
        const value = window.prompt(b.input.placeholder ?? b.label);
        if (value === null || value.trim() === '') return;
        run(`${b.command} ${value.trim()}`);
        return;
      }
      run(b.command);
    });
    row.append(button);
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
