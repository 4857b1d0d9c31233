import type { Job } from 'bullmq';
import type { Prisma } from '../src/db/generated/client.ts';
import { analyzeMessage } from '../src/classifier/entities.ts';
import { suggestFollowUp } from '../src/classifier/suggestion-rules.ts';
import { reminderTargetFor } from '../src/services/channel-links.service.ts';
import { isUniqueViolation } from '../src/services/prisma-executor.ts';
import { QueueName } from './queue-names.ts';
import type { ClassifyCommunicationData, DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

export interface ClassifyOutcome {
  status: 'classified' | 'already-classified' | 'gone' | 'outbound';
  label?: string;
  suggestedFollowUpId?: string;
}

/**
 * Labels one message of a record with the active model, stores the Classification (one per record
 * and message), and when the rule table says so creates one suggested FollowUp and queues its post.
 * Every step is keyed, so a rerun after a crash finishes what is missing and duplicates nothing.
 */
export async function classifyCommunication(job: Job<ClassifyCommunicationData>, deps: PipelineDeps): Promise<ClassifyOutcome> {
  const { db } = deps;
  const { recordId, messageId } = job.data;
  const message = await db.prisma.message.findUnique({
    where: { id: messageId },
    select: { id: true, cleanText: true, direction: true, sentAt: true, record: { select: { id: true, companyId: true, loggedByRepId: true } } },
  });
  if (!message || message.record.id !== recordId) return { status: 'gone' }; // erased or never committed
  // Our own replies (email sent by a rep) are not the customer's words: nothing to label.
  if (message.direction === 'outbound') return { status: 'outbound' };

  let classification = await db.prisma.classification.findUnique({ where: { recordId_messageId: { recordId, messageId } } });
  const alreadyClassified = classification !== null;
  const now = new Date();
  const timezone = deps.settings.timezone;
  const analysis = analyzeMessage(message.cleanText, now, timezone);
  if (!classification) {
    const classifier = await deps.classifier.get();
    const result = classifier.classify(message.cleanText);
    try {
      classification = await db.prisma.classification.create({
        data: {
          recordId,
          messageId,
          label: result.label,
          confidence: result.confidence,
          scores: result.scores,
          sentiment: analysis.sentiment,
          entities: analysis.entities as unknown as Prisma.InputJsonValue,
          modelVersion: classifier.version,
        },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      classification = await db.prisma.classification.findUniqueOrThrow({ where: { recordId_messageId: { recordId, messageId } } });
    }
  }

  const label = classification.correctedLabel ?? classification.label;
  const suggestion = suggestFollowUp({
    label,
    confidence: classification.confidence,
    sentiment: classification.sentiment ?? 0,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    now: alreadyClassified ? classification.createdAt : now,
    timezone,
  });
  const companyId = message.record.companyId;
  if (!suggestion || !companyId) return { status: alreadyClassified ? 'already-classified' : 'classified', label };

  let followUp = await db.prisma.followUp.findUnique({ where: { classificationId: classification.id } });
  if (!followUp) {
    // One pending suggestion per conversation: a long thread should not flood the channel.
    const pending = await db.prisma.followUp.findFirst({ where: { recordId, status: 'suggested' }, select: { id: true } });
    if (pending) return { status: alreadyClassified ? 'already-classified' : 'classified', label };
    const target = (await reminderTargetFor(db.prisma, companyId)) ?? deps.settings.defaultTarget;
    try {
      followUp = await db.prisma.followUp.create({
        data: {
          companyId,
          recordId,
          classificationId: classification.id,
          title: suggestion.text,
          dueAt: suggestion.dueAt,
          status: 'suggested',
          source: 'suggested',
          priority: suggestion.priority,
          reason: `Labelled ${label} (${Math.round(classification.confidence * 100)}% confident)${analysis.mentionedDate ? `, mentions ${analysis.mentionedDate.toISOString().slice(0, 10)}` : ''}.`,
          remindTarget: target,
          assigneeRepId: message.record.loggedByRepId,
        },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      followUp = await db.prisma.followUp.findUniqueOrThrow({ where: { classificationId: classification.id } });
    }
  }
  if (followUp.status === 'suggested' && followUp.remindTarget) {
    const data: DeliverMessageData = { key: jobId('suggestion', followUp.id), kind: 'suggestion', target: followUp.remindTarget, followUpId: followUp.id };
    await deps.queues[QueueName.DeliverMessage].add('suggestion', data, { jobId: data.key });
  }
  return { status: alreadyClassified ? 'already-classified' : 'classified', label, suggestedFollowUpId: followUp.id };
}
