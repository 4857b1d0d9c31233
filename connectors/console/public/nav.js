// The header of every console page: where to go, who is signed in, and signing out.
const links = [
  ['/console/today', 'My day'],
  ['/console', 'Chat'],
  ['/console/customers', 'Customers'],
  ['/console/followups', 'Follow-ups'],
  ['/console/insights', 'Insights'],
  ['/console/channel', 'Team channel'],
];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const top = document.getElementById('top');
if (top) {
  const title = el('a', 'brand', 'Rapport');
  title.href = '/console/today';
  const nav = el('nav', 'site-nav');
  nav.setAttribute('aria-label', 'Console pages');
  for (const [href, label] of links) {
    const a = el('a', '', label);
    a.href = href;
    if (window.location.pathname === href) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const who = el('div', 'who');
  top.replaceChildren(title, nav, who);
  fetch('/api/me')
    .then((r) => (r.ok ? r.json() : undefined))
    .then((me) => {
      if (!me) return;
      const name = el('span', 'me', `${me.name}${me.role === 'admin' ? ' (admin)' : ''}`);
      name.id = 'me';
      who.append(name);
      if (me.via === 'local') {
        name.title =
          'Zero-config local mode: everyone on this machine is the admin until an account exists (rapport admin create).';
        return;
      }
      const form = el('form', 'sign-out');
      form.method = 'post';
      form.action = '/console/sign-out';
      const button = el('button', '', 'Sign out');
      button.type = 'submit';
      form.append(button);
      who.append(form);
    });
}
