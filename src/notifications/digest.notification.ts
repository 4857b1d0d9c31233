import type { Database } from '../db/database.ts';
import { readDigestFollowUps } from '../db/follow-up.repository.ts';
import type { Platform } from '../db/generated/client.ts';
import { findTeamChannelsAt } from '../db/team-channel.repository.ts';
import type { Reply, ReplySection } from '../commands/reply-model.ts';
import { followUpSection } from '../commands/follow-up-view.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../domain/zoned-time.ts';

/** Most items listed per digest section; the rest are counted. */
const SECTION_LIMIT = 10;

/**
 * The daily digest for one channel: follow-ups due today, overdue ones, and suggestions from the
 * last 24 hours, limited to the customers whose team channel it is. The default channel (or any
 * channel that is nobody's team channel) gets the customers without a team channel.
 */
export async function buildDigest(db: Database, target: string, timeZone: string, now = new Date()): Promise<Reply> {
  const [platform, ...rest] = target.split(':');
  const channelRef = rest.join(':');
  const served = await findTeamChannelsAt(db.prisma, { platform: platform as Platform, channelRef });
  const dayStart = zonedWallClockToInstant({ ...instantToWallClock(now, timeZone), hour: 0, minute: 0 }, timeZone);
  const dayEnd = new Date(dayStart.getTime() + 24 * 3600_000);
  const { dueToday, overdue, suggested } = await readDigestFollowUps(db.prisma, {
    companyIds: served.length > 0 ? served.map((t) => t.companyId) : null,
    dayStart,
    dayEnd,
    suggestedSince: new Date(now.getTime() - 24 * 3600_000),
  });
  const sections: ReplySection[] = [];
  const add = (title: string, items: typeof dueToday) => {
    if (items.length === 0) return;
    sections.push({ title: `${title} (${items.length})` });
    for (const f of items.slice(0, SECTION_LIMIT)) sections.push(followUpSection(f, timeZone, now));
    if (items.length > SECTION_LIMIT)
      sections.push({ text: `…and ${items.length - SECTION_LIMIT} more: type \`followups all\`.` });
  };
  add('Due today', dueToday);
  add('Overdue', overdue);
  add('New suggestions', suggested);
  const summary = `Daily digest: ${dueToday.length} due today, ${overdue.length} overdue, ${suggested.length} new suggestion(s).`;
  return {
    title: 'Daily digest',
    text: sections.length === 0 ? `${summary} Nothing needs you today.` : summary,
    sections,
    visibility: 'channel',
    tone: overdue.length > 0 ? 'warning' : 'info',
  };
}
