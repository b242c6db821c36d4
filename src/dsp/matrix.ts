/**
 * A dense row-major float32 matrix: element (r, c) is `data[r * cols + c]`.
 *
 * Convention used throughout the project: time-varying features are **frame-major**,
 * `rows = n_frames`, `cols = n_features` — the transpose of librosa's `(n_features, n_frames)`.
 * Frame-major suits streaming (append a frame = append a row) and the model's input
 * `[frames, features]`.
 */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  if (data && data.length !== rows * cols) throw new RangeError(`matrix: data length ${data.length} != ${rows}x${cols}`);
  return { rows, cols, data: data ?? new Float32Array(rows * cols) };
}

/** Transpose (returns a new matrix). */
export function transpose(m: Matrix): Matrix {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[c * m.rows + r] = m.data[r * m.cols + c];
  return { rows: m.cols, cols: m.rows, data: out };
}

/** Row-major nested arrays (e.g. librosa's JSON `data`) → Matrix. */
export function fromNested(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const r = rows.length;
  const c = r ? rows[0].length : 0;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = rows[i][j];
  return { rows: r, cols: c, data: out };
}

/** Matrix → nested arrays, row by row. */
export function toNested(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}
