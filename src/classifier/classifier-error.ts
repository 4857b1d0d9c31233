/**
 * Why a classifier operation failed. Callers (CLI, jobs) switch on the code; the message is a
 * sentence a user can act on and never includes a stack trace.
 */
export type ClassifierErrorCode =
  | 'DATASET_EMPTY'
  | 'DATASET_MISSING_COLUMN'
  | 'DATASET_MALFORMED'
  | 'DATASET_ONE_LABEL'
  | 'DATASET_UNSEEN_LABELS'
  | 'TRAINING_SET_TOO_LARGE'
  | 'MODEL_INVALID'
  | 'MODEL_NOT_FOUND'
  | 'INVALID_ARGUMENT';

/** A classifier failure with a stable code and a user-facing sentence. */
export class ClassifierError extends Error {
  override readonly name = 'ClassifierError';
  constructor(
    readonly code: ClassifierErrorCode,
    message: string,
  ) {
    super(message);
  }
}
