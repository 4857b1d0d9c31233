const params = new URLSearchParams(window.location.search);
const next = params.get('next') ?? '/console';
document.getElementById('next').value = next;
/**
 * The sentence of each `?error=` code the sign-in routes send (console-sign-in.router.ts). Anything else
 * in the address shows nothing: a link someone sends cannot make this page say what they wrote.
 */
const ERRORS = {
  'wrong-password': 'Wrong user name or password.',
  failed:
    'Something went wrong on our side. The error was logged; try again, and tell your Rapport admin if it keeps happening.',
  'not-set-up': 'That sign-in is not set up here.',
  expired: 'That sign-in took too long or was started in another browser. Start again.',
  'slack-unreachable': 'Could not reach the Slack sign-in service. Try again in a minute, or sign in with a password.',
  'entra-unreachable':
    'Could not reach the Microsoft sign-in service. Try again in a minute, or sign in with a password.',
  'slack-incomplete': 'Slack sign-in did not complete. Start again from the sign-in page.',
  'entra-incomplete': 'Microsoft sign-in did not complete. Start again from the sign-in page.',
  'slack-no-identity': 'Slack did not say who you are. Start again.',
  'entra-no-identity': 'Microsoft did not say who you are. Start again.',
  'slack-other-workspace':
    'That Slack account is not in a workspace this Rapport serves. Sign in with your work Slack account.',
  'slack-guest':
    'Guests of the Slack workspace cannot sign in to Rapport: it is for the team that added it. Ask a member of the team if you need something.',
  'slack-external':
    'That Slack account belongs to another organisation; only members of the workspace Rapport serves can sign in.',
  'slack-unverified':
    'Rapport could not check your Slack account with Slack right now (is the Rapport app installed in your workspace?), so you are not signed in. Try again in a minute, or sign in with a password.',
  'entra-other-organisation':
    'That Microsoft account belongs to another organisation; only members of the directory Rapport serves can sign in.',
  'entra-no-tenant': 'Microsoft did not say which organisation you signed in to (no tid). Start again.',
  'entra-guest':
    'Guest accounts of the Microsoft directory cannot sign in to Rapport: it is for the team that runs it. Ask a member of the team if you need something.',
};
const error = params.get('error');
if (error && Object.hasOwn(ERRORS, error)) {
  const box = document.getElementById('error');
  box.textContent = ERRORS[error];
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
