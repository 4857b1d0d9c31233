import type { Database } from '../src/db/database.ts';
import type { Audience } from '../src/domain/audience.ts';
import type { ReadinessCheck } from '../src/runtime/readiness.ts';
import { channelPrivacyReport, describeChannelPrivacy } from '../src/services/channel-privacy.service.ts';

/** The /readyz check name of a platform's privacy report; `rapport doctor` reads it from a running bot. */
export const privacyCheckName = (platform: 'slack' | 'teams') => `${platform} privacy`;

/**
 * Lists the platform's linked channels that have people from outside the company (Slack Connect,
 * guests, other tenants, or the platform could not say) and where their customers' cards go.
 * Informational: such customer channels are normal, and the last-step guard keeps cards out of them,
 * so it never fails readiness.
 */
export function channelPrivacyCheck(
  platform: 'slack' | 'teams',
  db: Database,
  audience: (target: string) => Promise<Audience>,
  defaultTarget: string,
): ReadinessCheck {
  return {
    name: privacyCheckName(platform),
    async check() {
      const entries = await channelPrivacyReport(db, platform, audience, defaultTarget);
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
