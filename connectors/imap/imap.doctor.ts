import { ImapFlow } from 'imapflow';
import type { DoctorCheck, DoctorResult } from '../../src/runtime/doctor-check.ts';
import type { MailboxConfig } from '../../src/config/env.ts';
import { imapAuth, OAuthTokenSource } from './oauth-token-source.ts';
import { parseImapError } from './parse-imap-error.ts';

/**
 * `rapport doctor` check for IMAP: logs in to every configured mailbox and opens its folders, and
 * says in words what failed ("Authentication failed for support@...: check IMAP_PASSWORD").
 * Last sync times and errors are in /readyz and the MailboxCursor table.
 */
export const imapDoctorCheck: DoctorCheck = async (config) => {
  if (config.imap.length === 0)
    return { name: 'imap', ok: true, detail: 'no mailbox configured (IMAP_HOST / RAPPORT_MAILBOXES unset)' };
  const results = await Promise.all(config.imap.map(checkMailbox));
  const bad = results.filter((r) => !r.ok);
  return {
    name: 'imap',
    ok: bad.length === 0,
    detail: results.map((r) => r.detail).join('; '),
    fix: bad.length > 0 ? bad.map((r) => r.fix).join(' ') : undefined,
  };
};

async function checkMailbox(m: MailboxConfig): Promise<DoctorResult> {
  let client: ImapFlow | undefined;
  let folder: string | undefined;
  try {
    const token = m.oauth ? await new OAuthTokenSource(m.oauth, m.address).accessToken() : undefined;
    client = new ImapFlow({
      host: m.host,
      port: m.port,
      secure: m.secure,
      auth: imapAuth(m, token),
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    const parts: string[] = [];
    for (folder of m.folders) {
      const st = await client.status(folder, { messages: true, uidValidity: true });
      if (!st)
        throw Object.assign(new Error(`Mailbox doesn't exist: ${folder}`), { serverResponseCode: 'NONEXISTENT' });
      parts.push(`${folder} ${st.messages ?? '?'} messages`);
    }
    return {
      name: `imap:${m.address}`,
      ok: true,
      detail: `${m.address}: login ok, ${client.capabilities.has('IDLE') ? 'IDLE' : 'polling'}, ${parts.join(', ')}`,
    };
  } catch (err) {
    const coded = parseImapError(err, m, folder);
    return { name: `imap:${m.address}`, ok: false, detail: `${m.address}: ${coded.code}`, fix: coded.message };
  } finally {
    const c = client;
    await c?.logout().catch(() => c.close());
  }
}
