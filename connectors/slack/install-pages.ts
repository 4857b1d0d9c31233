import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpressReceiverOptions, Installation } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';
import type { ServesSlack } from './slack-served.ts';

/** @slack/oauth's CallbackOptions, reached through Bolt (Rapport does not depend on @slack/oauth directly). */
type CallbackOptions = NonNullable<NonNullable<ExpressReceiverOptions['installerOptions']>['callbackOptions']>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, sentence: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(sentence)}</p></body></html>`,
  );
}

/** Why an OAuth redirect was refused, in words a person installing the app can act on. */
function failureSentence(code: string | undefined, installPath: string): string {
  switch (code) {
    case 'slack_oauth_invalid_state':
    case 'slack_oauth_missing_state':
      return `This install link was not started here, was opened in another browser, or has expired (after 10 minutes). Start again at ${installPath}.`;
    case 'slack_oauth_missing_code':
      return `Slack did not send an authorization code. Start again at ${installPath}.`;
    case 'slack_oauth_installer_authorization_error':
      return `The installation was cancelled or Slack refused it. Start again at ${installPath} if you meant to install Rapport.`;
    default:
      return `Slack did not complete the installation. Start again at ${installPath}; if it fails again, check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and the bot's log.`;
  }
}

/** What the install pages need besides the install path: which workspaces are served, and Slack's API. */
export interface InstallPagesOptions {
  /** SLACK_TEAM_IDS: an install of any other workspace or org is refused before it is stored. */
  serves: ServesSlack;
  /** Web API base URL (SLACK_API_URL), for revoking the token of a refused install. */
  slackApiUrl?: string;
}

/**
 * The pages a person sees at the end of an OAuth install: which workspace Rapport was installed in,
 * or why the redirect was refused (bad or missing state, cancelled, a workspace this deployment does
 * not serve) and where to start again. Failures are logged with their code only: the redirect's query
 * string carries the one-time code.
 */
export function installCallbackPages(installPath: string, logger: Logger, opts: InstallPagesOptions): CallbackOptions {
  return {
    // Slack has already granted a token by now: one for a workspace that is not ours is revoked
    // (which uninstalls the app there) and never stored.
    afterInstallation: async (installation, _options, _req: IncomingMessage, res: ServerResponse) => {
      const isOrg = installation.isEnterpriseInstall === true;
      const workspace = {
        teamId: isOrg ? undefined : installation.team?.id,
        enterpriseId: installation.enterprise?.id,
      };
      if (opts.serves(workspace)) return true;
      const id = workspace.teamId ?? workspace.enterpriseId ?? 'unknown';
      const name = (isOrg ? installation.enterprise?.name : installation.team?.name) ?? id;
      logger.warn(
        { teamId: workspace.teamId, enterpriseId: workspace.enterpriseId },
        'Slack install refused: the workspace is not in SLACK_TEAM_IDS; nothing stored, its token revoked',
      );
      const token = installation.bot?.token;
      if (token)
        await new WebClient(token, {
          ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
          retryConfig: { retries: 0 },
        }).auth
          .revoke()
          .catch((err: Error) =>
            logger.warn({ err: err.message }, 'could not revoke the token of a refused Slack install'),
          );
      page(
        res,
        403,
        'Rapport was not installed',
        `This Rapport serves only its own company's Slack workspaces, and ${name} (${id}) is not one of them, so nothing was installed. If this workspace should use it, ask whoever runs Rapport to add ${id} to SLACK_TEAM_IDS, then start again at ${installPath}.`,
      );
      return false;
    },
    success: (installation: Installation, _options, _req: IncomingMessage, res: ServerResponse) => {
      if (installation.isEnterpriseInstall) {
        // An org-wide install reaches no workspace until an org admin adds it to some.
        const org = installation.enterprise?.name ?? 'your organization';
        page(
          res,
          200,
          'Rapport is installed',
          `Rapport is now installed in ${org}. An org admin adds it to workspaces in the organization's app settings; then invite @Rapport to a channel and type /crm help.`,
        );
        return;
      }
      page(
        res,
        200,
        'Rapport is installed',
        `Rapport is now installed in ${installation.team?.name ?? 'your workspace'}. Invite @Rapport to a channel and type /crm help to start.`,
      );
    },
    failure: (error, _options, _req: IncomingMessage, res: ServerResponse) => {
      const code = (error as { code?: string }).code;
      logger.warn({ code, err: error.message }, 'Slack OAuth install refused');
      page(res, 400, 'Rapport was not installed', failureSentence(code, installPath));
    },
  };
}
