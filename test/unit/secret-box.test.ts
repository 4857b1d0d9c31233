import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSecretKey } from '../../src/config/secret-keys.ts';
import { SecretBox } from '../../src/db/secret-box.ts';

const key = () => randomBytes(32);

describe('SecretBox (RAPPORT_SECRET_KEY)', () => {
  it('seals and opens; each seal differs; without a key text is kept as it is', () => {
    const box = new SecretBox({ current: key(), old: [] });
    const a = box.seal('xoxb-123');
    const b = box.seal('xoxb-123');
    expect(a).toMatch(/^sealed:v1:[0-9a-f]{8}:/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('xoxb');
    expect(box.open(a)).toBe('xoxb-123');
    expect(box.open(b)).toBe('xoxb-123');
    const none = new SecretBox();
    expect(none.sealing).toBe(false);
    expect(none.seal('xoxb-123')).toBe('xoxb-123');
    // Text stored before a key was set opens as it is, and reseal would seal it.
    expect(box.open('xoxb-plain')).toBe('xoxb-plain');
    expect(box.needsReseal('xoxb-plain')).toBe(true);
    expect(box.needsReseal(a)).toBe(false);
  });

  it('rotation: the old key opens, the current one seals; a missing key or altered text is said in words', () => {
    const oldKey = key();
    const sealedOld = new SecretBox({ current: oldKey, old: [] }).seal('rt-1');
    const rotated = new SecretBox({ current: key(), old: [oldKey] });
    expect(rotated.open(sealedOld)).toBe('rt-1');
    expect(rotated.needsReseal(sealedOld)).toBe(true);
    expect(() => new SecretBox({ current: key(), old: [] }).open(sealedOld)).toThrow(
      /was sealed with a key \(id [0-9a-f]{8}\) that neither RAPPORT_SECRET_KEY nor RAPPORT_SECRET_KEY_OLD holds/,
    );
    const parts = sealedOld.split(':');
    parts[5] = Buffer.from('tampered').toString('base64url');
    expect(() => rotated.open(parts.join(':'))).toThrow(/does not open with key [0-9a-f]{8}: it was altered or cut/);
  });

  it('reads 32-byte keys as hex or base64 and refuses anything else', () => {
    const k = key();
    expect(parseSecretKey('RAPPORT_SECRET_KEY', k.toString('hex')).key?.equals(k)).toBe(true);
    expect(parseSecretKey('RAPPORT_SECRET_KEY', k.toString('base64')).key?.equals(k)).toBe(true);
    for (const bad of ['hunter2', randomBytes(16).toString('base64'), `${k.toString('hex')}00`])
      expect(parseSecretKey('RAPPORT_SECRET_KEY', bad).problem).toBe(
        'RAPPORT_SECRET_KEY must be 32 random bytes, as 64 hex characters or base64 (make one with: openssl rand -base64 32).',
      );
  });
});
