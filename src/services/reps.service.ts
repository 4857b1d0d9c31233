import type { Rep } from '../db/generated/client.ts';
import {
  addPlatformUserToRep,
  findRepByEmail,
  findRepByEmailOrThrow,
  findRepByPlatformUser,
  findRepsByName,
  listRepNames,
  insertRep,
  updateRep,
} from '../db/rep.repository.ts';
import type { Actor } from '../domain/actor.ts';
import type { Platform } from '../db/generated/enums.ts';
import { findContactByEmail } from '../db/contact.repository.ts';
import { findCompanyByDomain } from '../db/company.repository.ts';
import { editDistance } from '../domain/edit-distance.ts';
import { normalizeEmail } from '../domain/normalize-company-name.ts';
import type { Standing } from '../domain/roles.ts';
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
  /**
   * Where the person stands towards the installing company, decided as for someone running a command
   * (Slack: connectors/slack/slack-request.ts `slackStanding`): only a `member` is ever given follow-ups.
   */
  standing: Standing;
  /** An app or bot user, not a person. */
  bot?: boolean;
}

/**
 * Looks a platform user up (`platformUserId` in the actor's form, "T1/U2" in Slack), as seen from the
 * request's installation; undefined when the platform cannot say right now.
 */
export type DescribePerson = (platform: Platform, platformUserId: string) => Promise<PlatformPerson | undefined>;

/** Why a follow-up cannot go to a guest or someone of another organisation (typed `assign`, the follow-up form). */
export const OUTSIDER_ASSIGNEE =
  'That person is a guest or from another organisation, so they cannot be given follow-ups. Assign it to someone on your team.';

/** Why a follow-up cannot go to someone the platform could not say anything about right now (typed `assign`, the follow-up form). */
export const UNVERIFIED_ASSIGNEE =
  'Rapport could not check who that is right now (the platform did not answer), so nobody was assigned. Try again in a minute.';

/** Why a follow-up cannot go to an app or bot user. */
export const BOT_ASSIGNEE =
  'That is an app, not a person, so it cannot be given follow-ups. Assign it to someone on your team.';

/**
 * The one check of an assignee the platform described (typed `assign` and the New follow-up form): the
 * sentence refusing them, or undefined for a member. Absent standing: the connector vouches (console, CLI).
 * A guest or someone of another organisation must never become a Rep: their reminders would reach them.
 */
export function assigneeRefusal(standing: Standing | undefined): string | undefined {
  if (standing === undefined || standing === 'member') return undefined;
  return standing === 'unverified' ? UNVERIFIED_ASSIGNEE : OUTSIDER_ASSIGNEE;
}

/** Throws the refusal of a described assignee (undefined: the platform could not say). */
function refuseUnlessMember(person: PlatformPerson | undefined): void {
  if (person?.bot) throw new RapportError('invalid_input', BOT_ASSIGNEE);
  const refusal = assigneeRefusal(person?.standing ?? 'unverified');
  if (refusal) throw new RapportError(person ? 'forbidden' : 'temporary', refusal);
}

/** Shortest typed name checked for a typo of a rep's: shorter ones ("Ann", "Jon") are often real names of their own. */
const MIN_TYPO_LENGTH = 5;

/**
 * Whether `typed` is `name` with two neighbouring letters swapped, one letter dropped or one added
 * ("bertrnad", "bertand", "berttrand" for "bertrand"): the slips of typing. One letter changed is
 * not one (Julia and Julie are two people).
 */
function isTypoOf(typed: string, name: string): boolean {
  if (typed === name || Math.abs(typed.length - name.length) > 1) return false;
  if (editDistance(typed, name, 1) !== 1) return false;
  return typed.length !== name.length || [...typed].sort().join('') === [...name].sort().join('');
}

/** What a person types to mean themselves: "assign 12 me". */
const SELF = /^(me|myself)$/i;

/** "<@U123|bob>" / "<@U123>" (Slack's escaped mentions), "<@!123>": the id and the name Slack added, if any. */
const ESCAPED_MENTION = /^<@!?([A-Z0-9]+)(?:\|([^>]*))?>$/i;

/**
 * Finds the rep a mention names, registering a colleague who has not used Rapport yet (`assign` must
 * not wait for them to type "help" first):
 * - a platform mention (Slack's escaped `<@U123|bob>` or `<@U123>`): where the platform can describe
 *   people (`describe`), it is asked every time, a known Rep included, and only a member is taken
 *   ({@link assigneeRefusal}: a guest or another organisation is refused, and so is anyone while the
 *   platform cannot answer; nobody is registered then). Found by platform id in the actor's workspace,
 *   else registered with that id and the name, email and timezone `describe` gives;
 * - an email: never a customer's (a contact's address or one on a customer's domain, e.g. a Slack
 *   Connect member's); found, else registered with it (their chat account joins it by email later);
 * - "me" / "myself": the person typing;
 * - a name: a rep's name or platform id; in the console (where people are their typed names) an
 *   unknown name is registered as that console user, unless it is a rep's name typed with a slip
 *   (two letters swapped, one dropped or added: refused with the name it is near). Elsewhere a bare name cannot be told apart from
 *   a typo, so the answer asks for a mention or an email.
 * A stored Rep found by email or name whose platform ids include one in the actor's workspace is
 * checked like a mention of it.
 * The colleague's timezone, until they use Rapport themselves: their profile's, else the assigner's.
 * @throws RapportError not_found / ambiguous with what to type instead; forbidden / temporary / invalid_input
 *   with the refusal of someone who may not be given follow-ups.
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
  // "assign 12 me": the person typing (a console user called "me" was made of it before).
  if (SELF.test(bare)) return findOrCreateRep(prisma, actor);
  const checked = (rep: Rep) => checkStoredRep(rep, actor, describe);
  const byId = await findRepByPlatformUser(prisma, [platformUserKey(actor.platform, bare), idInWorkspace(actor, bare)]);
  if (byId) return checked(byId);
  const email = normalizeEmail(bare);
  if (email) {
    await refuseCustomerAddress(prisma, email);
    const byEmail = await findRepByEmail(prisma, email);
    if (byEmail) return checked(byEmail);
    return findOrCreateByEmail(prisma, email, actor.timezone);
  }
  const byName = await findRepsByName(prisma, bare, 2);
  if (byName.length === 1) return checked(byName[0]);
  if (byName.length > 1) {
    throw new RapportError('ambiguous', `Several reps are called "${bare}"; mention them (@name) or use their email.`);
  }
  const suffix = await findRepByPlatformUser(prisma, [bare]);
  if (suffix) return checked(suffix);
  if (actor.platform === 'console') {
    // A typed name a letter or two away from a rep's ("bbo" for "bob") is a typo, not a new colleague:
    // registering it gave the follow-up to a person nobody is, out of everyone's list.
    const typed = bare.toLowerCase();
    const near =
      typed.length >= MIN_TYPO_LENGTH
        ? (await listRepNames(prisma)).find((n) => isTypoOf(typed, n.toLowerCase()))
        : undefined;
    if (near)
      throw new RapportError(
        'not_found',
        `No rep is called "${bare}". Did you mean "${near}"? If "${bare}" is someone new, they can be given follow-ups once they have used Rapport (typed "help" in the console).`,
      );
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

async function repForPlatformId(
  prisma: PrismaExecutor,
  id: string,
  name: string | undefined,
  actor: Actor,
  describe: DescribePerson | undefined,
): Promise<Rep> {
  const platformUserId = idInWorkspace(actor, id);
  // Asked whether or not a Rep is stored for them: a stored Rep does not vouch (it may be a guest now,
  // or one registered before assignees were checked).
  const person = describe ? await describe(actor.platform, platformUserId).catch(() => undefined) : undefined;
  if (describe) refuseUnlessMember(person);
  const known = await findRepByPlatformUser(prisma, [
    platformUserKey(actor.platform, platformUserId),
    platformUserKey(actor.platform, id),
  ]);
  if (known) return known;
  return findOrCreateRep(prisma, {
    platform: actor.platform,
    platformUserId,
    displayName: person?.displayName || name || id,
    email: person?.email,
    timezone: person?.timezone || actor.timezone,
    timezoneIsDefault: !person?.timezone,
  });
}

/**
 * A stored Rep named by email, name or id: when the platform can describe people and the Rep has an
 * account in the actor's workspace, that account is checked like a mention of it. A Rep with no such
 * account (registered by email, a console user) has nobody the platform could check.
 */
async function checkStoredRep(rep: Rep, actor: Actor, describe: DescribePerson | undefined): Promise<Rep> {
  if (!describe) return rep;
  const prefix = platformUserKey(actor.platform, idInWorkspace(actor, ''));
  for (const key of rep.platformUserIds.filter((k) => k.startsWith(prefix) && k.length > prefix.length)) {
    refuseUnlessMember(await describe(actor.platform, key.slice(actor.platform.length + 1)).catch(() => undefined));
  }
  return rep;
}

/**
 * Refuses a customer's address as an assignee: a known contact's email, or one on a customer's domain
 * (or a subdomain of it). Such a Rep would take the team's follow-ups off the team, and would become the
 * customer's own Rep wherever that address later signs in.
 */
async function refuseCustomerAddress(prisma: PrismaExecutor, email: string): Promise<void> {
  const refuse = (whose: string) =>
    new RapportError(
      'forbidden',
      `${email} is ${whose}, not someone on your team, so it cannot be given follow-ups. Assign it to a colleague: mention them with @ or use their work email.`,
    );
  const contact = await findContactByEmail(prisma, email);
  if (contact) throw refuse("a customer contact's address");
  const labels = email.slice(email.lastIndexOf('@') + 1).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const company = await findCompanyByDomain(prisma, labels.slice(i).join('.'));
    if (company) throw refuse(`on the domain of the customer ${company.name}`);
  }
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
