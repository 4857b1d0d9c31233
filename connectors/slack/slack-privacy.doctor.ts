import type { Config } from '../../src/config/env.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { readDataDirLock } from '../../src/db/data-dir-lock.ts';
import { createLogger } from '../../src/logger.ts';
import { SlackConnector } from './slack.connector.ts';
import { installedWorkspaceClients, singleWorkspaceClients } from './slack-clients.ts';
import { SlackInstallationStore } from './installation-store.ts';
import { SLACK_PRIVACY_CHECK, slackPrivacyCheck } from './slack-privacy.check.ts';

/**
 * `rapport doctor`: the linked Slack channels with people from outside the company and where their
 * customers' cards go. Asks the running bot's /readyz when it holds the embedded database, else
 * reads the links itself and asks Slack (conversations.info, members) the way the bot does.
 */
export async function slackPrivacyDoctorCheck(config: Config) {
  const name = 'slack privacy';
  if (!config.slack) return { name, ok: true, detail: 'Slack is not configured' };
  const running = config.databaseUrl ? undefined : readDataDirLock(config.dataDir);
  if (running?.url) {
    const body = (await fetch(`${running.url}/readyz`).then(
      (r) => r.json(),
      () => undefined,
    )) as { checks?: Record<string, { ok: boolean; detail: string }> } | undefined;
    const check = body?.checks?.[SLACK_PRIVACY_CHECK];
    return check
      ? { name, ok: true, detail: check.detail.replace(/\n/g, '\n      ') }
      : { name, ok: false, detail: `the running bot (pid ${running.pid}) did not report it`, fix: 'check the bot log' };
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
  try {
    const logger = createLogger('silent');
    const opts = { apiUrl: config.slack.apiUrl, logger };
    const clients = config.slack.botToken
      ? singleWorkspaceClients(config.slack.botToken, opts)
      : installedWorkspaceClients(new SlackInstallationStore(db, logger), opts);
    const { detail } = await slackPrivacyCheck(
      db,
      new SlackConnector(clients, logger),
      config.pipeline.defaultTarget,
    ).check();
    return { name, ok: true, detail: detail.replace(/\n/g, '\n      ') };
  } finally {
    await db.close();
  }
}
