import type { Job } from 'bullmq';
import { analyzeMessage } from '../src/classifier/entities.ts';
import { suggestFollowUp } from '../src/classifier/suggestion-rules.ts';
import { insertClassification, insertSuggestionFor, readMessageToClassify, readSuggestionOf, type SuggestedFollowUpRow } from '../src/db/classification.repository.ts';
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
 *
 * The hot path is two statements: one read (message, record, earlier classification and suggestion,
 * pending suggestion of the record) and one write (classification + suggestion, both ON CONFLICT DO
 * NOTHING on their unique keys). Prisma costs about 1 ms of CPU per query, which is the budget.
 */
export async function classifyCommunication(job: Job<ClassifyCommunicationData>, deps: PipelineDeps): Promise<ClassifyOutcome> {
  const { db } = deps;
  const { recordId, messageId } = job.data;
  const message = await readMessageToClassify(db.sql, messageId);
  if (!message || message.recordId !== recordId) return { status: 'gone' }; // erased or never committed
  // Our own replies (email sent by a rep) are not the customer's words: nothing to label.
  if (message.direction === 'outbound') return { status: 'outbound' };

  const now = new Date();
  const timezone = deps.settings.timezone;
  const analysis = analyzeMessage(message.cleanText, now, timezone);
  const companyId = message.companyId;
  const reasonFor = (label: string, confidence: number) =>
    `Labelled ${label} (${Math.round(confidence * 100)}% confident)${analysis.mentionedDate ? `, mentions ${analysis.mentionedDate.toISOString().slice(0, 10)}` : ''}.`;
  const owner = { companyId, recordId, assigneeRepId: message.loggedByRepId };
  // Without a linked channel: the default channel of the mailbox the email came from, else the global one.
  const defaultTarget = (message.mailbox && deps.settings.mailboxChannels?.[message.mailbox]) || deps.settings.defaultTarget;

  if (!message.classification) {
    const classifier = await deps.classifier.get();
    const result = classifier.classify(message.cleanText);
    const suggestion = suggestFollowUp({ label: result.label, confidence: result.confidence, sentiment: analysis.sentiment, entities: analysis.entities, mentionedDate: analysis.mentionedDate, now, timezone });
    const written = await insertClassification(
      db.sql,
      { ...owner, messageId, label: result.label, confidence: result.confidence, scores: result.scores, sentiment: analysis.sentiment, entities: analysis.entities, modelVersion: classifier.version },
      suggestion && companyId && !message.pendingSuggestion
        ? { title: suggestion.text, dueAt: suggestion.dueAt, priority: suggestion.priority, reason: reasonFor(result.label, result.confidence), defaultTarget }
        : undefined,
      now,
    );
    if (written) {
      if (written.followUp) await queueSuggestion(deps, written.followUp);
      return { status: 'classified', label: result.label, suggestedFollowUpId: written.followUp?.id };
    }
    // A concurrent run classified it first: continue as a rerun on what it stored.
    return classifyCommunication(job, deps);
  }

  const classification = message.classification;
  const label = classification.correctedLabel ?? classification.label;
  const suggestion = suggestFollowUp({
    label,
    confidence: classification.confidence,
    sentiment: classification.sentiment ?? 0,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    now: classification.createdAt,
    timezone,
  });
  if (!suggestion || !companyId) return { status: 'already-classified', label };

  let followUp = message.followUp;
  if (!followUp) {
    // One pending suggestion per conversation: a long thread should not flood the channel.
    if (message.pendingSuggestion) return { status: 'already-classified', label };
    followUp =
      (await insertSuggestionFor(db.sql, classification.id, { companyId, recordId, assigneeRepId: message.loggedByRepId }, {
        title: suggestion.text, dueAt: suggestion.dueAt, priority: suggestion.priority, reason: reasonFor(label, classification.confidence), defaultTarget,
      })) ?? (await readSuggestionOf(db.sql, classification.id));
    if (!followUp) return { status: 'already-classified', label }; // another suggestion became pending meanwhile
  }
  await queueSuggestion(deps, followUp);
  return { status: 'already-classified', label, suggestedFollowUpId: followUp.id };
}

async function queueSuggestion(deps: PipelineDeps, followUp: SuggestedFollowUpRow): Promise<void> {
  if (followUp.status !== 'suggested' || !followUp.remindTarget) return;
  const data: DeliverMessageData = { key: jobId('suggestion', followUp.id), kind: 'suggestion', target: followUp.remindTarget, followUpId: followUp.id };
  await deps.queues[QueueName.DeliverMessage].add('suggestion', data, { jobId: data.key });
}
