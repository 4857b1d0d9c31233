import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SecretKeys } from '../config/secret-keys.ts';
import { RapportError } from '../errors.ts';

const PREFIX = 'sealed:v1:';

/** A key's id in sealed text: the first 8 hex characters of its SHA-256 (names the key, reveals nothing). */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Seals tokens the database keeps (OAuth refresh tokens, Slack bot tokens) with AES-256-GCM under
 * RAPPORT_SECRET_KEY, so a database dump or backup holds no usable token. Without a key, text is
 * stored as it is (as before). Text stored before a key was set opens as it is and is sealed when it
 * is next written or by `rapport secrets reseal`; text sealed with a key kept in RAPPORT_SECRET_KEY_OLD
 * opens too.
 */
export class SecretBox {
  private readonly byId = new Map<string, Buffer>();

  constructor(private readonly keys: SecretKeys = { current: undefined, old: [] }) {
    for (const k of [...keys.old, ...(keys.current ? [keys.current] : [])]) this.byId.set(keyId(k), k);
  }

  /** True when a key is set: new secrets are sealed. */
  get sealing(): boolean {
    return this.keys.current !== undefined;
  }

  /** `text` sealed with the current key; as it is without one. */
  seal(text: string): string {
    const key = this.keys.current;
    if (!key) return text;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${PREFIX}${keyId(key)}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${sealed.toString('base64url')}`;
  }

  /** True when `stored` was sealed (by any key). */
  static isSealed(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  /** True when `stored` is not sealed with the current key (plain, or an old key): `reseal` rewrites it. */
  needsReseal(stored: string): boolean {
    const key = this.keys.current;
    return key !== undefined && !stored.startsWith(`${PREFIX}${keyId(key)}:`);
  }

  /**
   * The text `stored` holds: opened with the key it names, or as it is when it was never sealed.
   * @throws RapportError `auth` when no configured key is that key, or the text was altered.
   */
  open(stored: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const [id, iv, tag, data] = stored.slice(PREFIX.length).split(':');
    const key = this.byId.get(id ?? '');
    if (!key)
      throw new RapportError(
        'auth',
        `A token in the database was sealed with a key (id ${id}) that neither RAPPORT_SECRET_KEY nor RAPPORT_SECRET_KEY_OLD holds: set the key it was sealed with (after a rotation, the old one in RAPPORT_SECRET_KEY_OLD).`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data ?? '', 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new RapportError(
        'auth',
        `A sealed token in the database does not open with key ${id}: it was altered or cut. Set it again (sign in again, or reinstall the app).`,
      );
    }
  }
}
