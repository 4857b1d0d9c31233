import type { App } from '@slack/bolt';
import type { SlackListenerDeps } from '../slack-request.ts';

/** Event types this file listens to (manifest.json bot_events). */
export const UNINSTALL_EVENTS = ['app_uninstalled', 'tokens_revoked'] as const;

/**
 * `app_uninstalled` and `tokens_revoked` (with bot tokens among them): the workspace's installation is
 * deleted, so deliveries there fail as auth errors (not retried) instead of posting with a dead token.
 * Bolt runs these two without an installation lookup (the tokens are already gone). With one
 * SLACK_BOT_TOKEN there is nothing stored: the log says the token no longer works.
 */
export function registerUninstallEvents(app: App, deps: SlackListenerDeps): void {
  const removeInstallation = async (
    reason: string,
    context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean },
  ) => {
    const where = {
      team: context.teamId,
      enterprise: context.enterpriseId,
      orgWide: context.isEnterpriseInstall === true,
      reason,
    };
    if (!deps.installations) {
      deps.logger.error(
        where,
        'Slack says Rapport lost its bot token in this workspace: SLACK_BOT_TOKEN no longer works; reinstall the app and set the new token',
      );
      return;
    }
    await deps.installations.remove({
      teamId: context.teamId,
      enterpriseId: context.enterpriseId,
      isEnterpriseInstall: context.isEnterpriseInstall === true,
    });
    deps.logger.warn(
      where,
      'Slack installation deleted: Rapport no longer posts to this workspace until it is installed again',
    );
  };

  app.event('app_uninstalled', async ({ context }) => {
    await removeInstallation('app_uninstalled', context);
  });

  app.event('tokens_revoked', async ({ event, context }) => {
    // User tokens alone (Rapport asks for none) leave the bot working.
    if ((event.tokens.bot ?? []).length === 0) return;
    await removeInstallation('tokens_revoked', context);
  });
}
