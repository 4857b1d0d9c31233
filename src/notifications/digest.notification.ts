import type { Database } from '../db/database.ts';
import { readDigestFollowUps } from '../db/follow-up.repository.ts';
import type { Platform } from '../db/generated/client.ts';
import { findTeamChannelsAt } from '../db/team-channel.repository.ts';
import type { Reply, ReplySection } from '../commands/reply-model.ts';
import { followUpSection } from '../commands/follow-up-view.ts';
import { senderSection } from '../commands/sender-view.ts';
import { startOfZonedDay } from '../domain/zoned-time.ts';
import { listUnconfirmedSenders, type UnconfirmedSender } from '../services/make-customer.service.ts';

/** Most items listed per digest section; the rest are counted. */
const SECTION_LIMIT = 10;

/** Unconfirmed senders looked at for the digest (the newest). */
const SENDERS_READ = 500;

/**
 * The daily digest for one channel: follow-ups due today, overdue ones, and suggestions from the
 * last 24 hours, limited to the customers whose team channel it is. The default channel (or any
 * channel that is nobody's team channel) gets the customers without a team channel, and the senders
 * with mail in the last 24 hours who are nobody's customer yet (IMAP_CREATE_COMPANIES=answered).
 * `about` lists the customers of the follow-ups it shows, so that erasing one takes the digest back.
 */
export async function buildDigest(db: Database, target: string, timeZone: string, now = new Date()): Promise<Reply> {
  const [platform, ...rest] = target.split(':');
  const channelRef = rest.join(':');
  const served = await findTeamChannelsAt(db.prisma, { platform: platform as Platform, channelRef });
  // The local day from midnight to midnight: 23 or 25 hours on the days the clocks change.
  const dayStart = startOfZonedDay(now, timeZone);
  const dayEnd = startOfZonedDay(now, timeZone, 1);
  // "New" in the digest: suggestions and senders of the last 24 hours.
  const since = new Date(now.getTime() - 24 * 3600_000);
  const { dueToday, overdue, suggested } = await readDigestFollowUps(db.prisma, {
    companyIds: served.length > 0 ? served.map((t) => t.companyId) : null,
    dayStart,
    dayEnd,
    suggestedSince: since,
  });
  const sections: ReplySection[] = [];
  // The customers of the follow-ups shown: erasing one takes the digest back (Reply.about).
  const about = new Set<string>();
  const add = (title: string, items: typeof dueToday) => {
    if (items.length === 0) return;
    sections.push({ title: `${title} (${items.length})` });
    for (const f of items.slice(0, SECTION_LIMIT)) {
      sections.push(followUpSection(f, timeZone, now));
      if (f.companyId) about.add(f.companyId);
    }
    if (items.length > SECTION_LIMIT)
      sections.push({ text: `…and ${items.length - SECTION_LIMIT} more: type \`followups all\`.` });
  };
  add('Due today', dueToday);
  add('Overdue', overdue);
  add('New suggestions', suggested);
  // Senders belong to no customer, so to no team channel: the channel of the customers without one.
  const waiting =
    served.length > 0
      ? []
      : (await listUnconfirmedSenders(db, SENDERS_READ)).filter((s) => s.lastMessageAt.getTime() >= since.getTime());
  if (waiting.length > 0) sections.push(...sendersSections(waiting));
  const summary = `Daily digest: ${dueToday.length} due today, ${overdue.length} overdue, ${suggested.length} new suggestion(s)${waiting.length > 0 ? `, ${waiting.length} new sender(s) not yet customers` : ''}.`;
  return {
    title: 'Daily digest',
    text: sections.length === 0 ? `${summary} Nothing needs you today.` : summary,
    sections,
    visibility: 'channel',
    tone: overdue.length > 0 ? 'warning' : 'info',
    ...(about.size > 0 ? { about: [...about] } : {}),
  };
}

/** The senders of the last day nobody answered yet, each with a Make customer button. */
function sendersSections(waiting: UnconfirmedSender[]): ReplySection[] {
  return [
    { title: `New senders not yet customers (${waiting.length})` },
    ...waiting.slice(0, SECTION_LIMIT).map(senderSection),
    ...(waiting.length > SECTION_LIMIT
      ? [{ text: `…and ${waiting.length - SECTION_LIMIT} more: type \`senders\`.` }]
      : []),
    {
      text: 'Answering them makes them customers; so does Make customer, here, on the console page Senders not yet customers (/console/senders) or with `rapport mail make-customer DOMAIN`.',
    },
  ];
}
