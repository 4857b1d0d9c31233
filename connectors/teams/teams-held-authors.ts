import { TeamsInfo, type CloudAdapter, type ConversationReference, type TeamsChannelAccount } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import type { AuthorDecision, IdentifyHeldAuthor } from '../../src/services/held-chat-messages.service.ts';
import { matchCompanyByDomain } from '../../src/services/match-company-domain.service.ts';

/** What the Teams auto-logger stores on a held message (`metadata.heldAuthor`) so any process can ask again. */
export interface TeamsHeldAuthorLookup {
  channelRef: string;
  /** The activity's `from.id` ("29:..."), which getMember takes. */
  memberId: string;
  aadObjectId?: string;
  name?: string;
  /** The conversation's tenant (channelData.tenant.id). */
  tenantId?: string;
  localTimezone?: string;
}

/** The author of an activity, as much as the decision needs (from a live activity or a held message). */
export interface TeamsAuthorSeen {
  memberId: string;
  aadObjectId?: string;
  name?: string;
  tenantId?: string;
  localTimezone?: string;
}

export interface TeamsAuthorDecisionDeps {
  db: Database;
  /** RAPPORT_INTERNAL_DOMAINS: authors with these email domains are ours (outbound), unless Teams names another tenant. */
  internalDomains: string[];
  /** MICROSOFT_APP_TENANT_ID: our tenant; a member of any other tenant is never ours (never the conversation's tenant). */
  tenantId?: string;
  /** RAPPORT_TIMEZONE, for reps Teams gives no timezone for. */
  defaultTimezone: string;
}

/**
 * Who a looked-up author is: our people (our tenant, MICROSOFT_APP_TENANT_ID, and not a guest or
 * anonymous, or one of our email domains) are reps (outbound); a member of another tenant never is,
 * whatever email they show (their tenant's admin writes it: it must not find, and join, the Rep
 * of one of our people with that email). Anyone else is the customer's side (inbound) and becomes a
 * contact of the customer their email domain names (the channel's, another one, or none, noted).
 */
export async function teamsAuthorDecision(
  deps: TeamsAuthorDecisionDeps,
  member: TeamsChannelAccount,
  seen: TeamsAuthorSeen,
  channelCompanyId: string | null,
): Promise<AuthorDecision> {
  const email = member.email ?? (member.userPrincipalName?.includes('@') ? member.userPrincipalName : undefined);
  const domain = email?.slice(email.lastIndexOf('@') + 1).toLowerCase();
  // Our tenant is the configured one: the conversation's may be anyone's.
  const fromElsewhere = member.tenantId !== undefined && member.tenantId !== deps.tenantId;
  const ours =
    !fromElsewhere &&
    ((domain !== undefined && deps.internalDomains.includes(domain)) ||
      (member.userRole !== 'guest' && member.userRole !== 'anonymous'));
  if (ours) {
    const rep = await findOrCreateRep(deps.db.prisma, {
      platform: 'teams',
      platformUserId: seen.aadObjectId ?? seen.memberId ?? member.id,
      displayName: seen.name ?? member.name,
      email,
      timezone: seen.localTimezone ?? deps.defaultTimezone,
    });
    return { direction: 'outbound', repId: rep.id, email };
  }
  const matched = domain ? await matchCompanyByDomain(deps.db, { emailDomains: [domain] }) : undefined;
  // A guest of our tenant with no customer's domain is still the channel's customer's guest.
  const contactCompanyId = matched ?? (fromElsewhere || !domain ? null : channelCompanyId);
  return {
    direction: 'inbound',
    email,
    name: member.name,
    contactCompanyId,
    contactNote:
      contactCompanyId === channelCompanyId
        ? undefined
        : contactCompanyId
          ? `The author's email domain (${domain}) belongs to another customer: they are that customer's contact.`
          : `The author${domain ? ` (${domain})` : ''} matches no customer's domain: they are nobody's contact yet.`,
  };
}

/**
 * Teams' side of the held-author job (registered in every role): asks getMember again in a proactive
 * turn on the channel's stored conversation reference. Undefined while Teams still cannot say (a
 * failure, or no stored reference).
 */
export function teamsHeldAuthors(
  deps: TeamsAuthorDecisionDeps & {
    adapter: CloudAdapter;
    /** MICROSOFT_APP_ID ('' in Emulator mode). */
    appId: string;
    reference(channelRef: string): Promise<Partial<ConversationReference> | undefined>;
    logger: Logger;
  },
): IdentifyHeldAuthor {
  return async (held) => {
    const lookup = held.lookup as Partial<TeamsHeldAuthorLookup>;
    if (!lookup.memberId) return undefined;
    const reference = await deps.reference(held.channelRef);
    if (!reference) return undefined;
    let member: TeamsChannelAccount | undefined;
    try {
      await deps.adapter.continueConversationAsync(deps.appId, reference, async (turn) => {
        member = await TeamsInfo.getMember(turn, lookup.memberId!);
      });
    } catch (err) {
      deps.logger.info(
        { err: (err as Error).message, channelRef: held.channelRef },
        'Teams held author: the roster still cannot say who wrote the held messages; asked again later',
      );
      return undefined;
    }
    if (!member) return undefined;
    const tenantId = lookup.tenantId ?? (reference.conversation as { tenantId?: string } | undefined)?.tenantId;
    return teamsAuthorDecision(
      deps,
      member,
      {
        memberId: lookup.memberId,
        aadObjectId: lookup.aadObjectId,
        name: lookup.name ?? held.authorName,
        tenantId,
        localTimezone: lookup.localTimezone,
      },
      held.companyId,
    );
  };
}
