import { findChannelLink } from '../../src/db/channel-link.repository.ts';
import type { WebClient } from '@slack/web-api';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { matchCompanyByDomain } from '../../src/services/match-company-domain.service.ts';

/** Whose records a channel's messages go to, and why. */
export interface ChannelDecision {
  companyId: string;
  /** `link`: a rep linked the channel; `slack-connect`: the channel is shared with that customer's Slack org. */
  via: 'link' | 'slack-connect';
}

/** How long a Slack Connect answer (conversations.info + team.info) is reused; channel_shared/unshared clear it sooner. */
export const SLACK_CONNECT_CACHE_MS = 10 * 60_000;
const CACHE_MAX = 10_000;

interface ConnectEntry {
  companyId: string | undefined;
  expiresAt: number;
}

/**
 * Decides per message whether a channel is auto-logged. A ChannelLink is read from the database every
 * time (one indexed lookup), so `link` and `unlink` take effect on the next message; a link with
 * autoLog off, or without a customer, means "never". Without a link, a Slack Connect channel
 * (conversations.info is_ext_shared) is logged to the customer whose domain matches the external
 * org's team.info email_domain (or subdomain); that answer costs Web API calls, so it is cached per
 * channel. Any other channel (internal, unlinked) is never logged.
 */
export class SlackChannelRouter {
  private readonly connect = new Map<string, ConnectEntry>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly db: Database,
    private readonly clientFor: (teamId: string) => Promise<WebClient>,
    private readonly logger: Logger,
  ) {}

  async decide(teamId: string, channelId: string): Promise<ChannelDecision | undefined> {
    const channelRef = `${teamId}/${channelId}`;
    const link = await findChannelLink(this.db.prisma, { platform: 'slack', channelRef });
    if (link) return link.autoLog && link.companyId ? { companyId: link.companyId, via: 'link' } : undefined;
    const companyId = await this.slackConnectCompany(teamId, channelId);
    return companyId ? { companyId, via: 'slack-connect' } : undefined;
  }

  /** The channel's sharing changed (channel_shared, channel_unshared): ask Slack again on the next message. */
  forget(teamId: string, channelId: string): void {
    this.connect.delete(`${teamId}/${channelId}`);
  }

  private async slackConnectCompany(teamId: string, channelId: string): Promise<string | undefined> {
    const key = `${teamId}/${channelId}`;
    const hit = this.connect.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.companyId;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const work = this.lookUp(teamId, channelId)
      .then((companyId) => {
        if (this.connect.size >= CACHE_MAX) this.connect.clear();
        this.connect.set(key, { companyId, expiresAt: Date.now() + SLACK_CONNECT_CACHE_MS });
        return companyId;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  /** @throws the Web API error when conversations.info fails (the message is retried or dropped by the caller, never misfiled). */
  private async lookUp(teamId: string, channelId: string): Promise<string | undefined> {
    const client = await this.clientFor(teamId);
    const { channel } = await client.conversations.info({ channel: channelId });
    if (!channel?.is_ext_shared) return undefined;
    const ours = new Set([teamId, ...(channel.internal_team_ids ?? [])]);
    const external = [...new Set([...(channel.connected_team_ids ?? []), ...(channel.shared_team_ids ?? [])])].filter(
      (t) => !ours.has(t),
    );
    const matches = new Set<string>();
    for (const team of external) {
      try {
        const info = await client.team.info({ team });
        const emailDomains = (info.team?.email_domain ?? '')
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean);
        const companyId = await matchCompanyByDomain(this.db, { emailDomains, subdomain: info.team?.domain });
        if (companyId) matches.add(companyId);
      } catch (err) {
        this.logger.warn(
          { err: (err as Error).message, team, channel: channelId },
          'team.info failed for a Slack Connect org; its messages are not matched to a customer',
        );
      }
    }
    // A channel shared with several customers' orgs belongs to none of them alone: link it by hand.
    if (matches.size !== 1) {
      if (matches.size > 1)
        this.logger.info(
          { channel: channelId, customers: matches.size },
          'Slack Connect channel matches several customers; link it to one to auto-log it',
        );
      return undefined;
    }
    return [...matches][0];
  }
}
