/** One message with its label: a seed example, an imported row or a user's correction. */
export interface LabeledExample {
  readonly text: string;
  readonly label: string;
  /**
   * What the example shares with others it must not be separated from in cross-validation: the
   * hand-written body of a synthetic variant, the customer or thread of a correction. Examples
   * without a group are each their own.
   */
  readonly group?: string;
  /**
   * A second signal next to the label: the message threatens to leave (see churn-risk-head.ts).
   * Unset means "as the label says" (`churn` = yes, anything else = no).
   */
  readonly churnRisk?: boolean;
  /** The language the data says it is in (a `language` column), when it says; evaluation detects it otherwise. */
  readonly language?: string;
}

/** The label given to a message that fits no label well enough (confidence below the model's threshold). */
export const UNCLASSIFIED = 'unclassified';
