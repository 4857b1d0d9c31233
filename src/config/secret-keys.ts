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
  const hex = /^[0-9a-f]{64}$/i.test(v);
  const key = Buffer.from(v, hex ? 'hex' : 'base64');
  // Node's base64 decoder skips what is not base64: the key must encode back to what was given.
  if (key.length === 32 && (hex || key.toString('base64').replace(/=+$/, '') === v.replace(/=+$/, ''))) return { key };
  return {
    problem: `${name} must be 32 random bytes, as 64 hex characters or base64 (make one with: openssl rand -base64 32).`,
  };
}
