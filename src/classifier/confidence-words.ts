/** How sure the classifier is, in the word a card shows. */
export type ConfidenceWord = 'likely' | 'unsure';

/**
 * Calibrated confidence from which a label reads "likely". Confidences are calibrated on held-out
 * messages (cross-fitted on the default model's held-out set, 10-bin ECE 0.05 against a 0.045
 * noise floor for 280 messages), so a "likely" label is right at least about three times in four;
 * test/unit/classifier/calibration.test.ts checks that on messages the calibration did not see.
 */
export const LIKELY_FROM = 0.75;

/**
 * The word for a calibrated confidence: "likely" from {@link LIKELY_FROM}, else "unsure". A word
 * rather than a percentage: with a few hundred calibration messages a percentage claims a
 * precision the calibration does not have ("issue (100%)" was right 93% of the time).
 */
export function confidenceWord(confidence: number): ConfidenceWord {
  return confidence >= LIKELY_FROM ? 'likely' : 'unsure';
}
