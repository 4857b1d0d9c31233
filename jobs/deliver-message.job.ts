import { findAuditDetailsById } from '../src/db/audit-log.repository.ts';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Reply } from '../src/commands/reply-model.ts';
import { renderFollowUpCard, type FollowUpCardPurpose } from '../src/notifications/follow-up-card.notification.ts';
import { randomUUID } from 'node:crypto';
import { addPostNames } from '../src/db/posted-card.repository.ts';
import {
  confirmDeliveryLease,
  DEFAULT_LEASE_MS,
  deliveryExists,
  releaseDeliveryLease,
  noteDeliveryWaiting,
  setDeliveryStatus,
  takeDeliveryLease,
} from '../src/db/delivery.repository.ts';
import { buildDigest } from '../src/notifications/digest.notification.ts';
import { buildWeeklyInsights } from '../src/notifications/weekly-insights.notification.ts';
import { retractedCardReply } from '../src/notifications/retracted-card.notification.ts';
import { DeliveryError } from '../connectors/chat-connector.ts';
import type { DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { formatMessageRef, isOpen } from '../src/domain/follow-up.ts';
import { followTheData } from './card-follows-data.ts';
import { namesCustomers, takeBackIfNamedGone } from './post-names.ts';
import { cardRetractions } from './card-changes.ts';
import { directDeliveryLedger, type DeliveryLedger } from './delivery-ledger.ts';
import { routeThroughGuard, withRedirectNotice, type GuardedRoute } from './last-step-guard.ts';
import { suggestionBurstPlace, withGroupNote } from './suggestion-burst.ts';

export interface DeliveryOutcome {
  /** `lease-lost`: another attempt took the delivery over while this one stalled; it posts, this one does not. */
  status: 'sent' | 'already-sent' | 'nothing-to-send' | 'lease-lost';
  externalId?: string;
  /** The last-step guard posted it here instead of the job's target. */
  redirectedTo?: string;
}

/**
 * Posts (or updates) one message through the connector registry, exactly once per delivery key:
 * - the Delivery row is the idempotency record (a rerun of a sent key does nothing);
 * - a crash after posting but before recording leaves the row `posting`; the rerun asks the
 *   platform whether the keyed message exists (findPosted) before posting again; so does an error
 *   from the post that may have come after the platform took the message (a timeout, a 5xx, a reset:
 *   DeliveryError.mayHavePosted); only errors known to come before anything was sent make it `pending`;
 * - a reminder or escalation is for the due time in its key: one whose follow-up was closed or moved
 *   since (done, snoozed, rescheduled while the post waited out an outage) is `skipped`, not posted;
 * - per-target rate limits shared through Redis; a 429 waits out Retry-After without using an attempt;
 * - auth and not-found errors stop retrying (UnrecoverableError), temporary ones back off;
 * - a lease (fencing token) on the row: a worker that stalls past it (longer than the job lock, so
 *   BullMQ gave the job to another worker) finds the lease taken over right before posting and does
 *   not post; while another attempt holds a live lease this one waits instead of posting beside it.
 * `ledger` runs the claim and the record of the post; workers batch them across concurrent deliveries.
 */
export async function deliverMessage(
  job: Job<DeliverMessageData>,
  token: string | undefined,
  deps: PipelineDeps,
  ledger: DeliveryLedger = directDeliveryLedger(deps.db.sql),
): Promise<DeliveryOutcome> {
  const { db, registry, limiter } = deps;
  const d = job.data;
  const cardKind = d.kind === 'suggestion' || d.kind === 'reminder' || d.kind === 'escalation' || d.kind === 'refresh';
  // One statement: the idempotency row, the channel's timezone and (for cards) everything the card shows.
  const leaseMs = deps.settings.deliveryLeaseMs ?? DEFAULT_LEASE_MS;
  const lease = randomUUID();
  const row = await ledger.claim({
    key: d.key,
    target: d.target,
    followUpId: cardKind ? d.followUpId : undefined,
    payload: d,
    leaseToken: lease,
  });
  if (row.status === 'sent') {
    // A crash or a failure right after the post was recorded skipped the look at the customers it names.
    if (namesCustomers(d)) await takeBackIfNamedGone(deps, d.key);
    return { status: 'already-sent', externalId: row.externalId ?? undefined };
  }
  if (row.heldUntil) return waitForHolder(job, token, row.heldUntil);
  // A reminder or escalation is for one due time: after a Done or a Snooze (or a new due date) it has
  // nothing to say, however late its retry or redrive comes. Card refreshes render those states.
  const dueFor = dueTimeOf(d);
  if (dueFor !== undefined && row.card && (!isOpen(row.card.status) || row.card.dueAt.getTime() !== dueFor))
    return skipMovedOn(deps, ledger, d, row.status, row.card, dueFor);

  const tz = row.channelTimezone ?? deps.settings.timezone;
  const reply = cardKind
    ? row.card
      ? await renderFollowUpCard(db, row.card, d.kind as FollowUpCardPurpose, tz)
      : undefined
    : await buildOtherReply(d, deps, tz);
  if (!reply) {
    await setDeliveryStatus(db.sql, d.key, 'skipped');
    return { status: 'nothing-to-send' };
  }
  // The last-step guard: every post here is internal (cards quote customers), so the target's
  // connector is asked who can read it right now. A refresh never moves a card: one already in a
  // place that is no longer internal is left as it is rather than updated with more.
  let route: Awaited<ReturnType<typeof routeThroughGuard>>;
  try {
    // A retraction quotes nothing and must reach the card where it is, shared place or not.
    route = d.kind === 'retract' ? { target: d.target, redirectedFrom: undefined } : await routeOrWait(d, row, deps);
  } catch (err) {
    // Not installed where the target is (or its platform is off here): the post could reach nobody.
    if (!(err instanceof DeliveryError) || (err.code !== 'auth' && err.code !== 'not_found')) throw err;
    await setDeliveryStatus(db.sql, d.key, 'failed', err.message);
    throw new UnrecoverableError(err.message);
  }
  if (!route) {
    await setDeliveryStatus(
      db.sql,
      d.key,
      'failed',
      `No internal place to post to: ${d.target} is not internal and neither is the default channel.`,
    );
    throw new UnrecoverableError(
      `No internal place to post ${d.key}: ${d.target} and the default channel are not internal.`,
    );
  }
  if (route.redirectedFrom && d.direct) {
    // A private copy goes to that person or nowhere: the channel has the reminder already.
    await setDeliveryStatus(
      db.sql,
      d.key,
      'skipped',
      `${d.target} is not a private conversation with one of the company's people; the reminder in the channel stands.`,
    );
    return { status: 'nothing-to-send' };
  }
  if (route.redirectedFrom && d.kind === 'refresh') {
    await setDeliveryStatus(
      db.sql,
      d.key,
      'skipped',
      `${d.target} is not internal any more; the card there was not updated.`,
    );
    return { status: 'nothing-to-send' };
  }
  if (d.kind === 'refresh' && d.externalId && (await isTakenBack(deps, d.target, d.externalId))) {
    // Taken back (its place is shared now, or its data is gone): a refresh would put the card back.
    await setDeliveryStatus(db.sql, d.key, 'skipped', 'The card was taken back; it is not updated any more.');
    return { status: 'nothing-to-send' };
  }
  const target = route.target;
  const outgoing = route.redirectedFrom ? withRedirectNotice(reply, route.redirectedFrom) : reply;
  const connector = registry.forTarget(target);
  // The customers a digest or weekly post names, on its row before anything is posted: whatever happens
  // after the post, an erasure finds it once it is recorded sent (added to earlier attempts' names).
  if (reply.about?.length) await addPostNames(db.sql, d.key, reply.about);

  if (row.status === 'posting' && d.kind !== 'refresh' && d.kind !== 'retract' && connector.findPosted) {
    const found = await findEarlierPost(deps, d, target);
    if (found && 'externalId' in found) {
      const sent = await recordSent(ledger, d, found.target, found.externalId);
      if (namesCustomers(d)) await takeBackIfNamedGone(deps, d.key);
      if (row.card)
        await followTheData(
          deps,
          ledger.readCard,
          { id: row.card.id, unknown: true },
          { target: found.target, externalId: found.externalId },
          { privateCopy: d.direct },
        );
      return sent;
    }
    // The platform cannot tell (the connector warned once why): post again, a duplicate rather than a loss.
    if (found)
      deps.logger.info(
        { key: d.key, target, reason: found.unknown },
        'posting again: the platform cannot tell whether the earlier attempt went out',
      );
  }

  // A suggestion's place in its customer's burst; while the burst's first card is not posted yet the
  // later ones wait for it (bounded): their thread is its, and it is the first the channel shows.
  const place = d.kind === 'suggestion' ? await suggestionBurstPlace(deps, d.key, target) : undefined;
  if (place?.kind === 'wait') {
    if (row.markedPosting) await setDeliveryStatus(db.sql, d.key, 'not-posting', undefined, row.status);
    await job.moveToDelayed(place.until.getTime(), token);
    throw new DelayedError();
  }
  const grouped = place?.kind === 'thread' ? place : undefined;

  // Marked `posting` before the rate-limit slot is taken, so nothing but the limiter's own round trip
  // lies between the slot and the post: a database write in between (slow under load, and slower for
  // one post than the next) let two posts land closer than the platform's interval and drew 429s.
  // Follow-up cards were marked by the claim already (one statement fewer per post). A post that has
  // to wait gets a slot of its own and sleeps until exactly then.
  if (!row.markedPosting && !(await takeDeliveryLease(db.sql, d.key, lease, leaseMs)))
    return waitForHolder(job, token, new Date(Date.now() + leaseMs));
  const wait = await limiter.acquire(target, d.key);
  if (wait > 0) {
    await setDeliveryStatus(db.sql, d.key, 'not-posting', undefined, row.status);
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError();
  }

  // The fence: nothing but this statement lies between it and the post.
  if (!(await confirmDeliveryLease(db.sql, d.key, lease, leaseMs))) return { status: 'lease-lost' };
  let sent: DeliveryOutcome;
  let card: { target: string; externalId: string };
  try {
    if (d.kind === 'refresh' || d.kind === 'retract') {
      card = { target, externalId: d.externalId! };
      await connector.update(target, card.externalId, outgoing);
      sent = await recordSent(ledger, d, target, card.externalId);
    } else {
      const postTo = grouped?.target ?? target;
      const { externalId } = await connector.post(
        postTo,
        grouped ? withGroupNote(outgoing, grouped.earlier) : outgoing,
        { idempotencyKey: d.key },
      );
      sent = await recordSent(ledger, d, postTo, externalId);
      card = { target: postTo, externalId };
    }
  } catch (err) {
    const posting = d.kind !== 'refresh' && d.kind !== 'retract';
    if (!(err instanceof DeliveryError) || (posting && err.mayHavePosted)) {
      // Uncertain (the platform may have the message: a timeout, a 5xx, a reset, a post not recorded):
      // stays `posting`, so the retry asks findPosted first, retried with backoff.
      await releaseDeliveryLease(db.sql, d.key, lease, err instanceof DeliveryError ? err.message : undefined);
      throw err;
    }
    // Known not to have posted (rate limit, auth, not found, a refused connection), or an update.
    await setDeliveryStatus(db.sql, d.key, 'pending', err.message);
    if (err.code === 'rate_limited') {
      await job.moveToDelayed(Date.now() + (err.retryAfterMs ?? 1_000), token);
      throw new DelayedError();
    }
    if (err.code === 'auth' || err.code === 'not_found') {
      await setDeliveryStatus(db.sql, d.key, 'failed');
      throw new UnrecoverableError(err.message);
    }
    throw err;
  }
  // A digest or weekly post names customers: one erased while it was on its way takes it back at once.
  if (namesCustomers(d)) await takeBackIfNamedGone(deps, d.key);
  // A private copy is never refreshed (it is not the follow-up's card; the channel's card is), only taken
  // back when a forget committed while it was on its way.
  if (row.card) await followTheData(deps, ledger.readCard, row.card, card, { privateCopy: d.direct });
  return sent;
}

/** How long a delivery waits for a platform that does not answer who reads its target (then redirected). */
export const PLATFORM_WAIT_MS = 30 * 60_000;

/**
 * The last-step guard's route for a post. While the target's platform does not answer who reads it
 * (down, a 5xx, a timeout), nothing is posted and the error propagates: the delivery is retried and
 * redriven, its lastError saying why, and goes where it was meant to once the platform answers. After
 * {@link PLATFORM_WAIT_MS} from its first try it is routed as any doubtful place's post is (the default
 * channel, else the console feed), so it is never held for good.
 */
async function routeOrWait(
  d: DeliverMessageData,
  row: { markedPosting: boolean; status: string },
  deps: PipelineDeps,
): Promise<GuardedRoute | undefined> {
  try {
    return await routeThroughGuard(d.target, deps);
  } catch (err) {
    if (!(err instanceof DeliveryError) || err.code !== 'temporary' || err.mayHavePosted) throw err;
    const firstTried = await noteDeliveryWaiting(deps.db.sql, d.key, err.message);
    if (firstTried && Date.now() - firstTried.getTime() >= PLATFORM_WAIT_MS)
      return routeThroughGuard(d.target, deps, { waitForPlatform: false });
    if (row.markedPosting) await setDeliveryStatus(deps.db.sql, d.key, 'not-posting', undefined, row.status);
    throw err;
  }
}

/**
 * The message an earlier attempt posted with this delivery key, where it may have gone: the target,
 * and for a suggestion also the thread its burst is grouped in (channel histories do not list replies).
 * `unknown` when the platform cannot tell for the place looked at first and nothing was found elsewhere.
 */
async function findEarlierPost(
  deps: PipelineDeps,
  d: DeliverMessageData,
  target: string,
): Promise<{ externalId: string; target: string } | { unknown: string } | undefined> {
  const connector = deps.registry.forTarget(target);
  if (!connector.findPosted) return undefined;
  const found = await connector.findPosted(target, d.key);
  if (found && 'externalId' in found) return { externalId: found.externalId, target };
  const place = d.kind === 'suggestion' ? await suggestionBurstPlace(deps, d.key, target) : undefined;
  const grouped = place?.kind === 'thread' ? place : undefined;
  if (!grouped) return found;
  const inThread = await connector.findPosted(grouped.target, d.key);
  if (inThread && 'externalId' in inThread) return { externalId: inThread.externalId, target: grouped.target };
  return found ?? inThread;
}

/**
 * The due time a reminder or escalation (channel card or private copy) was queued for, from its key
 * (`reminder-<follow-up>-<due ms>`, `reminder-direct-<follow-up>-<due ms>-<target>`, the same for
 * `escalation`); undefined for every other delivery.
 */
export function dueTimeOf(d: DeliverMessageData): number | undefined {
  if ((d.kind !== 'reminder' && d.kind !== 'escalation') || !d.followUpId) return undefined;
  for (const prefix of [d.kind, `${d.kind}-direct`]) {
    const head = `${prefix}-${d.followUpId}-`;
    if (!d.key.startsWith(head)) continue;
    const due = /^(\d+)(?:-|$)/.exec(d.key.slice(head.length));
    if (due) return Number(due[1]);
  }
  return undefined;
}

/**
 * A reminder or escalation whose follow-up is closed or due at another time now: skipped. When an
 * earlier attempt may have posted it (the row was `posting`: a crash, or an error after the platform
 * took it) and the platform has it, it is recorded instead, and refreshed to show the follow-up as it
 * is now (done, snoozed), so no card with stale buttons is left unrecorded.
 */
async function skipMovedOn(
  deps: PipelineDeps,
  ledger: DeliveryLedger,
  d: DeliverMessageData,
  statusBefore: string,
  card: { id: string; status: string; dueAt: Date },
  dueFor: number,
): Promise<DeliveryOutcome> {
  if (statusBefore === 'posting') {
    // findEarlierPost answers undefined where the platform cannot look.
    const found = await findEarlierPost(deps, d, d.target).catch((err: unknown) => {
      deps.logger.warn(
        { key: d.key, err: (err as Error).message },
        'could not look for an earlier post of a stale reminder',
      );
      return undefined;
    });
    if (found && 'externalId' in found) {
      const sent = await recordSent(ledger, d, found.target, found.externalId);
      await followTheData(
        deps,
        ledger.readCard,
        { id: card.id, unknown: true },
        { target: found.target, externalId: found.externalId },
        { privateCopy: d.direct },
      );
      return sent;
    }
  }
  const why = !isOpen(card.status)
    ? `the follow-up is ${card.status} now`
    : `the follow-up is due ${card.dueAt.toISOString()} now, not ${new Date(dueFor).toISOString()}`;
  await setDeliveryStatus(deps.db.sql, d.key, 'skipped', `Not posted: ${why}.`);
  deps.logger.info({ key: d.key, followUpId: card.id }, `${d.kind} not posted: ${why}`);
  return { status: 'nothing-to-send' };
}

/** A retraction of this message is written down (any status): the card is never shown again. */
async function isTakenBack(deps: PipelineDeps, target: string, externalId: string): Promise<boolean> {
  const key = cardRetractions([{ target, externalId }], 'erased')[0].key;
  return deliveryExists(deps.db.sql, key);
}

/** Another attempt holds the delivery: look again when its lease ends (it will have posted, or died). */
async function waitForHolder(job: Job, token: string | undefined, until: Date): Promise<never> {
  await job.moveToDelayed(until.getTime() + 250, token);
  throw new DelayedError();
}

async function recordSent(
  ledger: DeliveryLedger,
  d: DeliverMessageData,
  target: string,
  externalId: string,
): Promise<DeliveryOutcome> {
  // Later clicks and state changes update a follow-up's posted message in place (where it really went).
  const followUp =
    d.followUpId && !d.direct && (d.kind === 'suggestion' || d.kind === 'reminder' || d.kind === 'escalation')
      ? { id: d.followUpId, messageRef: formatMessageRef(target, externalId), purpose: d.kind }
      : undefined;
  await ledger.recordSent({ key: d.key, externalId, followUp, ...(target !== d.target ? { postedTo: target } : {}) });
  return { status: 'sent', externalId, ...(target !== d.target ? { redirectedTo: target } : {}) };
}

/** Replies that are not follow-up cards: digests and notices. */
async function buildOtherReply(d: DeliverMessageData, deps: PipelineDeps, tz: string): Promise<Reply | undefined> {
  switch (d.kind) {
    case 'digest':
      return buildDigest(deps.db, d.target, tz);
    case 'insights':
      return deps.settings.insights
        ? buildWeeklyInsights(deps.db, d.target, deps.settings.insights, new Date(), deps.logger)
        : undefined;
    case 'retract':
      return d.externalId ? retractedCardReply(d.reason ?? 'erased') : undefined;
    case 'notice': {
      if (!d.auditId) return undefined;
      const details = (await findAuditDetailsById(deps.db.prisma, d.auditId)) as {
        text?: string;
        buttons?: Reply['buttons'];
      } | null;
      return details?.text ? { text: details.text, visibility: 'channel', buttons: details.buttons } : undefined;
    }
    default:
      return undefined;
  }
}
