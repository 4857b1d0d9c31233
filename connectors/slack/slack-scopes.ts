/**
 * The bot scopes Rapport asks for when a workspace installs it (OAuth) — the same list as
 * manifest.json's oauth_config.scopes.bot (test/unit/slack/manifest.test.ts keeps them equal).
 * README's "Slack scopes" table says why each is needed.
 */
export const SLACK_BOT_SCOPES = [
  'commands',
  'chat:write',
  'channels:history',
  'groups:history',
  'channels:read',
  'groups:read',
  'users:read',
  'users:read.email',
  'team:read',
  'im:write',
  'im:history',
  'app_mentions:read',
  'files:write',
] as const;
