/**
 * Preprocessing for training and prediction. Browser-safe (no Node imports).
 *
 * - `trim` (librosa.effects.trim) lives in src/dsp/trim.ts and is re-exported here;
 * - `padOrCrop`: fixed clip length (default 3 s, see docs/protocol.md);
 * - z-score normalisation per feature column, fitted on the TRAINING partition only
 *   (`fitZScore` / `ZScoreAccumulator`), applied with `applyZScore`, serialised with the model;
 * - `LabelEncoder`, `oneHot`, `classWeights` (sklearn's 'balanced').
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';

export { trim, type TrimOptions, type TrimResult } from '../dsp/trim.js';

/** The default clip length in seconds (the recipe's 3 s). */
export const DEFAULT_CLIP_SECONDS = 3;

/** Number of samples of a clip of `seconds` at `sr` (rounded). */
export function clipLength(sr: number, seconds = DEFAULT_CLIP_SECONDS): number {
  check(Number.isFinite(sr) && sr > 0, `sr must be positive, got ${sr}`);
  check(Number.isFinite(seconds) && seconds > 0, `clip seconds must be positive, got ${seconds}`);
  return Math.round(sr * seconds);
}

export interface PadOrCropOptions {
  /**
   * 'center' (default): a longer signal keeps its middle `length` samples (the extra is split,
   * the odd sample going to the end: start = floor((n − length) / 2)); a shorter one is zero-padded
   * on both sides (left = floor((length − n) / 2), the rest on the right).
   * 'start': keep the first `length` samples; pad with zeros at the end.
   */
  mode?: 'center' | 'start';
}

/**
 * Returns a new Float32Array of exactly `length` samples: `y` cropped or zero-padded (see
 * PadOrCropOptions). Also returns nothing else: use `padOrCropOffset` to know where the input
 * landed.
 */
export function padOrCrop(y: Float32Array, length: number, options: PadOrCropOptions = {}): Float32Array {
  check(Number.isInteger(length) && length >= 0, `length must be a non-negative integer, got ${length}`);
  const mode = options.mode ?? 'center';
  check(mode === 'center' || mode === 'start', `mode must be 'center' or 'start', got ${String(mode)}`);
  const n = y.length;
  const out = new Float32Array(length);
  if (n >= length) {
    const s = mode === 'center' ? Math.floor((n - length) / 2) : 0;
    out.set(y.subarray(s, s + length));
  } else {
    const left = mode === 'center' ? Math.floor((length - n) / 2) : 0;
    out.set(y, left);
  }
  return out;
}

/**
 * Offset of the input within padOrCrop's output: positive = zeros added before the input,
 * negative = samples cut from its start.
 */
export function padOrCropOffset(n: number, length: number, mode: 'center' | 'start' = 'center'): number {
  if (mode === 'start') return 0;
  return n >= length ? -Math.floor((n - length) / 2) : Math.floor((length - n) / 2);
}

// ---------------------------------------------------------------------------------------------
// z-score
// ---------------------------------------------------------------------------------------------

/** Per-feature-column statistics. `mean` and `std` have one entry per column. */
export interface ZScoreStats {
  mean: Float32Array;
  /** Population standard deviation (ddof = 0, like sklearn's StandardScaler); 0 is stored as 1. */
  std: Float32Array;
  /** Number of frames (rows) the statistics were computed from. */
  count: number;
}

/** Serialised form, for the model bundle. */
export interface ZScoreJSON {
  kind: 'zscore';
  count: number;
  mean: number[];
  std: number[];
}

/** Per-column mean and population variance in float64, with the number of frames. */
export interface Moments {
  count: number;
  mean: Float64Array;
  variance: Float64Array;
}

/** The std of a column; a (near-)constant column gets 1, as sklearn's StandardScaler does. */
export function safeStd(variance: number, mean: number): number {
  const s = Math.sqrt(Math.max(0, variance));
  return s > 1e-8 * Math.max(1, Math.abs(mean)) ? s : 1;
}

/**
 * Column means (into bm) and sums of squared deviations (into bM2, two-pass) of rows [a, b) of a
 * row-major matrix with c columns. Returns the flat index of the first non-finite value met in the
 * second pass, or −1. A function of its own so that it is optimised as a whole: a stream calls it
 * once per hop, and loops inside the caller ran in on-stack-replaced code that V8 de-optimised on
 * every exit.
 */
function blockMoments(d: Float32Array, a: number, b: number, c: number, bm: Float64Array, bM2: Float64Array): number {
  const rows = b - a;
  for (let r = a; r < b; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) bm[j] += d[o + j];
  }
  for (let j = 0; j < c; j++) bm[j] /= rows;
  for (let r = a; r < b; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const v = d[o + j];
      if (!Number.isFinite(v)) return o + j;
      const dv = v - bm[j];
      bM2[j] += dv * dv;
    }
  }
  return -1;
}

/**
 * Streaming per-column mean and variance over the rows (frames) of any number of matrices, in
 * float64. Each matrix is reduced with a two-pass mean/M2 and merged with Chan et al.'s parallel
 * update (the batch form of Welford's algorithm), so large offsets and millions of frames stay
 * accurate and memory is O(columns). `label` prefixes its error messages.
 */
export class ZScoreAccumulator {
  protected n = 0;
  private mu: Float64Array | null = null;
  private m2: Float64Array | null = null;
  private c: number;

  /** `cols` (optional) fixes the number of feature columns up front. */
  constructor(cols?: number, protected readonly label = 'z-score') {
    this.c = cols ?? -1;
    if (cols !== undefined) {
      check(Number.isInteger(cols) && cols > 0, `${label}: cols must be a positive integer, got ${cols}`);
      this.mu = new Float64Array(cols);
      this.m2 = new Float64Array(cols);
    }
  }

  /** Frames added so far. */
  get count(): number {
    return this.n;
  }

  /** Columns (−1 before the first matrix when not given to the constructor). */
  get cols(): number {
    return this.c;
  }

  private init(cols: number): void {
    this.c = cols;
    this.mu = new Float64Array(cols);
    this.m2 = new Float64Array(cols);
  }

  /** Chan's merge of a block (count nb, mean bm, M2 bM2) into the running moments. */
  private mergeBlock(nb: number, bm: ArrayLike<number>, bM2: ArrayLike<number>): void {
    const na = this.n;
    const nt = na + nb;
    const mu = this.mu!;
    const m2 = this.m2!;
    for (let j = 0; j < this.c; j++) {
      const delta = bm[j] - mu[j];
      mu[j] += (delta * nb) / nt;
      m2[j] += bM2[j] + (delta * delta * na * nb) / nt;
    }
    this.n = nt;
  }

  /** Adds every row of `m` (shape (n_frames, n_features)); rows [from, to) only when given. */
  add(m: Matrix, from = 0, to = m.rows): this {
    if (this.c < 0) this.init(m.cols);
    if (m.cols !== this.c) throw new SerError('EPARAM', `${this.label}: matrix has ${m.cols} columns, expected ${this.c}`);
    const a = Math.max(0, from);
    const b = Math.min(m.rows, to);
    const rows = b - a;
    if (rows <= 0) return this;
    const c = this.c;
    const bm = new Float64Array(c);
    const bM2 = new Float64Array(c);
    const bad = blockMoments(m.data, a, b, c, bm, bM2);
    if (bad >= 0) {
      throw new SerError('ENONFINITE', `${this.label}: non-finite feature value at row ${Math.floor(bad / c)}, column ${bad % c}`);
    }
    this.mergeBlock(rows, bm, bM2);
    return this;
  }

  /** Merges another accumulator's frames into this one. */
  merge(other: ZScoreAccumulator): this {
    const o = other.moments();
    if (o.count === 0) return this;
    if (this.c < 0) this.init(o.mean.length);
    if (o.mean.length !== this.c) throw new SerError('EPARAM', `${this.label}: cannot merge ${o.mean.length} columns into ${this.c}`);
    const bM2 = new Float64Array(this.c);
    for (let j = 0; j < this.c; j++) bM2[j] = o.variance[j] * o.count;
    this.mergeBlock(o.count, o.mean, bM2);
    return this;
  }

  /** Mean and population variance so far (copies; zero-length arrays before the first frame). */
  moments(): Moments {
    const c = Math.max(0, this.c);
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    if (this.n > 0) {
      for (let j = 0; j < c; j++) {
        mean[j] = this.mu![j];
        variance[j] = this.m2![j] / this.n;
      }
    }
    return { count: this.n, mean, variance };
  }

  /** The statistics so far. Throws SerError('EDATA') when no frame was added. */
  finish(): ZScoreStats {
    if (this.n === 0) throw new SerError('EDATA', 'z-score: no frames to fit the statistics on');
    return momentsToStats(this.moments());
  }
}

/** z-score statistics (float32 mean, std with the constant-column floor) of float64 moments. */
export function momentsToStats(m: Moments): ZScoreStats {
  const c = m.mean.length;
  const mean = new Float32Array(c);
  const std = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    mean[j] = m.mean[j];
    std[j] = safeStd(m.variance[j], m.mean[j]);
  }
  return { mean, std, count: m.count };
}

/**
 * Fits per-column z-score statistics over all frames of `matrices` (each (n_frames, n_features)).
 * Pass the TRAINING partition only: validation and test data must never influence them.
 */
export function fitZScore(matrices: Iterable<Matrix>): ZScoreStats {
  const acc = new ZScoreAccumulator();
  for (const m of matrices) acc.add(m);
  return acc.finish();
}

/** (m − mean) / std per column; returns a new matrix of the same shape (n_frames, n_features). */
export function applyZScore(m: Matrix, stats: ZScoreStats): Matrix {
  check(m.cols === stats.mean.length, `z-score: matrix has ${m.cols} columns, statistics have ${stats.mean.length}`);
  const out = new Float32Array(m.data.length);
  const c = m.cols;
  for (let r = 0; r < m.rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) out[o + j] = (m.data[o + j] - stats.mean[j]) / stats.std[j];
  }
  return { rows: m.rows, cols: c, data: out };
}

export function zscoreToJSON(stats: ZScoreStats): ZScoreJSON {
  return { kind: 'zscore', count: stats.count, mean: Array.from(stats.mean), std: Array.from(stats.std) };
}

/** Validates and reads serialised statistics; throws SerError('EMODEL') when malformed. */
export function zscoreFromJSON(json: unknown): ZScoreStats {
  const j = json as Partial<ZScoreJSON> | null;
  const bad = (why: string) => new SerError('EMODEL', `z-score statistics: ${why}`);
  if (!j || typeof j !== 'object' || j.kind !== 'zscore') throw bad("missing or not of kind 'zscore'");
  if (!Array.isArray(j.mean) || !Array.isArray(j.std)) throw bad('mean and std must be arrays');
  if (j.mean.length !== j.std.length || j.mean.length === 0) throw bad('mean and std must have the same non-zero length');
  if (!j.mean.every((v) => typeof v === 'number' && Number.isFinite(v))) throw bad('mean has a non-finite value');
  if (!j.std.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) throw bad('std values must be finite and > 0');
  const count = typeof j.count === 'number' && j.count >= 0 ? j.count : 0;
  return { mean: Float32Array.from(j.mean), std: Float32Array.from(j.std), count };
}

// ---------------------------------------------------------------------------------------------
// labels
// ---------------------------------------------------------------------------------------------

/** Maps class names to indices 0..k−1 in the order given (no sorting). */
export class LabelEncoder<L extends string = string> {
  readonly classes: readonly L[];
  private readonly index: Map<L, number>;

  constructor(classes: readonly L[]) {
    check(classes.length > 0, 'LabelEncoder: no classes');
    this.index = new Map();
    classes.forEach((c, i) => {
      if (this.index.has(c)) throw new SerError('EPARAM', `LabelEncoder: class '${c}' listed twice`);
      this.index.set(c, i);
    });
    this.classes = Object.freeze([...classes]);
  }

  get size(): number {
    return this.classes.length;
  }

  /** Index of `label`; throws SerError('EDATA') for a label that is not a class. */
  encode(label: L | string): number {
    const i = this.index.get(label as L);
    if (i === undefined) throw new SerError('EDATA', `label '${label}' is not one of the classes (${this.classes.join(', ')})`);
    return i;
  }

  encodeAll(labels: readonly (L | string)[]): Int32Array {
    const out = new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) out[i] = this.encode(labels[i]);
    return out;
  }

  decode(i: number): L {
    check(Number.isInteger(i) && i >= 0 && i < this.classes.length, `class index ${i} out of range 0..${this.classes.length - 1}`);
    return this.classes[i];
  }

  toJSON(): { kind: 'labels'; classes: L[] } {
    return { kind: 'labels', classes: [...this.classes] };
  }

  static fromJSON<L extends string = string>(json: unknown): LabelEncoder<L> {
    const j = json as { kind?: string; classes?: unknown } | null;
    if (!j || j.kind !== 'labels' || !Array.isArray(j.classes) || !j.classes.every((c) => typeof c === 'string')) {
      throw new SerError('EMODEL', "label encoder: expected {kind: 'labels', classes: string[]}");
    }
    return new LabelEncoder<L>(j.classes as L[]);
  }
}

/**
 * One-hot rows: returns shape (n, k), row i has a 1 in column indices[i]. Throws SerError('EPARAM')
 * for an index outside 0..k−1.
 */
export function oneHot(indices: ArrayLike<number>, k: number): Matrix {
  check(Number.isInteger(k) && k > 0, `oneHot: k must be a positive integer, got ${k}`);
  const n = indices.length;
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = indices[i];
    check(Number.isInteger(c) && c >= 0 && c < k, `oneHot: index ${c} at position ${i} is outside 0..${k - 1}`);
    data[i * k + c] = 1;
  }
  return { rows: n, cols: k, data };
}

/**
 * sklearn's `compute_class_weight('balanced')`: weight_c = n / (k · count_c), aligned with
 * `classes`. Throws SerError('EDATA') when a class has no sample (sklearn refuses too) or a label
 * is not among the classes.
 */
export function classWeights<L extends string>(labels: readonly L[], classes: readonly L[]): number[] {
  check(classes.length > 0, 'classWeights: no classes');
  const counts = new Map<L, number>(classes.map((c) => [c, 0]));
  for (const l of labels) {
    const c = counts.get(l);
    if (c === undefined) throw new SerError('EDATA', `classWeights: label '${l}' is not one of the classes (${classes.join(', ')})`);
    counts.set(l, c + 1);
  }
  const n = labels.length;
  const k = classes.length;
  return classes.map((c) => {
    const cnt = counts.get(c)!;
    if (cnt === 0) throw new SerError('EDATA', `classWeights: class '${c}' has no training sample`);
    return n / (k * cnt);
  });
}
