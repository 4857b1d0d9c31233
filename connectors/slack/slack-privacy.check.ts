import type { Database } from '../../src/db/database.ts';
import { channelPrivacyReport, describeChannelPrivacy } from '../../src/services/channel-privacy.service.ts';
import type { SlackConnector } from './slack.connector.ts';

/** The /readyz check name; `rapport doctor` reads it from a running bot. */
export const SLACK_PRIVACY_CHECK = 'slack privacy';

/**
 * Lists the linked Slack channels that have people from outside the company (Slack Connect, guests,
 * or Slack could not say) and where their customers' cards go. Informational: such customer
 * channels are normal, and the last-step guard keeps cards out of them, so it never fails readiness.
 */
export function slackPrivacyCheck(db: Database, connector: SlackConnector, defaultTarget: string) {
  return {
    name: SLACK_PRIVACY_CHECK,
    async check() {
      const entries = await channelPrivacyReport(db, 'slack', (t) => connector.audience(t), defaultTarget);
      const lines = describeChannelPrivacy(entries);
      return {
        ok: true,
        detail:
          lines.length > 0
            ? lines.join('\n')
            : `${entries.length} linked channel(s), none with people from outside the company`,
      };
    },
  };
}
