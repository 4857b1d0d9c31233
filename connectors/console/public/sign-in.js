const params = new URLSearchParams(window.location.search);
const next = params.get('next') ?? '/console';
document.getElementById('next').value = next;
const error = params.get('error');
if (error) {
  const box = document.getElementById('error');
  box.textContent = error;
  box.hidden = false;
}
const res = await fetch('/console/sign-in/options');
if (res.ok) {
  const options = await res.json();
  const providers = document.getElementById('providers');
  for (const p of options.providers) {
    const link = document.createElement('a');
    link.className = `button provider provider-${p.id}`;
    link.href = `/console/sign-in/${p.id}?next=${encodeURIComponent(next)}`;
    link.textContent = p.label;
    providers.append(link);
  }
}
document.getElementById('username').focus();
