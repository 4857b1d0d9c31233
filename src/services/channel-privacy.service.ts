import { listLinkedChannels } from '../db/channel-link.repository.ts';
import type { Database } from '../db/database.ts';
import { listTeamChannelsWithCompany } from '../db/team-channel.repository.ts';
import type { Audience } from '../domain/audience.ts';

/** One channel Rapport is bound to, who reads it, and where its customers' cards go. */
export interface ChannelPrivacy {
  target: string;
  /** `customer channel`: logged from (a link); `team channel`: cards are posted to it. */
  roles: Array<'customer channel' | 'team channel'>;
  /** Names of the customers it is bound to. */
  customers: string[];
  audience: Audience;
  /** Where the cards of its customers go now: their team channel, else the default channel. */
  cardsGoTo: string[];
}

/**
 * Every linked channel and team channel of `platform`, with what its connector says about who reads
 * it and where the cards of its customers go, for /readyz and `rapport doctor`. Channels with
 * outsiders are expected for customer channels (that is what they are); a team channel with
 * outsiders is where the last-step guard is redirecting cards.
 */
export async function channelPrivacyReport(
  db: Database,
  platform: 'slack' | 'teams',
  audience: (target: string) => Promise<Audience>,
  defaultTarget: string,
): Promise<ChannelPrivacy[]> {
  const [links, teamChannels] = await Promise.all([
    listLinkedChannels(db.prisma, platform),
    listTeamChannelsWithCompany(db.prisma, platform),
  ]);
  const byTarget = new Map<string, ChannelPrivacy>();
  const entry = (channelRef: string) => {
    const target = `${platform}:${channelRef}`;
    let e = byTarget.get(target);
    if (!e) {
      e = { target, roles: [], customers: [], audience: 'unknown', cardsGoTo: [] };
      byTarget.set(target, e);
    }
    return e;
  };
  for (const l of links) {
    const e = entry(l.channelRef);
    if (!e.roles.includes('customer channel')) e.roles.push('customer channel');
    e.customers.push(l.company.name);
    const dest = l.company.teamChannel
      ? `${l.company.teamChannel.platform}:${l.company.teamChannel.channelRef}`
      : defaultTarget;
    if (!e.cardsGoTo.includes(dest)) e.cardsGoTo.push(dest);
  }
  for (const t of teamChannels) {
    const e = entry(t.channelRef);
    if (!e.roles.includes('team channel')) e.roles.push('team channel');
    if (!e.customers.includes(t.company.name)) e.customers.push(t.company.name);
    if (!e.cardsGoTo.includes(e.target)) e.cardsGoTo.push(e.target);
  }
  const entries = [...byTarget.values()];
  await Promise.all(entries.map(async (e) => (e.audience = await audience(e.target).catch(() => 'unknown' as const))));
  return entries.sort((a, b) => a.target.localeCompare(b.target));
}

/** One line per channel that is not internal: "slack:T1/C2 (customer channel of Acme): has outsiders; cards go to slack:T1/C9". */
export function describeChannelPrivacy(entries: ChannelPrivacy[]): string[] {
  return entries
    .filter((e) => e.audience !== 'internal')
    .map((e) => {
      const who =
        e.audience === 'external' ? 'has people from outside the company' : 'could not be checked (treated as outside)';
      const teamHere = e.roles.includes('team channel');
      const where = teamHere
        ? 'its cards are redirected to the default channel'
        : `cards go to ${e.cardsGoTo.join(', ')}`;
      return `${e.target} (${e.roles.join(' and ')} of ${e.customers.join(', ')}): ${who}; ${where}`;
    });
}
