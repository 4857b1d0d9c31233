/** The keys secrets are sealed with: `current` seals (and opens), `old` only open (key rotation). */
export interface SecretKeys {
  current: Buffer | undefined;
  old: Buffer[];
}

/**
 * Reads a RAPPORT_SECRET_KEY value: 32 bytes as 64 hex characters or as base64. Undefined and a
 * sentence for anything else.
 */
export function parseSecretKey(name: string, value: string): { key?: Buffer; problem?: string } {
  const v = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (
    key.length === 32 &&
    (/^[0-9a-f]{64}$/i.test(v) || key.toString('base64').replace(/=+$/, '') === v.replace(/=+$/, ''))
  )
    return { key };
  return {
    problem: `${name} must be 32 random bytes, as 64 hex characters or base64 (make one with: openssl rand -base64 32).`,
  };
}
