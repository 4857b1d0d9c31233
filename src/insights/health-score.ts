/** One reason a customer's churn risk is what it is, with the records behind it. */
export interface RiskReason {
  /** Machine name: `churn-label`, `issue-label`, `sentiment-drop`, `negative-sentiment`, `unanswered`, `overdue`, `silence`. */
  code: string;
  /** Points this reason adds to the risk (0..100 in all). */
  points: number;
  /** The reason in words, with its figures. */
  text: string;
  /** Conversations (record ids) or follow-up numbers behind it, to open and check. */
  recordIds?: string[];
  followUpNumbers?: number[];
  messageIds?: string[];
}

/** What the score reads about one customer (see customerSignals in src/db/insights.repository.ts). */
export interface HealthInputs {
  churnMessages: number;
  churnRecords: string[];
  issueMessages: number;
  issueRecords: string[];
  sentimentEarlier: number | null;
  sentimentEarlierN: number;
  sentimentLater: number | null;
  sentimentLaterN: number;
  /** The customer's turns waiting longer than the response target, oldest first. */
  unanswered: { messageId: string; recordId: string }[];
  overdueFollowUps: number[];
  /**
   * The customer's last message or logged call within SILENCE_HORIZON_DAYS before the end of the period
   * (whatever the period's length), and the days from it to the end; null: none in the horizon.
   */
  lastContactAt: Date | null;
  daysSilent: number | null;
}

/** A customer's churn risk 0..100 (higher is worse), health = 100 - risk, and every reason. */
export interface HealthScore {
  risk: number;
  health: number;
  atRisk: boolean;
  reasons: RiskReason[];
}

/** Risk at or above which a customer is on the at-risk list. */
export const AT_RISK_THRESHOLD = 40;

/**
 * How far back silence is measured from, in days before the end of the period, whatever the period:
 * a customer whose last message or logged call is older than this is not scored (nothing recent to
 * judge), one with a contact inside it and none for `RISK_WEIGHTS.silenceDays` is silent.
 */
export const SILENCE_HORIZON_DAYS = 180;

/**
 * Fewest messages with a sentiment in the later half of the period before their mean can make the
 * "recent messages are negative" reason: one cross message is not a mood (review: +10 from one message).
 */
export const NEGATIVE_SENTIMENT_MIN_MESSAGES = 3;

/** Weights and caps of each reason; README "Insights" prints this table. */
export const RISK_WEIGHTS = {
  churnPerMessage: 30,
  churnCap: 45,
  issuePerMessage: 8,
  issueCap: 24,
  /** Per 0.1 fall of mean sentiment from the earlier to the later half of the period (both halves ≥ 2 messages). */
  sentimentDropPerTenth: 4,
  sentimentDropCap: 20,
  /** Mean sentiment of the later half below this (over NEGATIVE_SENTIMENT_MIN_MESSAGES or more) adds `negativeSentimentPoints`. */
  negativeSentimentBelow: -0.2,
  negativeSentimentPoints: 10,
  unansweredPerTurn: 7,
  unansweredCap: 21,
  overduePerFollowUp: 6,
  overdueCap: 18,
  /** A customer whose last contact (within SILENCE_HORIZON_DAYS) is this many days old or more, however long ago. */
  silenceDays: 14,
  silencePoints: 15,
} as const;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// Spelled here: ICU's en-GB short September became "Sept" in some Node builds.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2 Oct 2026" (UTC): the day of a customer's last contact, as the silence reason and the insights card say it. */
export function contactDate(at: Date): string {
  return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
}

/**
 * Scores one customer's churn risk from what is stored: churn- and issue-labelled messages, a fall
 * in sentiment, customer turns left unanswered past the target, overdue follow-ups and a customer
 * gone silent. Each part is capped and listed as a reason with the records behind it.
 */
export function scoreHealth(input: HealthInputs): HealthScore {
  const w = RISK_WEIGHTS;
  const reasons: RiskReason[] = [];
  if (input.churnMessages > 0)
    reasons.push({
      code: 'churn-label',
      points: Math.min(w.churnCap, input.churnMessages * w.churnPerMessage),
      text: `${plural(input.churnMessages, 'message')} labelled churn (talk of cancelling or leaving)`,
      recordIds: input.churnRecords,
    });
  if (input.issueMessages > 0)
    reasons.push({
      code: 'issue-label',
      points: Math.min(w.issueCap, input.issueMessages * w.issuePerMessage),
      text: `${plural(input.issueMessages, 'message')} labelled issue`,
      recordIds: input.issueRecords,
    });
  if (
    input.sentimentEarlier !== null &&
    input.sentimentLater !== null &&
    input.sentimentEarlierN >= 2 &&
    input.sentimentLaterN >= 2 &&
    input.sentimentLater < input.sentimentEarlier
  ) {
    const drop = input.sentimentEarlier - input.sentimentLater;
    const points = Math.min(w.sentimentDropCap, Math.floor(drop * 10 + 1e-9) * w.sentimentDropPerTenth);
    if (points > 0)
      reasons.push({
        code: 'sentiment-drop',
        points,
        text: `sentiment fell from ${input.sentimentEarlier.toFixed(2)} (${plural(input.sentimentEarlierN, 'message')}, earlier half of the period) to ${input.sentimentLater.toFixed(2)} (${plural(input.sentimentLaterN, 'message')}, later half)`,
      });
  }
  if (
    input.sentimentLater !== null &&
    input.sentimentLaterN >= NEGATIVE_SENTIMENT_MIN_MESSAGES &&
    input.sentimentLater < w.negativeSentimentBelow
  )
    reasons.push({
      code: 'negative-sentiment',
      points: w.negativeSentimentPoints,
      text: `recent messages are negative (mean sentiment ${input.sentimentLater.toFixed(2)} over ${plural(input.sentimentLaterN, 'message')})`,
    });
  if (input.unanswered.length > 0)
    reasons.push({
      code: 'unanswered',
      points: Math.min(w.unansweredCap, input.unanswered.length * w.unansweredPerTurn),
      text: `${plural(input.unanswered.length, 'message')} waiting for a reply past the response target`,
      recordIds: [...new Set(input.unanswered.map((u) => u.recordId))],
      messageIds: input.unanswered.map((u) => u.messageId),
    });
  if (input.overdueFollowUps.length > 0)
    reasons.push({
      code: 'overdue',
      points: Math.min(w.overdueCap, input.overdueFollowUps.length * w.overduePerFollowUp),
      text: `${plural(input.overdueFollowUps.length, 'overdue follow-up')} (#${input.overdueFollowUps.join(', #')})`,
      followUpNumbers: input.overdueFollowUps,
    });
  if (input.lastContactAt && input.daysSilent !== null && input.daysSilent >= w.silenceDays)
    reasons.push({
      code: 'silence',
      points: w.silencePoints,
      text: `no contact since ${contactDate(input.lastContactAt)}: no message or logged call for ${Math.floor(input.daysSilent)} days`,
    });
  reasons.sort((a, b) => b.points - a.points);
  const risk = Math.min(
    100,
    reasons.reduce((s, r) => s + r.points, 0),
  );
  return { risk, health: 100 - risk, atRisk: risk >= AT_RISK_THRESHOLD, reasons };
}
