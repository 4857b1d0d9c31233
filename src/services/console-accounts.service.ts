import { randomBytes } from 'node:crypto';
import {
  countEnabledConsoleAccounts,
  findConsoleAccount,
  insertConsoleAccount,
  readOrStoreConsoleSessionKey,
  setConsoleAccountPassword,
} from '../db/console-account.repository.ts';
import type { Database } from '../db/database.ts';
import { addPlatformUserToRep, findRep, findRepByPlatformUser } from '../db/rep.repository.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../domain/password-hash.ts';
import { RapportError } from '../errors.ts';
import { writeAudit } from './audit.service.ts';
import { isUniqueViolation } from './prisma-executor.ts';
import { findOrCreateRep, platformUserKey } from './reps.service.ts';

/** A person the console has signed in: the Rep they act as and their role. */
export interface ConsolePerson {
  /** The Rep they are; absent for the operator's own tools (zero-config localhost, the console token, the CLI). */
  repId?: string;
  /** The console id commands run under ("jo" for an account, "slack:T1/U2", "entra:<oid>"). */
  consoleId: string;
  name: string;
  email?: string;
  role: 'admin' | 'rep';
  /** How they signed in. */
  via: 'password' | 'slack' | 'entra' | 'token' | 'local';
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

/** A stored hash nobody's password matches, verified when the name is unknown so timing says nothing. */
let decoyHash: Promise<string> | undefined;

/**
 * Creates a local console account and its Rep (a console user of that name who used Rapport before
 * keeps their follow-ups). `rapport admin create` calls it.
 * @throws RapportError invalid_input (name, password) / conflict (the name is taken).
 */
/** A console user name as accounts are stored and found (and as sign-in throttling counts it): trimmed, lower-case. */
export function normalizeConsoleUsername(username: string): string {
  return username.trim().toLowerCase();
}

export async function createConsoleAccount(
  db: Database,
  input: { username: string; password: string; role: 'admin' | 'rep'; email?: string; timezone: string },
): Promise<{ id: string; repId: string }> {
  const username = normalizeConsoleUsername(input.username);
  if (!USERNAME.test(username))
    throw new RapportError(
      'invalid_input',
      'A user name is 2–64 characters: letters, digits, dots, dashes, underscores or an email address.',
    );
  const problem = passwordProblem(input.password);
  if (problem) throw new RapportError('invalid_input', problem);
  const passwordHash = await hashPassword(input.password);
  const rep = await findOrCreateRep(db.prisma, {
    platform: 'console',
    platformUserId: username,
    displayName: username,
    email: input.email ?? (username.includes('@') ? username : undefined),
    timezone: input.timezone,
    timezoneIsDefault: true,
  });
  try {
    const account = await insertConsoleAccount(db.prisma, { username, passwordHash, role: input.role, repId: rep.id });
    await writeAudit(db.prisma, {
      action: 'console.account.create',
      actor: { repId: rep.id, platform: 'cli' },
      subject: account.id,
      details: { role: input.role },
    });
    return { id: account.id, repId: rep.id };
  } catch (err) {
    if (isUniqueViolation(err))
      throw new RapportError(
        'conflict',
        `A console account "${username}" exists already; use "rapport admin password ${username}" to set a new password.`,
      );
    throw err;
  }
}

/** Sets a new password for an existing account (and enables it again). */
export async function setConsolePassword(db: Database, username: string, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new RapportError('invalid_input', problem);
  const name = normalizeConsoleUsername(username);
  const passwordHash = await hashPassword(password);
  if (!(await setConsoleAccountPassword(db.prisma, name, passwordHash)))
    throw new RapportError('not_found', `No console account "${name}"; create it with "rapport admin create ${name}".`);
}

/** The person behind a user name and password, or undefined (unknown name, wrong password, disabled). */
export async function verifyConsoleSignIn(
  db: Database,
  username: string,
  password: string,
): Promise<ConsolePerson | undefined> {
  const account = await findConsoleAccount(db.prisma, normalizeConsoleUsername(username));
  if (!account) {
    decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoyHash);
    return undefined;
  }
  if (!(await verifyPassword(password, account.passwordHash)) || account.disabledAt) return undefined;
  return accountPerson(db, account);
}

/** The current state of a password sign-in (role changes and disabling apply at once), or undefined. */
export async function currentAccountPerson(db: Database, username: string): Promise<ConsolePerson | undefined> {
  const account = await findConsoleAccount(db.prisma, username);
  if (!account || account.disabledAt) return undefined;
  return accountPerson(db, account);
}

async function accountPerson(
  db: Database,
  account: { username: string; role: 'admin' | 'rep'; repId: string },
): Promise<ConsolePerson | undefined> {
  const rep = await findRep(db.prisma, account.repId);
  if (!rep) return undefined;
  return {
    repId: rep.id,
    consoleId: account.username,
    name: rep.name,
    email: rep.email ?? undefined,
    role: account.role,
    via: 'password',
  };
}

/** How many console accounts exist: with none (and no OIDC provider) localhost needs no sign-in. */
export function countConsoleAccounts(db: Database): Promise<number> {
  return countEnabledConsoleAccounts(db.prisma);
}

/**
 * The Rep of a person an OIDC provider vouched for: the Rep that already has their platform id
 * (`slack:T1/U2` from Slack) or their console id, else the one with their email, else a new Rep. The
 * console id is added to the Rep so the next sign-in finds it directly.
 */
export async function repForOidcSignIn(
  db: Database,
  person: { consoleId: string; platformKey?: string; name: string; email?: string; timezone: string },
) {
  if (person.platformKey) {
    const byPlatform = await findRepByPlatformUser(db.prisma, [person.platformKey]);
    if (byPlatform) {
      const key = platformUserKey('console', person.consoleId);
      if (!byPlatform.platformUserIds.includes(key)) return addPlatformUserToRep(db.prisma, byPlatform.id, key);
      return byPlatform;
    }
  }
  return findOrCreateRep(db.prisma, {
    platform: 'console',
    platformUserId: person.consoleId,
    displayName: person.name,
    email: person.email,
    timezone: person.timezone,
    timezoneIsDefault: true,
  });
}

/** The key session cookies are signed with when none is configured: created once, shared by every web process. */
export async function consoleSessionKey(db: Database): Promise<string> {
  return readOrStoreConsoleSessionKey(db.prisma, () => randomBytes(32).toString('base64url'));
}
