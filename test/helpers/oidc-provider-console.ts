/**
 * The sign-in tests run a real OpenID Connect provider (the oidc-provider package) in its development
 * set-up, which tells the console so: an "Unsupported runtime" warning on Node 20 when it is imported,
 * development-only adapter, keys and interactions when it starts, and a notice for each default
 * lifetime it uses. Those lines are expected here and were the noise `npm test` printed around the
 * sign-in tests. Imported before oidc-provider, this module keeps exactly those lines in
 * {@link oidcProviderSaid} instead of printing them; any other line, from oidc-provider or anyone
 * else, prints as before.
 */
export const oidcProviderSaid: string[] = [];

const EXPECTED = [
  /oidc-provider WARNING: Unsupported runtime\./,
  /oidc-provider WARNING: (a )?quick start development-only /,
  /oidc-provider NOTICE: default ttl\.\w+ function called/,
];

for (const level of ['info', 'warn'] as const) {
  const original = console[level];
  console[level] = (...args: unknown[]) => {
    // Not anchored: on a terminal oidc-provider wraps its lines in colour codes.
    const line = typeof args[0] === 'string' ? args[0] : '';
    if (args.length === 1 && EXPECTED.some((re) => re.test(line))) oidcProviderSaid.push(line);
    else original.apply(console, args);
  };
}
