import { ClassifierError } from '../classifier-error.js';
import { seededRandom, shuffleInPlace } from '../seeded-random.js';
import type { SparseMatrix, SparseVector } from '../sparse-vector.js';
import type { SvmBackend, SvmTrainOptions, TrainedSvm } from './svm-backend.js';

/** Options of the linear backend (LIBLINEAR's dual coordinate descent). */
export interface LinearSvmOptions extends SvmTrainOptions {
  /** `l2` = squared hinge (LIBLINEAR -s 1, like sklearn's LinearSVC), `l1` = hinge (-s 3). Default `l2`. */
  readonly loss?: 'l1' | 'l2';
  /** Stopping tolerance on the projected-gradient gap. Default `0.1` (LIBLINEAR's default). */
  readonly tolerance?: number;
  /** Maximum passes over the data per class. Default `1000`. */
  readonly maxIterations?: number;
  /** Value of the constant bias feature (its weight is regularised, as in LIBLINEAR `-B`). Default `1`. */
  readonly bias?: number;
}

/**
 * Trains one binary problem with dual coordinate descent and shrinking (Hsieh et al. 2008,
 * LIBLINEAR `solve_l2r_l1l2_svc`). `w` has `columns + 1` entries; the last is the bias weight.
 */
function solveBinary(data: SparseMatrix, y: Int8Array, squaredNorms: Float64Array, opts: Required<Omit<LinearSvmOptions, 'onProgress' | 'seed'>>, random: () => number): Float64Array {
  const { rowStart, indices, values, rows, columns } = data;
  const C = opts.C;
  const diag = opts.loss === 'l2' ? 0.5 / C : 0;
  const upper = opts.loss === 'l2' ? Infinity : C;
  const bias = opts.bias;
  const w = new Float64Array(columns + 1);
  const alpha = new Float64Array(rows);
  const qd = new Float64Array(rows);
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    qd[i] = diag + squaredNorms[i] + bias * bias;
    order[i] = i;
  }
  let active = rows;
  let pgMaxOld = Infinity;
  let pgMinOld = -Infinity;
  for (let iter = 0; iter < opts.maxIterations; iter++) {
    let pgMax = -Infinity;
    let pgMin = Infinity;
    shuffleInPlace(order.subarray(0, active), random);
    for (let s = 0; s < active; s++) {
      const i = order[s];
      const yi = y[i];
      const start = rowStart[i];
      const end = rowStart[i + 1];
      let dot = w[columns] * bias;
      for (let p = start; p < end; p++) dot += w[indices[p]] * values[p];
      const a = alpha[i];
      const g = yi * dot - 1 + a * diag;
      let pg = 0;
      if (a === 0) {
        if (g > pgMaxOld) {
          active--;
          order[s] = order[active];
          order[active] = i;
          s--;
          continue;
        } else if (g < 0) pg = g;
      } else if (a === upper) {
        if (g < pgMinOld) {
          active--;
          order[s] = order[active];
          order[active] = i;
          s--;
          continue;
        } else if (g > 0) pg = g;
      } else pg = g;
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (Math.abs(pg) > 1e-12) {
        const next = Math.min(Math.max(a - g / qd[i], 0), upper);
        const d = (next - a) * yi;
        alpha[i] = next;
        for (let p = start; p < end; p++) w[indices[p]] += d * values[p];
        w[columns] += d * bias;
      }
    }
    if (pgMax - pgMin <= opts.tolerance) {
      if (active === rows) break;
      active = rows;
      pgMaxOld = Infinity;
      pgMinOld = -Infinity;
      continue;
    }
    pgMaxOld = pgMax <= 0 ? Infinity : pgMax;
    pgMinOld = pgMin >= 0 ? -Infinity : pgMin;
  }
  return w;
}

/** A linear one-vs-rest model; weights stored feature-major so a prediction touches each feature's row once. */
class LinearSvm implements TrainedSvm {
  readonly backend = 'linear' as const;
  constructor(
    readonly classCount: number,
    readonly columns: number,
    private readonly weights: Float32Array,
    private readonly biases: Float32Array,
  ) {}

  get shape(): Record<string, number> {
    return { classCount: this.classCount, columns: this.columns };
  }

  decision(x: SparseVector, out = new Float64Array(this.classCount)): Float64Array {
    const k = this.classCount;
    const weights = this.weights;
    const biases = this.biases;
    for (let c = 0; c < k; c++) out[c] = biases[c];
    const { indices, values } = x;
    for (let p = 0; p < indices.length; p++) {
      const base = indices[p] * k;
      const v = values[p];
      for (let c = 0; c < k; c++) out[c] += v * weights[base + c];
    }
    return out;
  }

  serialize(): Uint8Array {
    const all = new Float32Array(this.weights.length + this.biases.length);
    all.set(this.weights);
    all.set(this.biases, this.weights.length);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }
}

/** Multi-class one-vs-rest linear SVM trained with dual coordinate descent on typed arrays. The default backend. */
export const linearSvmBackend: SvmBackend & { train(data: SparseMatrix, classes: Int32Array, classCount: number, options?: LinearSvmOptions): TrainedSvm } = {
  name: 'linear',

  train(data, classes, classCount, options: LinearSvmOptions = {}) {
    const opts = {
      C: options.C ?? 1,
      loss: options.loss ?? 'l2',
      tolerance: options.tolerance ?? 0.1,
      maxIterations: options.maxIterations ?? 1000,
      bias: options.bias ?? 1,
    } as const;
    const squaredNorms = new Float64Array(data.rows);
    for (let i = 0; i < data.rows; i++) {
      let s = 0;
      for (let p = data.rowStart[i]; p < data.rowStart[i + 1]; p++) s += data.values[p] * data.values[p];
      squaredNorms[i] = s;
    }
    const weights = new Float32Array(data.columns * classCount);
    const biases = new Float32Array(classCount);
    const y = new Int8Array(data.rows);
    for (let c = 0; c < classCount; c++) {
      for (let i = 0; i < data.rows; i++) y[i] = classes[i] === c ? 1 : -1;
      // A per-class seed keeps each binary problem reproducible regardless of class order.
      const w = solveBinary(data, y, squaredNorms, opts, seededRandom((options.seed ?? 1) * 7919 + c));
      for (let j = 0; j < data.columns; j++) weights[j * classCount + c] = w[j];
      biases[c] = w[data.columns] * opts.bias;
      options.onProgress?.((c + 1) / classCount);
    }
    return new LinearSvm(classCount, data.columns, weights, biases);
  },

  load(bytes, shape) {
    const classCount = Number(shape.classCount);
    const columns = Number(shape.columns);
    const expected = (columns + 1) * classCount * 4;
    if (!Number.isInteger(classCount) || !Number.isInteger(columns) || bytes.byteLength !== expected) {
      throw new ClassifierError('MODEL_INVALID', `The model weights are damaged (expected ${expected} bytes, found ${bytes.byteLength}); retrain the model.`);
    }
    // Zero-copy when the bytes are 4-byte aligned (they are when they came from serialize()).
    const copy = bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(bytes.slice().buffer);
    return new LinearSvm(classCount, columns, copy.subarray(0, columns * classCount), copy.subarray(columns * classCount));
  },
};
