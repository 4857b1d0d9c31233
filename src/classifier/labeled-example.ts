/** One message with its label: a seed example, an imported row or a user's correction. */
export interface LabeledExample {
  readonly text: string;
  readonly label: string;
  /** The language the data says it is in (a `language` column), when it says; evaluation detects it otherwise. */
  readonly language?: string;
}

/** The label given to a message that fits no label well enough (confidence below the model's threshold). */
export const UNCLASSIFIED = 'unclassified';
