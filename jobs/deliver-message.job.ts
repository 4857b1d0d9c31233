import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Reply } from '../src/commands/reply-model.ts';
import { buildFollowUpCard } from '../src/notifications/follow-up-card.notification.ts';
import { buildDigest } from '../src/notifications/digest.notification.ts';
import { DeliveryError } from '../connectors/chat-connector.ts';
import type { DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { formatMessageRef } from './bullmq-pipeline-hooks.ts';

export interface DeliveryOutcome {
  status: 'sent' | 'already-sent' | 'nothing-to-send';
  externalId?: string;
}

/**
 * Posts (or updates) one message through the connector registry, exactly once per delivery key:
 * - the Delivery row is the idempotency record (a rerun of a sent key does nothing);
 * - a crash after posting but before recording leaves the row `posting`; the rerun asks the
 *   platform whether the keyed message exists (findPosted) before posting again;
 * - per-target rate limits shared through Redis; a 429 waits out Retry-After without using an attempt;
 * - auth and not-found errors stop retrying (UnrecoverableError), temporary ones back off.
 */
export async function deliverMessage(job: Job<DeliverMessageData>, token: string | undefined, deps: PipelineDeps): Promise<DeliveryOutcome> {
  const { db, registry, limiter } = deps;
  const d = job.data;
  const row = await db.prisma.delivery.upsert({ where: { key: d.key }, create: { key: d.key, target: d.target }, update: {} });
  if (row.status === 'sent') return { status: 'already-sent', externalId: row.externalId ?? undefined };

  const reply = await buildReply(d, deps);
  if (!reply) {
    await db.prisma.delivery.update({ where: { key: d.key }, data: { status: 'skipped' } });
    return { status: 'nothing-to-send' };
  }
  const connector = registry.forTarget(d.target);

  if (row.status === 'posting' && d.kind !== 'refresh' && connector.findPosted) {
    const found = await connector.findPosted(d.target, d.key);
    if (found) return recordSent(deps, d, found.externalId);
  }

  const wait = await limiter.acquire(d.target);
  if (wait > 0) {
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError();
  }

  await db.prisma.delivery.update({ where: { key: d.key }, data: { status: 'posting', attempts: { increment: 1 } } });
  try {
    if (d.kind === 'refresh') {
      await connector.update(d.target, d.externalId!, reply);
      return recordSent(deps, d, d.externalId!);
    }
    const { externalId } = await connector.post(d.target, reply, { idempotencyKey: d.key });
    return await recordSent(deps, d, externalId);
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err; // uncertain: stays `posting`, retried with backoff
    await db.prisma.delivery.update({ where: { key: d.key }, data: { status: 'pending', lastError: err.message } });
    if (err.code === 'rate_limited') {
      await job.moveToDelayed(Date.now() + (err.retryAfterMs ?? 1_000), token);
      throw new DelayedError();
    }
    if (err.code === 'auth' || err.code === 'not_found') {
      await db.prisma.delivery.update({ where: { key: d.key }, data: { status: 'failed' } });
      throw new UnrecoverableError(err.message);
    }
    throw err;
  }
}

async function recordSent(deps: PipelineDeps, d: DeliverMessageData, externalId: string): Promise<DeliveryOutcome> {
  await deps.db.prisma.delivery.update({ where: { key: d.key }, data: { status: 'sent', externalId, lastError: null } });
  if (d.followUpId && (d.kind === 'suggestion' || d.kind === 'reminder' || d.kind === 'escalation')) {
    // Later clicks and state changes update this message in place.
    await deps.db.prisma.followUp.updateMany({ where: { id: d.followUpId }, data: { messageRef: formatMessageRef(d.target, externalId) } });
  }
  return { status: 'sent', externalId };
}

async function buildReply(d: DeliverMessageData, deps: PipelineDeps): Promise<Reply | undefined> {
  const tz = await targetTimezone(deps, d.target);
  switch (d.kind) {
    case 'suggestion':
    case 'reminder':
    case 'escalation':
    case 'refresh':
      return d.followUpId ? buildFollowUpCard(deps.db, d.followUpId, d.kind, tz) : undefined;
    case 'digest':
      return buildDigest(deps.db, d.target, tz);
    case 'notice': {
      if (!d.auditId) return undefined;
      const entry = await deps.db.prisma.auditLog.findUnique({ where: { id: d.auditId } });
      const text = (entry?.details as { text?: string } | null)?.text;
      return text ? { text, visibility: 'channel' } : undefined;
    }
  }
}

async function targetTimezone(deps: PipelineDeps, target: string): Promise<string> {
  const [platform, ...rest] = target.split(':');
  const link = await deps.db.prisma.channelLink.findFirst({ where: { platform: platform as never, channelRef: rest.join(':'), timezone: { not: null } }, select: { timezone: true } });
  return link?.timezone ?? deps.settings.timezone;
}
