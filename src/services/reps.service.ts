import type { Rep } from '../db/generated/client.ts';
import {
  addPlatformUserToRep,
  findRepByEmail,
  findRepByEmailOrThrow,
  findRepByPlatformUser,
  findRepsByName,
  insertRep,
  updateRep,
} from '../db/rep.repository.ts';
import type { Actor } from '../domain/actor.ts';
import type { Platform } from '../db/generated/enums.ts';
import { normalizeEmail } from '../domain/normalize-company-name.ts';
import { RapportError } from '../errors.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { findRepByPlatformUserBatched } from './rep-lookup-batcher.ts';
import { isUniqueViolation } from './prisma-executor.ts';

/** The key a platform user is stored under in Rep.platformUserIds: "<platform>:<id>". */
export function platformUserKey(platform: string, platformUserId: string): string {
  return platformUserId.startsWith(`${platform}:`) ? platformUserId : `${platform}:${platformUserId}`;
}

/**
 * The Rep behind a chat user: found by platform user id, else by email (then the platform id is added
 * to that rep), else created with the actor's name and timezone. A changed timezone is kept up to date
 * (unless it is only the server's default: `timezoneIsDefault`), and an email is stored on a rep that had none.
 */
export async function findOrCreateRep(prisma: PrismaExecutor, actor: Actor): Promise<Rep> {
  const key = platformUserKey(actor.platform, actor.platformUserId);
  const email = actor.email?.trim().toLowerCase() || undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    // The first look goes with every other command's of this moment (one statement for a burst).
    let rep =
      attempt === 0 ? await findRepByPlatformUserBatched(prisma, key) : await findRepByPlatformUser(prisma, [key]);
    if (!rep && email) {
      const byEmail = await findRepByEmail(prisma, email);
      if (byEmail) rep = await addPlatformUserToRep(prisma, byEmail.id, key);
    }
    if (rep) {
      if (actor.timezone && !actor.timezoneIsDefault && rep.timezone !== actor.timezone) {
        rep = await updateRep(prisma, rep.id, { timezone: actor.timezone });
      }
      if (email && !rep.email) rep = await addEmail(prisma, rep, email);
      return rep;
    }
    try {
      return await insertRep(prisma, {
        name: actor.displayName?.trim() || actor.platformUserId.replace(/^[a-z]+:/, ''),
        email: email ?? null,
        timezone: actor.timezone || 'UTC',
        platformUserIds: [key],
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // same email created concurrently: find it on the next pass
    }
  }
  throw new RapportError('temporary', 'Could not register you as a rep just now; please try again.');
}

/**
 * Stores an email learnt later (a Slack profile with users:read.email) on a rep that had none, so
 * the same person on another platform is recognised by it. An email another rep holds stays theirs.
 */
async function addEmail(prisma: PrismaExecutor, rep: Rep, email: string): Promise<Rep> {
  const taken = await findRepByEmail(prisma, email);
  if (taken) return rep;
  try {
    return await updateRep(prisma, rep.id, { email });
  } catch (err) {
    if (isUniqueViolation(err)) return rep; // claimed concurrently by another rep
    throw err;
  }
}

/** What a chat platform says about one of its users (Slack users.info, a Teams roster entry). */
export interface PlatformPerson {
  displayName?: string;
  email?: string;
  /** IANA timezone. */
  timezone?: string;
  /** A guest or a member of another organisation (Slack Connect): never a rep, so never assigned work. */
  outsider?: boolean;
}

/** Looks a platform user up (`platformUserId` in the actor's form, "T1/U2" in Slack); undefined when the platform cannot say. */
export type DescribePerson = (platform: Platform, platformUserId: string) => Promise<PlatformPerson | undefined>;

/** "<@U123|bob>" / "<@U123>" (Slack's escaped mentions), "<@!123>": the id and the name Slack added, if any. */
const ESCAPED_MENTION = /^<@!?([A-Z0-9]+)(?:\|([^>]*))?>$/i;

/**
 * Finds the rep a mention names, registering a colleague who has not used Rapport yet (`assign` must
 * not wait for them to type "help" first):
 * - a platform mention (Slack's escaped `<@U123|bob>` or `<@U123>`): found by platform id in the
 *   actor's workspace, else registered with that id and the name, email and timezone `describe` gives;
 * - an email: found, else registered with it (their chat account joins it by email later);
 * - a name: a rep's name or platform id; in the console (where people are their typed names) an
 *   unknown name is registered as that console user. Elsewhere a bare name cannot be told apart from
 *   a typo, so the answer asks for a mention or an email.
 * The colleague's timezone, until they use Rapport themselves: their profile's, else the assigner's.
 * @throws RapportError not_found / ambiguous with what to type instead.
 */
export async function resolveRepMention(
  prisma: PrismaExecutor,
  mention: string,
  actor: Actor,
  describe?: DescribePerson,
): Promise<Rep> {
  const text = mention.trim();
  const escaped = ESCAPED_MENTION.exec(text);
  if (escaped) return repForPlatformId(prisma, escaped[1], escaped[2]?.trim() || undefined, actor, describe);
  const bare = text.replace(/^@/, '');
  if (!bare) throw new RapportError('invalid_input', 'Say who should take it over, e.g. "assign 12 @jo".');
  const byId = await findRepByPlatformUser(prisma, [platformUserKey(actor.platform, bare), idInWorkspace(actor, bare)]);
  if (byId) return byId;
  const email = normalizeEmail(bare);
  if (email) {
    const byEmail = await findRepByEmail(prisma, email);
    if (byEmail) return byEmail;
    return findOrCreateByEmail(prisma, email, actor.timezone);
  }
  const byName = await findRepsByName(prisma, bare, 2);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new RapportError('ambiguous', `Several reps are called "${bare}"; mention them (@name) or use their email.`);
  }
  const suffix = await findRepByPlatformUser(prisma, [bare]);
  if (suffix) return suffix;
  if (actor.platform === 'console') {
    return findOrCreateRep(prisma, {
      platform: 'console',
      platformUserId: bare,
      displayName: bare,
      timezone: actor.timezone,
      timezoneIsDefault: true,
    });
  }
  throw new RapportError(
    'not_found',
    `No rep called "${bare}" has used Rapport yet. Mention them with ${actor.platform === 'slack' ? "Slack's" : 'the'} @ picker so their account is sent, or give their email: "assign 12 jo@example.com".`,
  );
}

/** Why a follow-up cannot go to a guest or someone of another organisation (typed `assign`, the follow-up form). */
export const OUTSIDER_ASSIGNEE =
  'That person is a guest or from another organisation, so they cannot be given follow-ups. Assign it to someone on your team.';

/** Why a follow-up cannot go to someone the platform could not say anything about right now (the follow-up form). */
export const UNVERIFIED_ASSIGNEE =
  'Rapport could not check who that is right now (the platform did not answer), so nobody was assigned. Try again in a minute.';

async function repForPlatformId(
  prisma: PrismaExecutor,
  id: string,
  name: string | undefined,
  actor: Actor,
  describe: DescribePerson | undefined,
): Promise<Rep> {
  const platformUserId = idInWorkspace(actor, id);
  const known = await findRepByPlatformUser(prisma, [
    platformUserKey(actor.platform, platformUserId),
    platformUserKey(actor.platform, id),
  ]);
  if (known) return known;
  const person = await describe?.(actor.platform, platformUserId).catch(() => undefined);
  if (person?.outsider) {
    // Their reminders would be sent to them: a customer must never receive the team's follow-ups.
    throw new RapportError('forbidden', OUTSIDER_ASSIGNEE);
  }
  return findOrCreateRep(prisma, {
    platform: actor.platform,
    platformUserId,
    displayName: person?.displayName || name || id,
    email: person?.email,
    timezone: person?.timezone || actor.timezone,
    timezoneIsDefault: !person?.timezone,
  });
}

/** A platform user id in the actor's workspace: Slack ids are stored as "<team>/<user>". */
function idInWorkspace(actor: Actor, id: string): string {
  const slash = actor.platformUserId.indexOf('/');
  return actor.platform === 'slack' && slash > 0 && !id.includes('/')
    ? `${actor.platformUserId.slice(0, slash)}/${id}`
    : id;
}

async function findOrCreateByEmail(prisma: PrismaExecutor, email: string, timezone: string): Promise<Rep> {
  try {
    return await insertRep(prisma, {
      name: email.slice(0, email.indexOf('@')),
      email,
      timezone: timezone || 'UTC',
      platformUserIds: [],
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return findRepByEmailOrThrow(prisma, email); // registered concurrently
  }
}

/**
 * Sets the timezone a rep's dates are read and shown in (the `timezone` command: console users have
 * no platform profile to read it from).
 */
export async function setRepTimezone(prisma: PrismaExecutor, repId: string, timeZone: string): Promise<Rep> {
  return updateRep(prisma, repId, { timezone: timeZone });
}
