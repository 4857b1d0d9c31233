import type { Database } from '../../src/db/database.ts';
import { channelPrivacyCheck, privacyCheckName } from '../channel-privacy.check.ts';
import type { SlackConnector } from './slack.connector.ts';

/** The /readyz check name; `rapport doctor` reads it from a running bot. */
export const SLACK_PRIVACY_CHECK = privacyCheckName('slack');

/** The linked Slack channels with people from outside the company, and where their customers' cards go. */
export function slackPrivacyCheck(db: Database, connector: SlackConnector, defaultTarget: string) {
  return channelPrivacyCheck('slack', db, (t) => connector.audience(t), defaultTarget);
}
