import { CloudAdapter } from 'botbuilder';
import type { Config } from '../../src/config/env.ts';
import { channelPrivacyDoctorCheck } from '../channel-privacy.doctor.ts';
import { loadConversationReference } from './conversation-references.ts';
import { teamsAuthentication } from './teams-authentication.ts';
import { TeamsConnector } from './teams.connector.ts';

/** `rapport doctor`: the linked Teams channels with guests, anonymous users or other tenants' people. */
export async function teamsPrivacyDoctorCheck(config: Config) {
  const teams = config.teams;
  if (!teams) return { name: 'teams privacy', ok: true, detail: 'Teams is not configured' };
  return channelPrivacyDoctorCheck('teams', config, (db) => {
    const connector = new TeamsConnector(
      new CloudAdapter(teamsAuthentication(teams)),
      teams.appId ?? '',
      (id) => loadConversationReference(db, id),
      { tenantId: teams.tenantId, internalDomains: config.internalDomains },
    );
    return (target) => connector.audience(target);
  });
}
