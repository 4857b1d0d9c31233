/**
 * English sentiment adjustments on top of wink-nlp's lexicon score, for what a word lexicon cannot
 * see: sarcasm (a glowing word wrapped around a problem: "Well this is just wonderful, the app
 * logged me out" scored +0.81) and a few negations wink reads backwards ("nothing works" +0.6,
 * "never been happier" 0). Rules, not a model: they are few, each is tested with hand-written
 * examples (test/unit/classifier/sentiment-en.test.ts and the hard evaluation set), and they only
 * move a score when a pattern is unmistakable.
 */

/** Praise at the start of a message or clause, the usual shape of sarcasm in support messages. */
const SARCASTIC_OPENER =
  /(?:^|[.!?;]\s*|\b(?:well|oh|wow|just|so|really|yeah|great|how)\b[\s,]*)(?:(?:this|that|it)(?:'s| is)\s+)?(?:just\s+|really\s+|absolutely\s+|so\s+)?(?:great|wonderful|fantastic|perfect|brilliant|awesome|amazing|lovely|nice(?: job| work| one)?|fantastic work|impressive|super|terrific|marvell?ous|splendid)\b/i;

/** Phrases that are sarcastic on their own. */
const ALWAYS_SARCASTIC =
  /\b(?:thanks for nothing|thank you for nothing|yeah,? right|as if|what a surprise|big surprise|love (?:how|that|it when) (?:\w+ ){0,6}(?:again|every|always|never|keeps?|deletes?|breaks?|crash\w*|fails?|lost|loses)|so glad I (?:spent|wasted|had to|lost)|really impressive how|only took (?:you )?\w+ (?:days|weeks|months))\b/i;

/** A problem in the same message: what sarcastic praise is really about. */
const PROBLEM =
  /\b(?:again|broke|broken|breaks?|break|crash(?:ed|es|ing)?|down|fail(?:ed|s|ing|ure)?|errors?|bugs?|outages?|lost|loses?|delet(?:ed|es|ing)|missing|wrong|empty|stuck|slow|logged (?:me|us) out|charged twice|double[- ]charged|overcharged|still open|no answer|not answer\w*|ignor\w+|useless|unusable|timed? ?out|freez\w*|re-?enter\w*|third time|fourth time|every (?:single )?(?:time|week|day))\b/i;

/** Words that say the problem is over: praise next to them is sincere ("thanks for fixing it"). */
const RESOLVED =
  /\b(?:fix(?:ed|ing)|solved|resolved|works? (?:now|again|great|perfectly)|working (?:now|again)|back up|sorted(?: out)?|thank(?:s| you) (?:so much )?for (?:fixing|the fix|solving|sorting|resolving|the quick|the fast))\b/i;

/** Negations wink scores the wrong way. */
const NEGATIVE_NEGATIONS =
  /\b(?:nothing (?:works|is working|loads|syncs)|none of (?:it|this|them) works?|no longer (?:works|working))\b/i;
const POSITIVE_NEGATIONS =
  /\b(?:never been (?:happier|better)|could(?:n't| not) be (?:happier|better)|can't complain|no complaints)\b/i;

/** Strength given to a sarcastic message: at least this negative, stronger when the praise was stronger. */
const SARCASM_FLOOR = 0.4;

/**
 * Adjusts wink's English sentiment score (-1..1) for sarcasm and the negations it misreads.
 * Returns `score` unchanged when no rule applies.
 */
export function adjustEnglishSentiment(text: string, score: number): number {
  if (NEGATIVE_NEGATIONS.test(text)) return Math.min(score, -0.5);
  if (POSITIVE_NEGATIONS.test(text)) return Math.max(score, 0.5);
  // "Yeah right, 'fixed'" is sarcasm about a fix; otherwise a fix makes the praise sincere.
  const sarcastic =
    ALWAYS_SARCASTIC.test(text) || (!RESOLVED.test(text) && SARCASTIC_OPENER.test(text) && PROBLEM.test(text));
  if (!sarcastic) return score;
  return -Math.max(SARCASM_FLOOR, Math.abs(score));
}
