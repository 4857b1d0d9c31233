import { SecretBox } from '../../src/db/secret-box.ts';
import type { Config } from '../../src/config/env.ts';
import { createLogger } from '../../src/logger.ts';
import { channelPrivacyDoctorCheck } from '../channel-privacy.doctor.ts';
import { SlackConnector } from './slack.connector.ts';
import { installedWorkspaceClients, singleWorkspaceClients } from './slack-clients.ts';
import { SlackInstallationStore } from './installation-store.ts';
import { servesSlackTeams } from './slack-served.ts';

/** `rapport doctor`: the linked Slack channels with people from outside the company (Slack Connect, guests). */
export async function slackPrivacyDoctorCheck(config: Config) {
  const slack = config.slack;
  if (!slack) return { name: 'slack privacy', ok: true, detail: 'Slack is not configured' };
  return channelPrivacyDoctorCheck('slack', config, (db) => {
    const logger = createLogger('silent');
    const opts = { apiUrl: slack.apiUrl, logger };
    const clients = slack.botToken
      ? singleWorkspaceClients(slack.botToken, opts)
      : installedWorkspaceClients(
          // Like the running bot: another workspace's installation stored earlier is not asked about.
          new SlackInstallationStore(db, logger, {
            secrets: new SecretBox(config.secretKeys),
            serves: servesSlackTeams(slack.teamIds),
          }),
          opts,
        );
    const connector = new SlackConnector(clients, logger);
    return (target) => connector.audience(target);
  });
}
