/**
 * Decibel conversion, librosa.power_to_db / db_to_power (0.11). Browser-safe.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { wasmPowerToDb } from '../dsp/stft-wasm.js';

export interface PowerToDbOptions {
  /**
   * Reference power: a number (librosa's scalar ref, |ref| is used), or a function of the input
   * returning one (e.g. {@link maxOf} for librosa's `ref=np.max`). Default 1.
   */
  ref?: number | ((S: Matrix) => number);
  /** Floor applied to S and ref before the logarithm, > 0. Default 1e-10. */
  amin?: number;
  /**
   * Dynamic range in dB below the maximum of the WHOLE output (not per frame) under which values
   * are clipped, ≥ 0; null disables clipping. Default 80.
   */
  top_db?: number | null;
}

/** Largest value of a matrix (librosa's `ref=np.max`). */
export function maxOf(S: Matrix): number {
  let m = -Infinity;
  const d = S.data;
  for (let i = 0; i < d.length; i++) if (d[i] > m) m = d[i];
  return m;
}

/**
 * 10·log10(max(amin, S)) − 10·log10(max(amin, |ref|)), then clipped below at (max − top_db), exactly
 * as librosa.power_to_db for a power spectrogram. Works on any shape; returns the same shape as S
 * (e.g. (n_frames, n_mels) in → (n_frames, n_mels) out). `out` may be S itself (in place).
 */
export function powerToDb(S: Matrix, options: PowerToDbOptions = {}, out?: Matrix): Matrix {
  const amin = options.amin ?? 1e-10;
  const top_db = options.top_db === undefined ? 80 : options.top_db;
  check(amin > 0, `amin must be strictly positive, got ${amin}`);
  check(top_db === null || top_db >= 0, `top_db must be non-negative, got ${top_db}`);
  const refOpt = options.ref ?? 1;
  const refValue = Math.abs(typeof refOpt === 'function' ? refOpt(S) : refOpt);
  const refDb = 10 * Math.log10(Math.max(amin, refValue));
  const res = out ?? { rows: S.rows, cols: S.cols, data: new Float32Array(S.data.length) };
  check(res.data.length === S.data.length, 'powerToDb: output matrix has the wrong size');
  res.rows = S.rows;
  res.cols = S.cols;
  const src = S.data;
  const dst = res.data;
  const n = src.length;
  // WebAssembly SIMD logarithm when available (float64, about 1 ulp, rounded to float32 as below),
  // top_db clip included.
  const max = n >= 64 ? wasmPowerToDb(src, amin, refDb, dst, top_db ?? undefined) : null;
  if (max === null) {
    const m = dbJs(src, dst, n, amin, refDb, top_db);
    if (top_db !== null && n > 0) {
      const floor = Math.fround(m) - top_db;
      for (let i = 0; i < n; i++) if (dst[i] < floor) dst[i] = floor;
    }
  }
  return res;
}

/** The JS path of powerToDb before clipping; returns the largest dB value (NaNs ignored). */
function dbJs(src: Float32Array, dst: Float32Array, n: number, amin: number, refDb: number, top_db: number | null): number {
  // Values far enough below (max − top_db) are clipped anyway: find the max first and skip their
  // logarithm (a safety margin of 1e-3 dB keeps every value near the threshold exact).
  let vmax = -Infinity;
  let hasNaN = false;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v > vmax) vmax = v;
    else if (v !== v) hasNaN = true;
  }
  let skipBelow = -Infinity;
  if (top_db !== null && n > 0 && !hasNaN && vmax >= 0) {
    const maxDb = 10 * Math.log10(Math.max(amin, vmax)) - refDb;
    skipBelow = Math.pow(10, (maxDb - top_db - 1e-3 + refDb) / 10);
    if (!(skipBelow > amin)) skipBelow = -Infinity; // the amin floor decides there: compute every value
  }
  const floorMark = -Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v < skipBelow) {
      dst[i] = floorMark;
      continue;
    }
    // NaN-safe: a NaN input stays NaN (as numpy), it does not become amin.
    const db = 10 * Math.log10(v > amin ? v : v !== v ? v : amin) - refDb;
    dst[i] = db;
    if (db > max) max = db;
  }
  return max;
}

/** librosa.db_to_power: ref · 10^(S_db / 10). Same shape as the input. */
export function dbToPower(S_db: Matrix, ref = 1): Matrix {
  const out = new Float32Array(S_db.data.length);
  for (let i = 0; i < out.length; i++) out[i] = ref * Math.pow(10, 0.1 * S_db.data[i]);
  return { rows: S_db.rows, cols: S_db.cols, data: out };
}
