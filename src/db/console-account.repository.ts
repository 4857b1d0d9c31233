import type { DbClient } from './db-client.ts';
import type { ConsoleAccount } from './generated/client.ts';

/** Inserts a console account (the user name is unique: a taken one fails with P2002). */
export function insertConsoleAccount(
  client: DbClient,
  row: { username: string; passwordHash: string; role: 'admin' | 'rep'; repId: string },
): Promise<ConsoleAccount> {
  return client.consoleAccount.create({ data: row });
}

/** Sets an account's password and enables it again; false when there is no such account. */
export async function setConsoleAccountPassword(
  client: DbClient,
  username: string,
  passwordHash: string,
): Promise<boolean> {
  const updated = await client.consoleAccount.updateMany({
    where: { username },
    data: { passwordHash, disabledAt: null },
  });
  return updated.count > 0;
}

/** An account by user name, or null. */
export function findConsoleAccount(client: DbClient, username: string): Promise<ConsoleAccount | null> {
  return client.consoleAccount.findUnique({ where: { username } });
}

/** How many accounts are enabled. */
export function countEnabledConsoleAccounts(client: DbClient): Promise<number> {
  return client.consoleAccount.count({ where: { disabledAt: null } });
}

/**
 * The key session cookies are signed with: the stored one, else `fresh` stored first (two processes
 * starting at once store one of theirs and both read it back).
 */
export async function readOrStoreConsoleSessionKey(client: DbClient, fresh: () => string): Promise<string> {
  const found = await client.consoleSessionKey.findUnique({ where: { id: 1 } });
  if (found) return found.secret;
  await client.consoleSessionKey.createMany({ data: [{ id: 1, secret: fresh() }], skipDuplicates: true });
  return (await client.consoleSessionKey.findUniqueOrThrow({ where: { id: 1 } })).secret;
}

/** Every console account, by user name. */
export function listConsoleAccounts(client: DbClient): Promise<ConsoleAccount[]> {
  return client.consoleAccount.findMany({ orderBy: { username: 'asc' } });
}
