/**
 * Mel-frequency cepstral coefficients, librosa.feature.mfcc (0.11) from a log-mel spectrogram.
 * Browser-safe.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { wasmDctFolded, wasmMatmulT } from '../dsp/stft-wasm.js';

const dctCache = new Map<string, Float64Array>();

/**
 * The first `n_out` rows of the DCT-II (scipy.fft.dct type 2) matrix of size n, as a flat
 * row-major Float64Array of shape (n_out, n): X[k] = Σ_j D[k, j] · x[j].
 * norm 'ortho' scales row 0 by √(1/n) and the others by √(2/n); norm null gives scipy's
 * unnormalised 2·Σ x[j]·cos(π k (2j + 1) / 2n).
 */
export function dctMatrix(n: number, n_out = n, norm: 'ortho' | null = 'ortho'): Float64Array {
  check(Number.isInteger(n) && n >= 1, `DCT size must be a positive integer, got ${n}`);
  check(Number.isInteger(n_out) && n_out >= 1 && n_out <= n, `n_mfcc must be in 1..${n}, got ${n_out}`);
  const key = `${n}:${n_out}:${norm}`;
  let D = dctCache.get(key);
  if (D) return D;
  D = new Float64Array(n_out * n);
  for (let k = 0; k < n_out; k++) {
    const scale = norm === 'ortho' ? (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n)) : 2;
    for (let j = 0; j < n; j++) D[k * n + j] = scale * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
  }
  if (dctCache.size > 16) dctCache.clear();
  dctCache.set(key, D);
  return D;
}

export interface MfccOptions {
  /** Log-power mel spectrogram in dB (e.g. powerToDb(melspectrogram(...))), shape (n_frames, n_mels). */
  S: Matrix;
  /** Number of coefficients, 1..n_mels. Default 40 (this project's default; librosa's is 20). */
  n_mfcc?: number;
  /** DCT type; only 2 (librosa's default) is supported. */
  dct_type?: 2;
  /** 'ortho' (default) or null. */
  norm?: 'ortho' | null;
  /** Cepstral liftering coefficient, ≥ 0; 0 (default) disables it. */
  lifter?: number;
}

/**
 * librosa.feature.mfcc(S=logmel_db, n_mfcc, dct_type=2, norm='ortho', lifter): the DCT-II of each
 * frame's log-mel vector, first n_mfcc coefficients. Returns shape (n_frames, n_mfcc).
 * `out` may be given to reuse a buffer of that shape.
 */
export function mfcc(options: MfccOptions, out?: Matrix): Matrix {
  const { S } = options;
  const n_mfcc = options.n_mfcc ?? 40;
  const dct_type = options.dct_type ?? 2;
  const norm = options.norm === undefined ? 'ortho' : options.norm;
  const lifter = options.lifter ?? 0;
  check(dct_type === 2, `dct_type ${dct_type} is not supported (only 2)`);
  check(norm === 'ortho' || norm === null, `mfcc norm must be 'ortho' or null, got ${String(norm)}`);
  check(Number.isFinite(lifter) && lifter >= 0, `MFCC lifter must be a non-negative number, got ${lifter}`);
  const nMels = S.cols;
  check(n_mfcc >= 1 && n_mfcc <= nMels, `n_mfcc (${n_mfcc}) must be in 1..n_mels (${nMels})`);
  const D = dctMatrix(nMels, n_mfcc, norm);
  const nFrames = S.rows;
  const res = out ?? { rows: nFrames, cols: n_mfcc, data: new Float32Array(nFrames * n_mfcc) };
  check(res.rows === nFrames && res.cols === n_mfcc, 'mfcc: output matrix has the wrong shape');
  const src = S.data;
  const dst = res.data;
  const lift = new Float64Array(n_mfcc);
  for (let k = 0; k < n_mfcc; k++) lift[k] = lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter) : 1;
  // WebAssembly SIMD product when available (float64 accumulation; folded by the DCT's symmetry
  // when n_mels is a multiple of 4), else plain JS.
  if (wasmDctFolded(src, nFrames, nMels, D, n_mfcc, dst) || wasmMatmulT(src, nFrames, nMels, D, n_mfcc, dst)) {
    if (lifter > 0) for (let t = 0; t < nFrames; t++) for (let k = 0; k < n_mfcc; k++) dst[t * n_mfcc + k] *= lift[k];
    return res;
  }
  for (let t = 0; t < nFrames; t++) {
    const base = t * nMels;
    for (let k = 0; k < n_mfcc; k++) {
      let acc = 0;
      const row = k * nMels;
      for (let j = 0; j < nMels; j++) acc += D[row + j] * src[base + j];
      dst[t * n_mfcc + k] = acc * lift[k];
    }
  }
  return res;
}
