import type { BusinessHours } from '../domain/business-hours.ts';
import { analyzeMessage, type MessageAnalysis } from '../classifier/entities.ts';
import type { Classifier } from '../classifier/classifier.ts';
import { confidenceWord } from '../classifier/confidence-words.ts';
import { languageLabel } from '../classifier/language-detector.ts';
import { inProcessReader, type MessageReading, type ReadMessages } from '../classifier/read-message.ts';
import { type FollowUpSuggestion, suggestFollowUp } from '../classifier/suggestion-rules.ts';
import {
  insertClassifications,
  insertSuggestionFor,
  readMessagesToClassify,
  readSuggestionOf,
  type MessageToClassify,
  type NewClassification,
  type SuggestedFollowUpRow,
} from '../db/classification.repository.ts';
import type { Database } from '../db/database.ts';
import { cachedDateTimeFormat, formatInZone } from '../domain/zoned-time.ts';

/** A message to label: the record it was logged in and the message itself. */
export interface MessageRef {
  recordId: string;
  messageId: string;
}

export interface ClassifyOutcome {
  status: 'classified' | 'already-classified' | 'gone' | 'outbound' | 'held';
  label?: string;
  suggestedFollowUpId?: string;
}

export interface ClassifyMessagesDeps {
  db: Database;
  /** The active model. */
  classifier(): Promise<Classifier>;
  /**
   * Reads the texts with the active model (language, entities, label): the CPU-bound half. Default: on
   * this thread with `classifier()`; role `all` reads on a worker thread (jobs/classifier-thread.ts).
   */
  readMessages?: ReadMessages;
  settings: {
    /** Zone for due dates read from the text and for business hours. */
    timezone: string;
    /** The team's business hours (config: RAPPORT_BUSINESS_HOURS/DAYS); default 09:00–17:00 Monday–Friday. */
    businessHours?: BusinessHours;
    /** Where suggestions go without a team channel. */
    defaultTarget: string;
    /** Per mailbox address, the default channel of customers first met in that mailbox. */
    mailboxChannels?: Record<string, string>;
  };
  /** Queues the posts of suggestions written (or found unposted); a suggestion queued twice must post once. */
  postSuggestions(followUps: readonly SuggestedFollowUpRow[]): Promise<void>;
}

/**
 * Labels messages with the active model, stores each Classification (one per record and message) and,
 * where the rule table says so, one suggested FollowUp per record, then hands the new suggestions to
 * `postSuggestions`. One message is an array of one. Many messages cost one read and one write
 * statement (ON CONFLICT DO NOTHING on the unique keys), so a rerun after a crash, or two runs at once,
 * finish what is missing and duplicate nothing. Throws when a statement or the queueing fails; the
 * outcomes are in the order of `messages`.
 */
export async function classifyMessages(
  messages: readonly MessageRef[],
  deps: ClassifyMessagesDeps,
): Promise<ClassifyOutcome[]> {
  const read = await readMessagesToClassify(
    deps.db.sql,
    messages.map((m) => m.messageId),
  );
  const outcomes: ClassifyOutcome[] = [];
  const planned: Array<{ index: number; item: NewClassification; label: string }> = [];
  // Reruns: classified before (a crash, a retry) or by a concurrent run; the message when already read.
  const reruns: Array<{ index: number; message?: MessageToClassify }> = [];
  const now = new Date();
  const toRead: Array<{ index: number; message: MessageToClassify }> = [];
  for (const [index, ref] of messages.entries()) {
    const message = read.get(ref.messageId);
    const skip = skipReason(message, ref.recordId);
    if (skip) outcomes[index] = { status: skip };
    else if (message!.classification) reruns.push({ index, message });
    else toRead.push({ index, message: message! });
  }
  if (toRead.length > 0) {
    const readMessages = deps.readMessages ?? inProcessReader(deps.classifier);
    const readings = await readMessages(
      toRead.map((r) => r.message.cleanText),
      {
        now,
        saidAt: toRead.map((r) => whenSaid(r.message, now)),
        timezone: deps.settings.timezone,
        businessHours: deps.settings.businessHours,
      },
    );
    for (const [k, { index, message }] of toRead.entries())
      planned.push({ index, ...planClassification(message, readings[k], deps, now) });
  }

  if (planned.length > 0) {
    const written = await insertClassifications(
      deps.db.sql,
      planned.map((p) => p.item),
      now,
    );
    await deps.postSuggestions([...written.values()].flatMap((w) => (w.followUp ? [w.followUp] : [])));
    for (const { index, item, label } of planned) {
      const mine = written.get(item.classification.messageId);
      if (mine) outcomes[index] = { status: 'classified', label, suggestedFollowUpId: mine.followUp?.id };
      else reruns.push({ index }); // a concurrent run classified it first: finish as a rerun on what it stored
    }
  }
  // Reruns are rare (a crash, a retry, a race): each on its own, on what the database holds now.
  for (const { index, message: known } of reruns) {
    const { recordId, messageId } = messages[index];
    const message = known ?? (await readMessagesToClassify(deps.db.sql, [messageId])).get(messageId);
    const skip = skipReason(message, recordId);
    outcomes[index] = skip ? { status: skip } : await finishClassified(message!, deps);
  }
  return outcomes;
}

/**
 * Why a message needs no classification: erased (or never committed), our own outbound words, or held
 * until its author is known (classified when that is decided and it is the customer's).
 */
function skipReason(
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
function planClassification(
  message: MessageToClassify,
  reading: MessageReading,
  deps: ClassifyMessagesDeps,
  now: Date,
): { item: NewClassification; label: string } {
  const timezone = deps.settings.timezone;
  const hours = deps.settings.businessHours;
  const { language, analysis, result } = reading;
  const suggestion = suggestFollowUp({
    label: result.label,
    confidence: result.confidence,
    sentiment: analysis.sentiment,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    churnRisk: result.churnRiskFlag,
    now: whenSaid(message, now),
    suggestedAt: now,
    timezone,
    businessHours: hours,
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
    modelVersion: reading.modelVersion,
    language,
  };
  const item: NewClassification = { classification };
  // A mail filter's log-quietly rule: logged and classified, never a suggestion.
  if (suggestion && message.companyId && !message.pendingSuggestion && message.filter?.action !== 'log-quietly') {
    item.suggestion = {
      title: suggestion.text,
      dueAt: suggestion.dueAt,
      priority: suggestion.priority,
      reason: reasonFor(result.label, result.confidence, analysis, suggestion, timezone, now, result.churnRiskFlag),
      defaultTarget: defaultTargetOf(message, deps),
    };
  }
  return { item, label: result.label };
}

/**
 * A message classified by an earlier run: makes sure the suggestion its label calls for exists
 * (unless the record has another pending one) and that its post is queued.
 */
async function finishClassified(message: MessageToClassify, deps: ClassifyMessagesDeps): Promise<ClassifyOutcome> {
  const classification = message.classification!;
  const label = classification.correctedLabel ?? classification.label;
  const companyId = message.companyId;
  const hours = deps.settings.businessHours;
  // The same reading and due date as the run that classified it: from when it was said, suggested then.
  const classifiedAt = classification.createdAt;
  const saidAt = whenSaid(message, classifiedAt);
  const analysis = analyzeMessage(message.cleanText, saidAt, deps.settings.timezone, undefined, hours);
  const suggestion = suggestFollowUp({
    label,
    confidence: classification.confidence,
    sentiment: classification.sentiment,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    now: saidAt,
    suggestedAt: classifiedAt,
    timezone: deps.settings.timezone,
    businessHours: hours,
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
          reason: reasonFor(
            label,
            classification.confidence,
            analysis,
            suggestion,
            deps.settings.timezone,
            classifiedAt,
          ),
          defaultTarget: defaultTargetOf(message, deps),
        },
      )) ?? (await readSuggestionOf(deps.db.sql, classification.id));
    if (!followUp) return { status: 'already-classified', label }; // another suggestion became pending meanwhile
  }
  await deps.postSuggestions([followUp]);
  return { status: 'already-classified', label, suggestedFollowUpId: followUp.id };
}

/**
 * When a message was said, the reference for the dates in it and its due date: its sentAt, or `now`
 * when that is in the future (a wrong clock in a mail's Date header). Mail fetched late, a call logged
 * days after it happened and an old Slack thread are read as of their own day.
 */
function whenSaid(message: MessageToClassify, now: Date): Date {
  return message.sentAt.getTime() <= now.getTime() ? message.sentAt : now;
}

/**
 * The sentence on the suggestion card: label, confidence, language, the date the message mentions (its
 * day in the team's zone) and, for a due date already past when suggested, what it was.
 */
function reasonFor(
  label: string,
  confidence: number,
  analysis: MessageAnalysis,
  suggestion: FollowUpSuggestion,
  timeZone: string,
  now: Date,
  churnRisk = false,
): string {
  const written =
    analysis.language === 'en' || analysis.language === 'und' ? '' : `, written in ${languageLabel(analysis.language)}`;
  const mentioned = analysis.mentionedDate ? `, mentions ${isoDayIn(analysis.mentionedDate, timeZone)}` : '';
  const past = suggestion.pastDueAt;
  const late = !past
    ? ''
    : past.getTime() === analysis.mentionedDate?.getTime()
      ? ` Asked for by ${formatInZone(past, timeZone, now)}, already past: due now.`
      : ` Due ${formatInZone(past, timeZone, now)} counting from when it was said, already past: due now.`;
  return `Labelled ${label} (${confidenceWord(confidence)})${churnRisk ? ', churn risk' : ''}${written}${mentioned}.${late}`;
}

/** The day of an instant in a timezone, as YYYY-MM-DD. */
function isoDayIn(at: Date, timeZone: string): string {
  return cachedDateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Without a team channel: the default channel of the mailbox the email came from, else the global one. */
function defaultTargetOf(message: MessageToClassify, deps: ClassifyMessagesDeps): string {
  // A mail filter's route rule names the channel of the mail it matched.
  if (message.filter?.action === 'route' && message.filter.target) return message.filter.target;
  return (message.mailbox && deps.settings.mailboxChannels?.[message.mailbox]) || deps.settings.defaultTarget;
}
