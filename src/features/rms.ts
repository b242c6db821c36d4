/**
 * Root-mean-square energy per frame, librosa.feature.rms (0.11). Browser-safe.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { frameCount } from '../dsp/stft.js';

export interface RmsOptions {
  /** Audio samples (mono). Either y or S is required. */
  y?: Float32Array;
  /** Magnitude spectrogram |STFT|, frame-major (n_frames, frame_length/2 + 1). */
  S?: Matrix;
  /** Frame length in samples (with S: the n_fft that produced it). Default 2048. */
  frame_length?: number;
  /** Hop in samples (y only). Default 512. */
  hop_length?: number;
  /** Pad frame_length/2 samples at both ends (y only). Default true. */
  center?: boolean;
  /** Padding for center (y only): 'constant' (zeros, default) or 'edge'. */
  pad_mode?: 'constant' | 'edge';
}

/**
 * librosa.feature.rms. From y: √(mean of y² over each frame of frame_length samples, hop
 * hop_length, centred with zero padding by default). From S (magnitude): Parseval's estimate
 * √(2·Σ_k w_k |S_k|² / frame_length²) with the DC (and, for even frame_length, Nyquist) bins
 * halved. Returns shape (n_frames, 1).
 */
export function rms(options: RmsOptions): Matrix {
  const frame_length = options.frame_length ?? 2048;
  check(Number.isInteger(frame_length) && frame_length >= 1, `rms frame_length must be a positive integer, got ${frame_length}`);
  if (options.y) {
    const y = options.y;
    const hop = options.hop_length ?? 512;
    const center = options.center ?? true;
    const padMode = options.pad_mode ?? 'constant';
    check(Number.isInteger(hop) && hop >= 1, `rms hop_length must be a positive integer, got ${hop}`);
    check(padMode === 'constant' || padMode === 'edge', `rms pad_mode must be 'constant' or 'edge', got '${padMode}'`);
    const pad = center ? Math.floor(frame_length / 2) : 0;
    const nFrames = frameCount(y.length, frame_length, hop, center);
    const out = new Float32Array(nFrames);
    const n = y.length;
    const sample = (j: number): number =>
      j >= 0 && j < n ? y[j] : padMode === 'edge' && n > 0 ? y[j < 0 ? 0 : n - 1] : 0;
    // Prefix sums of y² (float64) make every frame O(1).
    const cum = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + y[i] * y[i];
    for (let t = 0; t < nFrames; t++) {
      const s = t * hop - pad;
      const e = s + frame_length;
      const a = Math.max(0, Math.min(n, s));
      const b = Math.max(0, Math.min(n, e));
      let acc = cum[b] - cum[a];
      if (padMode === 'edge') {
        if (s < 0) acc += (Math.min(e, 0) - s) * sample(-1) ** 2;
        if (e > n) acc += (e - Math.max(s, n)) * sample(n) ** 2;
      }
      out[t] = Math.sqrt(Math.max(0, acc) / frame_length);
    }
    return { rows: nFrames, cols: 1, data: out };
  }
  check(options.S, 'rms needs y (audio) or S (magnitude spectrogram)');
  const S = options.S;
  check(
    S.cols === Math.floor(frame_length / 2) + 1,
    `rms: S has ${S.cols} bins, so frame_length is expected to be ${2 * S.cols - 2} or ${2 * S.cols - 1}; found ${frame_length}`,
  );
  const out = new Float32Array(S.rows);
  const K = S.cols;
  for (let t = 0; t < S.rows; t++) {
    let acc = 0;
    for (let k = 0; k < K; k++) {
      const v = S.data[t * K + k];
      let p = v * v;
      if (k === 0 || (k === K - 1 && frame_length % 2 === 0)) p *= 0.5;
      acc += p;
    }
    out[t] = Math.sqrt((2 * acc) / (frame_length * frame_length));
  }
  return { rows: S.rows, cols: 1, data: out };
}
