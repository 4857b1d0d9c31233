import type { Rep } from '../db/generated/client.ts';
import type { Actor } from '../domain/actor.ts';
import { RapportError } from '../errors.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { isUniqueViolation } from './prisma-executor.ts';

/** The key a platform user is stored under in Rep.platformUserIds: "<platform>:<id>". */
export function platformUserKey(platform: string, platformUserId: string): string {
  return platformUserId.startsWith(`${platform}:`) ? platformUserId : `${platform}:${platformUserId}`;
}

/**
 * The Rep behind a chat user: found by platform user id, else by email (then the platform id is added
 * to that rep), else created with the actor's name and timezone. A changed timezone is kept up to date,
 * and an email is stored on a rep that had none.
 */
export async function findOrCreateRep(prisma: PrismaExecutor, actor: Actor): Promise<Rep> {
  const key = platformUserKey(actor.platform, actor.platformUserId);
  const email = actor.email?.trim().toLowerCase() || undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let rep = await prisma.rep.findFirst({ where: { platformUserIds: { has: key } } });
    if (!rep && email) {
      const byEmail = await prisma.rep.findUnique({ where: { email } });
      if (byEmail)
        rep = await prisma.rep.update({ where: { id: byEmail.id }, data: { platformUserIds: { push: key } } });
    }
    if (rep) {
      if (actor.timezone && rep.timezone !== actor.timezone) {
        rep = await prisma.rep.update({ where: { id: rep.id }, data: { timezone: actor.timezone } });
      }
      if (email && !rep.email) rep = await addEmail(prisma, rep, email);
      return rep;
    }
    try {
      return await prisma.rep.create({
        data: {
          name: actor.displayName?.trim() || actor.platformUserId.replace(/^[a-z]+:/, ''),
          email: email ?? null,
          timezone: actor.timezone || 'UTC',
          platformUserIds: [key],
        },
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
  const taken = await prisma.rep.findUnique({ where: { email }, select: { id: true } });
  if (taken) return rep;
  try {
    return await prisma.rep.update({ where: { id: rep.id }, data: { email } });
  } catch (err) {
    if (isUniqueViolation(err)) return rep; // claimed concurrently by another rep
    throw err;
  }
}

/**
 * Finds the rep a mention names: a platform mention ("<@U123>", "@U123"), an email, or a rep's name
 * (case-insensitive). Used by `assign`.
 * @throws RapportError not_found / ambiguous with what to type instead.
 */
export async function resolveRepMention(prisma: PrismaExecutor, mention: string, platform: string): Promise<Rep> {
  const bare = mention.trim().replace(/^<@!?/, '').replace(/>$/, '').replace(/^@/, '').replace(/\|.*$/, '');
  if (!bare) throw new RapportError('invalid_input', 'Say who should take it over, e.g. "assign 12 @jo".');
  const byId = await prisma.rep.findFirst({ where: { platformUserIds: { has: platformUserKey(platform, bare) } } });
  if (byId) return byId;
  if (bare.includes('@')) {
    const byEmail = await prisma.rep.findUnique({ where: { email: bare.toLowerCase() } });
    if (byEmail) return byEmail;
  }
  const byName = await prisma.rep.findMany({ where: { name: { equals: bare, mode: 'insensitive' } }, take: 2 });
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new RapportError('ambiguous', `Several reps are called "${bare}"; mention them (@name) or use their email.`);
  }
  const suffix = await prisma.rep.findMany({ where: { platformUserIds: { hasSome: [bare] } }, take: 1 });
  if (suffix[0]) return suffix[0];
  throw new RapportError(
    'not_found',
    `No rep called "${bare}" has used Rapport yet. They need to send Rapport one command first (e.g. "help").`,
  );
}
