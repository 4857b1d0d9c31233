import { createRequire } from 'node:module';
import type SVM from 'ml-svm';
import { RapportError } from '../../errors.ts';
import { seededRandom } from '../seeded-random.ts';
import { rowOf, type SparseMatrix, type SparseVector } from '../sparse-vector.ts';
import type { SvmBackend, SvmTrainOptions, TrainedSvm } from './svm-backend.ts';

/**
 * Largest training set the ml-svm backend accepts. ml-svm precomputes a dense N×N kernel as
 * nested JS arrays and runs simplified SMO over it once per class. Measured on this machine
 * (2 cores, 256 dense dims, RBF, CLINC150 text): 1,000 messages × 10 classes took 36 s, and time
 * grows faster than N² (synthetic: 0.8 s per class at N=1,000, 4 s at 2,000). Above 1,000 a
 * 7-label model would take minutes, which is what the linear backend is for.
 */
export const ML_SVM_MAX_TRAINING_SIZE = 1000;

/**
 * ml-svm and ml-matrix, loaded the first time a kernel model is trained or loaded: every
 * `rapport train` and classifier imports this module through the backend registry, and the
 * package took ~0.1 s of a linear `rapport train` process's start.
 */
let svmClass: typeof SVM | undefined;
function mlSvm(): typeof SVM {
  svmClass ??= createRequire(import.meta.url)('ml-svm') as typeof SVM;
  return svmClass;
}

/** Options of the ml-svm backend (kernel SVM). */
export interface MlSvmOptions extends SvmTrainOptions {
  /** ml-kernel name. Default `rbf`. */
  readonly kernel?: string;
  /** RBF width on L2-normalised vectors. Default `1`. */
  readonly sigma?: number;
  /** Sparse features are projected onto this many most frequent columns to make dense vectors. Default `256`. */
  readonly denseDimensions?: number;
  /** Refuse training sets larger than this. Default {@link ML_SVM_MAX_TRAINING_SIZE}. */
  readonly maxTrainingSize?: number;
}

interface MlSvmPayload {
  columns: number[];
  models: ReturnType<SVM['toJSON']>[];
}

function densify(x: SparseVector, position: Map<number, number>, size: number): number[] {
  const dense = new Array<number>(size).fill(0);
  for (let p = 0; p < x.indices.length; p++) {
    const at = position.get(x.indices[p]);
    if (at !== undefined) dense[at] = x.values[p];
  }
  return dense;
}

class MlSvmModel implements TrainedSvm {
  readonly backend = 'ml-svm' as const;
  private readonly position: Map<number, number>;
  private readonly svms: SVM[];
  constructor(private readonly payload: MlSvmPayload) {
    this.position = new Map(payload.columns.map((c, i) => [c, i]));
    this.svms = payload.models.map((m) => mlSvm().load(m));
  }
  get classCount(): number {
    return this.svms.length;
  }
  get shape(): Record<string, number> {
    return { classCount: this.classCount, denseDimensions: this.payload.columns.length };
  }
  decision(x: SparseVector, out = new Float64Array(this.classCount)): Float64Array {
    const dense = densify(x, this.position, this.payload.columns.length);
    for (let c = 0; c < this.svms.length; c++) out[c] = this.svms[c].marginOne(dense);
    return out;
  }
  serialize(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.payload));
  }
}

/** Kernel SVM (RBF by default) via the `ml-svm` package, one-vs-rest; for small training sets only. */
export const mlSvmBackend: SvmBackend & {
  train(data: SparseMatrix, classes: Int32Array, classCount: number, options?: MlSvmOptions): TrainedSvm;
} = {
  name: 'ml-svm',

  train(data, classes, classCount, options: MlSvmOptions = {}) {
    const limit = options.maxTrainingSize ?? ML_SVM_MAX_TRAINING_SIZE;
    if (data.rows > limit) {
      throw new RapportError(
        'invalid_input',
        `The ml-svm backend handles at most ${limit} training messages (it builds an N×N kernel); this set has ${data.rows}. Use --backend linear instead.`,
      );
    }
    const documentFrequency = new Int32Array(data.columns);
    for (let p = 0; p < data.indices.length; p++) documentFrequency[data.indices[p]]++;
    const columns = Array.from({ length: data.columns }, (_, i) => i)
      .sort((a, b) => documentFrequency[b] - documentFrequency[a] || a - b)
      .slice(0, options.denseDimensions ?? 256)
      .sort((a, b) => a - b);
    const position = new Map(columns.map((c, i) => [c, i]));
    const dense: number[][] = [];
    for (let r = 0; r < data.rows; r++) dense.push(densify(rowOf(data, r), position, columns.length));
    const models: MlSvmPayload['models'] = [];
    for (let c = 0; c < classCount; c++) {
      const svm = new (mlSvm())({
        C: options.C ?? 1,
        kernel: options.kernel ?? 'rbf',
        kernelOptions: { sigma: options.sigma ?? 1 },
        // Whitening divides by (max - min) per column and turns constant sparse columns into NaN.
        whitening: false,
        maxPasses: 5,
        random: seededRandom((options.seed ?? 1) * 7919 + c),
      });
      svm.train(
        dense,
        Array.from(classes, (k) => (k === c ? 1 : -1)),
      );
      const json = svm.toJSON();
      // Rows with a zero multiplier do not contribute to the margin; dropping them keeps the artifact small.
      const keep = json.alphas.map((a, i) => (a > 1e-9 ? i : -1)).filter((i) => i >= 0);
      models.push({
        ...json,
        X: keep.map((i) => json.X[i]),
        Y: keep.map((i) => json.Y[i]),
        alphas: keep.map((i) => json.alphas[i]),
      });
      options.onProgress?.((c + 1) / classCount);
    }
    return new MlSvmModel({ columns, models });
  },

  load(bytes) {
    try {
      return new MlSvmModel(JSON.parse(new TextDecoder().decode(bytes)) as MlSvmPayload);
    } catch {
      throw new RapportError('invalid_input', 'The ml-svm model weights are damaged; retrain the model.');
    }
  },
};
