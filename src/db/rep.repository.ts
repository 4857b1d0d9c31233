import type { DbClient } from './db-client.ts';
import type { Rep } from './generated/client.ts';

/** The rep holding any of these platform user keys ("slack:T1/U2"), or null. */
export function findRepByPlatformUser(client: DbClient, keys: string[]): Promise<Rep | null> {
  return client.rep.findFirst({ where: { platformUserIds: { hasSome: keys } } });
}

/** The reps holding any of these platform user keys, in one statement (a batch of lookups). */
export function findRepsByPlatformUsers(client: DbClient, keys: string[]): Promise<Rep[]> {
  return client.rep.findMany({ where: { platformUserIds: { hasSome: keys } } });
}

/** The rep with this email (unique), or null. */
export function findRepByEmail(client: DbClient, email: string): Promise<Rep | null> {
  return client.rep.findUnique({ where: { email } });
}

/** The rep with this id, or null. */
export function findRep(client: DbClient, id: string): Promise<Rep | null> {
  return client.rep.findUnique({ where: { id } });
}

/** Reps whose name is `name`, case aside, at most `take`. */
export function findRepsByName(client: DbClient, name: string, take: number): Promise<Rep[]> {
  return client.rep.findMany({ where: { name: { equals: name, mode: 'insensitive' } }, take });
}

/** Every rep's name (the company's people: hundreds, not customers' thousands). */
export async function listRepNames(client: DbClient): Promise<string[]> {
  return (await client.rep.findMany({ select: { name: true } })).map((r) => r.name);
}

/** Adds a platform user key to a rep. */
export function addPlatformUserToRep(client: DbClient, id: string, key: string): Promise<Rep> {
  return client.rep.update({ where: { id }, data: { platformUserIds: { push: key } } });
}

/** Changes a rep's timezone or email. */
export function updateRep(client: DbClient, id: string, row: { timezone?: string; email?: string }): Promise<Rep> {
  return client.rep.update({ where: { id }, data: row });
}

/** Inserts a rep (the email is unique: a concurrent insert of the same one fails with P2002). */
export function insertRep(
  client: DbClient,
  row: { name: string; email: string | null; timezone: string; platformUserIds: string[] },
): Promise<Rep> {
  return client.rep.create({ data: row });
}

/** The rep with this email; throws when there is none. */
export function findRepByEmailOrThrow(client: DbClient, email: string): Promise<Rep> {
  return client.rep.findUniqueOrThrow({ where: { email } });
}
