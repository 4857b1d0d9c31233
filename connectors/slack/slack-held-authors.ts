import type { Database } from '../../src/db/database.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import type { AuthorDecision, IdentifyHeldAuthor } from '../../src/services/held-chat-messages.service.ts';
import type { SlackUserDirectory, SlackUserProfile } from './slack-user-directory.ts';

/** What the Slack auto-logger stores on a held message (`metadata.heldAuthor`) so any process can ask again. */
export interface SlackHeldAuthorLookup {
  channelRef: string;
  /** The installation's workspace, whose token asks users.info. */
  team: string;
  user: string;
}

/**
 * Who a Slack author is once users.info answered: a guest or a member of another workspace (Slack
 * Connect) is the customer's side (inbound, a contact of the channel's customer); one of ours is a rep
 * (outbound). `repFor` finds or creates the Rep (the auto-logger passes its cached one).
 */
export async function slackAuthorDecision(
  profile: SlackUserProfile,
  installTeam: string,
  companyId: string | null,
  repFor: () => Promise<string>,
): Promise<AuthorDecision> {
  const inbound = profile.isGuest || (profile.teamId !== undefined && profile.teamId !== installTeam);
  return inbound
    ? { direction: 'inbound', email: profile.email, name: profile.name, contactCompanyId: companyId }
    : { direction: 'outbound', email: profile.email, repId: await repFor() };
}

/**
 * Slack's side of the held-author job (registered in every role): asks users.info again, past the
 * directory's one-minute failure cache, about an author held in a channel. Undefined while Slack still
 * cannot say.
 */
export function slackHeldAuthors(deps: { db: Database; users: SlackUserDirectory }): IdentifyHeldAuthor {
  return async (held) => {
    const lookup = held.lookup as Partial<SlackHeldAuthorLookup>;
    const [team, user] = [lookup.team, lookup.user];
    if (!team || !user) return undefined;
    const profile = await deps.users.get(team, user, { skipFailureCache: true });
    if (!profile || profile.isBot) return undefined;
    const authorId = held.authorKey.replace(/^slack:/, '');
    return slackAuthorDecision(profile, team, held.companyId, async () => {
      const rep = await findOrCreateRep(deps.db.prisma, {
        platform: 'slack',
        platformUserId: authorId,
        displayName: profile.name,
        email: profile.email,
        timezone: profile.timezone ?? '',
      });
      return rep.id;
    });
  };
}
