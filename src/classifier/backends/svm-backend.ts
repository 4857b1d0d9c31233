import type { SparseMatrix, SparseVector } from '../sparse-vector.ts';

/** The SVM implementations a model can be trained with. */
export type SvmBackendName = 'linear' | 'ml-svm';

/** Options every backend understands; backend-specific ones are documented on each backend. */
export interface SvmTrainOptions {
  /** Regularisation: larger fits the training data harder. Default `1`. */
  readonly C?: number;
  /** Seed for the shuffling / sampling inside the solver; same seed and data give the same model. Default `1`. */
  readonly seed?: number;
  /** Called with a fraction 0..1 while training, for progress output on long runs. */
  readonly onProgress?: (fraction: number) => void;
}

/** A trained one-vs-rest SVM: one margin per class. */
export interface TrainedSvm {
  readonly backend: SvmBackendName;
  readonly classCount: number;
  /** One-vs-rest margins (decision values), one per class, written into `out` when given. */
  decision(x: SparseVector, out?: Float64Array): Float64Array;
  /** {@link TrainedSvm.decision} of one row of a matrix without a view of it (the batch path), where a backend has it. */
  decisionRow?(matrix: SparseMatrix, row: number, out?: Float64Array): Float64Array;
  /** Weights as bytes (maps onto the `Model.weights` Bytes column). */
  serialize(): Uint8Array;
  /** Small JSON-able shape information needed by {@link SvmBackend.load} next to the bytes. */
  readonly shape: Record<string, number | string>;
}

/** One SVM backend: trains on a sparse matrix with class ids `0..classCount-1` and reloads its bytes. */
export interface SvmBackend {
  readonly name: SvmBackendName;
  train(data: SparseMatrix, classes: Int32Array, classCount: number, options?: SvmTrainOptions): TrainedSvm;
  load(bytes: Uint8Array, shape: Record<string, number | string>): TrainedSvm;
}
