import type { SecretBox } from '../../src/db/secret-box.ts';
import { WebClient } from '@slack/web-api';
import type { Database } from '../../src/db/database.ts';
import { findSlackInstallation } from '../../src/db/slack-installation.repository.ts';
import type { Standing } from '../../src/domain/roles.ts';

/** Where the bot's Web API is and its token (config.slack): what asks Slack who signed in. */
export interface SlackUsersConfig {
  /** SLACK_BOT_TOKEN; without it the workspace's OAuth installation token is used. */
  botToken?: string;
  /** SLACK_API_URL, default Slack's. */
  apiUrl?: string;
  /** Opens the installation's sealed token (RAPPORT_SECRET_KEY). */
  secrets: SecretBox;
}

/** What Slack says about a person who signed in with Slack. */
export interface SlackSignInFacts {
  /** member, guest, another workspace (external), or unverified (Slack could not be asked). */
  standing: Standing;
  /** A workspace admin or owner (`is_admin`, `is_owner`, `is_primary_owner`): an admin, as in the chat. */
  platformAdmin: boolean;
}

/** Asks Slack about a person who signed in with Slack. */
export type SlackSignInStanding = (teamId: string, userId: string) => Promise<SlackSignInFacts>;

/**
 * Slack's OpenID Connect token says which workspace someone signed in to, not whether they are a
 * guest there (multi- and single-channel guests sign in too). This asks `users.info` with the bot's
 * token: `is_restricted` / `is_ultra_restricted` is a guest, another `team_id` (outside an
 * Enterprise Grid org) another organisation, a deleted user or an unanswered call is unverified.
 * Workspace admins and owners are admins, as they are in Slack commands (issue 14's roles).
 */
export function slackSignInStanding(db: Database, config: SlackUsersConfig): SlackSignInStanding {
  const apiUrl = config.apiUrl ? (config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`) : undefined;
  const unverified: SlackSignInFacts = { standing: 'unverified', platformAdmin: false };
  return async (teamId, userId) => {
    const token =
      config.botToken ?? (await findSlackInstallation(db, `team:${teamId}`, config.secrets))?.botToken ?? undefined;
    if (!token) return unverified;
    const client = new WebClient(token, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1_000 },
      timeout: 10_000,
    });
    try {
      const res = await client.users.info({ user: userId });
      const user = res.user;
      if (!res.ok || !user || user.deleted) return unverified;
      const standing: Standing =
        user.is_restricted || user.is_ultra_restricted
          ? 'guest'
          : user.team_id && user.team_id !== teamId && !user.enterprise_user?.enterprise_id
            ? 'external'
            : 'member';
      return {
        standing,
        platformAdmin: standing === 'member' && Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
      };
    } catch {
      return unverified;
    }
  };
}
