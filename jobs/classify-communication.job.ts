import type { Job } from 'bullmq';
import { analyzeMessage, type MessageAnalysis } from '../src/classifier/entities.ts';
import { confidenceWord } from '../src/classifier/confidence-words.ts';
import { detectLanguage, languageLabel } from '../src/classifier/language-detector.ts';
import { suggestFollowUp } from '../src/classifier/suggestion-rules.ts';
import type { Classifier } from '../src/classifier/classifier.ts';
import {
  insertClassification,
  insertSuggestionFor,
  readMessageToClassify,
  readSuggestionOf,
  type MessageToClassify,
  type NewClassification,
  type SuggestedFollowUpRow,
} from '../src/db/classification.repository.ts';
import { QueueName } from './queue-names.ts';
import type { ClassifyCommunicationData, DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

export interface ClassifyOutcome {
  status: 'classified' | 'already-classified' | 'gone' | 'outbound' | 'held';
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
 * NOTHING on their unique keys). Under load the workers run this in batches (ClassifyBatcher), the
 * same two statements for many messages at once; this single-message path serves reruns and a batch
 * that failed.
 */
export async function classifyCommunication(
  job: Job<ClassifyCommunicationData>,
  deps: PipelineDeps,
): Promise<ClassifyOutcome> {
  const { recordId, messageId } = job.data;
  const message = await readMessageToClassify(deps.db.sql, messageId);
  const early = skipReason(message, recordId);
  if (early) return { status: early };
  if (message!.classification) return finishClassified(message!, deps);

  const now = new Date();
  const plan = planClassification(message!, await deps.classifier.get(), deps, now);
  const written = await insertClassification(deps.db.sql, plan.item.classification, plan.item.suggestion, now);
  // A concurrent run classified it first: continue as a rerun on what it stored.
  if (!written) return classifyCommunication(job, deps);
  if (written.followUp) await queueSuggestions(deps, [written.followUp]);
  return { status: 'classified', label: plan.label, suggestedFollowUpId: written.followUp?.id };
}

/**
 * Why a message needs no classification: erased (or never committed), our own outbound words, or held
 * until its author is known (classified when that is decided and it is the customer's).
 */
export function skipReason(
  message: MessageToClassify | undefined,
  recordId: string,
): 'gone' | 'outbound' | 'held' | undefined {
  if (!message || message.recordId !== recordId) return 'gone';
  // Our own replies (email sent by a rep) are not the customer's words: nothing to label.
  if (message.direction === 'outbound') return 'outbound';
  if (message.direction === 'unknown') return 'held';
  return undefined;
}

/** What to store for a message not classified yet: its classification and, when the rules say so, a suggestion. */
export function planClassification(
  message: MessageToClassify,
  classifier: Classifier,
  deps: PipelineDeps,
  now: Date,
): { item: NewClassification; label: string } {
  const timezone = deps.settings.timezone;
  const language = detectLanguage(message.cleanText);
  const analysis = analyzeMessage(message.cleanText, now, timezone, language);
  const result = classifier.classify(message.cleanText);
  const suggestion = suggestFollowUp({
    label: result.label,
    confidence: result.confidence,
    sentiment: analysis.sentiment,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    churnRisk: result.churnRiskFlag,
    now,
    timezone,
  });
  const classification = {
    recordId: message.recordId,
    messageId: message.messageId,
    companyId: message.companyId,
    assigneeRepId: message.loggedByRepId,
    label: result.label,
    confidence: result.confidence,
    // The churn-risk signal rides along with the per-label scores under a key no label can have.
    scores: result.churnRisk === null ? result.scores : { ...result.scores, 'signal:churn_risk': result.churnRisk },
    sentiment: analysis.sentiment,
    entities: analysis.entities,
    modelVersion: classifier.version,
    language,
  };
  const item: NewClassification = { classification };
  // A mail filter's log-quietly rule: logged and classified, never a suggestion.
  if (suggestion && message.companyId && !message.pendingSuggestion && message.filter?.action !== 'log-quietly') {
    item.suggestion = {
      title: suggestion.text,
      dueAt: suggestion.dueAt,
      priority: suggestion.priority,
      reason: reasonFor(result.label, result.confidence, analysis, result.churnRiskFlag),
      defaultTarget: defaultTargetOf(message, deps),
    };
  }
  return { item, label: result.label };
}

/**
 * A message classified by an earlier run: makes sure the suggestion its label calls for exists
 * (unless the record has another pending one) and that its post is queued.
 */
export async function finishClassified(message: MessageToClassify, deps: PipelineDeps): Promise<ClassifyOutcome> {
  const classification = message.classification!;
  const label = classification.correctedLabel ?? classification.label;
  const companyId = message.companyId;
  const analysis = analyzeMessage(message.cleanText, classification.createdAt, deps.settings.timezone);
  const suggestion = suggestFollowUp({
    label,
    confidence: classification.confidence,
    sentiment: classification.sentiment,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    now: classification.createdAt,
    timezone: deps.settings.timezone,
  });
  if (!suggestion || !companyId || message.filter?.action === 'log-quietly')
    return { status: 'already-classified', label };

  let followUp = message.followUp;
  if (!followUp) {
    // One pending suggestion per conversation: a long thread should not flood the channel.
    if (message.pendingSuggestion) return { status: 'already-classified', label };
    followUp =
      (await insertSuggestionFor(
        deps.db.sql,
        classification.id,
        { companyId, recordId: message.recordId, assigneeRepId: message.loggedByRepId },
        {
          title: suggestion.text,
          dueAt: suggestion.dueAt,
          priority: suggestion.priority,
          reason: reasonFor(label, classification.confidence, analysis),
          defaultTarget: defaultTargetOf(message, deps),
        },
      )) ?? (await readSuggestionOf(deps.db.sql, classification.id));
    if (!followUp) return { status: 'already-classified', label }; // another suggestion became pending meanwhile
  }
  await queueSuggestions(deps, [followUp]);
  return { status: 'already-classified', label, suggestedFollowUpId: followUp.id };
}

function reasonFor(label: string, confidence: number, analysis: MessageAnalysis, churnRisk = false): string {
  const written =
    analysis.language === 'en' || analysis.language === 'und' ? '' : `, written in ${languageLabel(analysis.language)}`;
  return `Labelled ${label} (${confidenceWord(confidence)})${churnRisk ? ', churn risk' : ''}${written}${analysis.mentionedDate ? `, mentions ${analysis.mentionedDate.toISOString().slice(0, 10)}` : ''}.`;
}

/** Without a linked channel: the default channel of the mailbox the email came from, else the global one. */
function defaultTargetOf(message: MessageToClassify, deps: PipelineDeps): string {
  // A mail filter's route rule names the channel of the mail it matched.
  if (message.filter?.action === 'route' && message.filter.target) return message.filter.target;
  return (message.mailbox && deps.settings.mailboxChannels?.[message.mailbox]) || deps.settings.defaultTarget;
}

/** Queues the posts of new suggestions, in one Redis round trip; a duplicate job id is a no-op. */
export async function queueSuggestions(deps: PipelineDeps, followUps: readonly SuggestedFollowUpRow[]): Promise<void> {
  const jobs = followUps
    .filter((f) => f.status === 'suggested' && f.remindTarget)
    .map((f) => {
      const data: DeliverMessageData = {
        key: jobId('suggestion', f.id),
        kind: 'suggestion',
        target: f.remindTarget!,
        followUpId: f.id,
      };
      return { name: 'suggestion', data, opts: { jobId: data.key } };
    });
  if (jobs.length === 1) await deps.queues[QueueName.DeliverMessage].add(jobs[0].name, jobs[0].data, jobs[0].opts);
  else if (jobs.length > 1) await deps.queues[QueueName.DeliverMessage].addBulk(jobs);
}
