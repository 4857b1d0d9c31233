/**
 * An L2-normalised sparse feature vector: `indices` ascending, `values` aligned with them.
 * Typed arrays keep a vector at ~8 bytes per non-zero feature and make dot products cheap.
 */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** Rows of sparse vectors packed into one compressed-sparse-row block, as the solvers want them. */
export interface SparseMatrix {
  /** `rowStart[i]..rowStart[i+1]` are row i's entries; length is rows + 1. */
  readonly rowStart: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

/** Packs vectors into a CSR matrix with `columns` columns. */
export function toSparseMatrix(vectors: readonly SparseVector[], columns: number): SparseMatrix {
  let nonZeros = 0;
  for (const v of vectors) nonZeros += v.indices.length;
  const rowStart = new Int32Array(vectors.length + 1);
  const indices = new Int32Array(nonZeros);
  const values = new Float32Array(nonZeros);
  let at = 0;
  vectors.forEach((v, row) => {
    indices.set(v.indices, at);
    values.set(v.values, at);
    at += v.indices.length;
    rowStart[row + 1] = at;
  });
  return { rowStart, indices, values, rows: vectors.length, columns };
}

/** Selects rows of a CSR matrix (used by cross-validation folds). */
export function selectRows(matrix: SparseMatrix, rows: ArrayLike<number>): SparseMatrix {
  const vectors: SparseVector[] = [];
  for (let r = 0; r < rows.length; r++) vectors.push(rowOf(matrix, rows[r]));
  return toSparseMatrix(vectors, matrix.columns);
}

/** A view of one row as a sparse vector (no copy). */
export function rowOf(matrix: SparseMatrix, row: number): SparseVector {
  const start = matrix.rowStart[row];
  const end = matrix.rowStart[row + 1];
  return { indices: matrix.indices.subarray(start, end), values: matrix.values.subarray(start, end) };
}
