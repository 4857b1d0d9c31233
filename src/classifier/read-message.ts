import type { BusinessHours } from '../domain/business-hours.ts';
import type { Classification, Classifier } from './classifier.ts';
import { analyzeMessage, type MessageAnalysis } from './entities.ts';
import { detectLanguage } from './language-detector.ts';

/** What the classify use case reads from a message's text: its language, entities, sentiment, date and label. */
export interface MessageReading {
  language: string;
  analysis: MessageAnalysis;
  result: Classification;
  /** The model version that labelled it. */
  modelVersion: string;
}

/** Where and when a batch of messages is read: fixed per process (zone, business hours) and per batch (now). */
export interface ReadingContext {
  /** When the batch is read: the reference for dates in a text without its own `saidAt`. */
  now: Date;
  /**
   * Per text, in the same order, when it was said: "tomorrow 3pm" in a call logged on Monday as last
   * Thursday's is Friday. Default (and for a missing entry): `now`.
   */
  saidAt?: readonly (Date | undefined)[];
  /** Zone for dates read from the text. */
  timezone: string;
  /** The team's business hours, for due dates such as "by end of day". */
  businessHours?: BusinessHours;
}

/**
 * Reads many messages with the active model, in order. The CPU-bound half of classification (language
 * detection, wink-nlp, chrono-node, the SVM): the in-process reader runs it on the caller's thread,
 * jobs/classifier-thread.ts on a worker thread.
 */
export type ReadMessages = (texts: readonly string[], ctx: ReadingContext) => Promise<MessageReading[]>;

/** Reads one message (dates in it from `saidAt`, default `ctx.now`): pure CPU work, no I/O. */
export function readMessage(
  classifier: Classifier,
  text: string,
  ctx: ReadingContext,
  saidAt: Date = ctx.now,
): MessageReading {
  const language = detectLanguage(text);
  const analysis = analyzeMessage(text, saidAt, ctx.timezone, language, ctx.businessHours);
  return { language, analysis, result: classifier.classify(text), modelVersion: classifier.version };
}

/**
 * The reader on the caller's own thread. Classifying is CPU work on the process's only thread: it lets
 * waiting HTTP requests (Slack needs its ack within 3 s) through between messages rather than after
 * the whole batch.
 */
export function inProcessReader(classifier: () => Promise<Classifier>): ReadMessages {
  return async (texts, ctx) => {
    const model = await classifier();
    const readings: MessageReading[] = [];
    for (const [i, text] of texts.entries()) {
      if (readings.length > 0) await new Promise((resolve) => setImmediate(resolve));
      readings.push(readMessage(model, text, ctx, ctx.saidAt?.[i]));
    }
    return readings;
  };
}
