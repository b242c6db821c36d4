/**
 * Zero-crossing rate per frame, librosa.feature.zero_crossing_rate (0.11). Browser-safe.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { frameCount } from '../dsp/stft.js';

export interface ZcrOptions {
  /** Frame length in samples. Default 2048. */
  frame_length?: number;
  /** Hop in samples. Default 512. */
  hop_length?: number;
  /** Pad frame_length/2 copies of the edge samples at both ends (librosa pads with 'edge' here, not zeros). Default true. */
  center?: boolean;
  /** |y| ≤ threshold counts as 0 (librosa.zero_crossings' threshold). Default 1e-10. */
  threshold?: number;
}

/**
 * librosa.feature.zero_crossing_rate(y, frame_length, hop_length, center): for each frame, the
 * number of adjacent sample pairs whose sign bits differ (values with |y| ≤ 1e-10 count as +0,
 * so 0 is positive), divided by frame_length. Returns shape (n_frames, 1).
 */
export function zeroCrossingRate(y: Float32Array, options: ZcrOptions = {}): Matrix {
  const frame_length = options.frame_length ?? 2048;
  const hop = options.hop_length ?? 512;
  const center = options.center ?? true;
  const threshold = options.threshold ?? 1e-10;
  check(Number.isInteger(frame_length) && frame_length >= 1, `zcr frame_length must be a positive integer, got ${frame_length}`);
  check(Number.isInteger(hop) && hop >= 1, `zcr hop_length must be a positive integer, got ${hop}`);
  check(threshold >= 0, `zcr threshold must be ≥ 0, got ${threshold}`);
  const n = y.length;
  check(n > 0, 'zero-crossing rate of an empty signal is undefined');
  const pad = center ? Math.floor(frame_length / 2) : 0;
  const nFrames = frameCount(n, frame_length, hop, center);
  // cum[i + 1] = number of crossings among the pairs (0, 1) .. (i − 1, i) of the padded signal
  // (edge padding repeats y[0] / y[n−1], so no pair inside the padding crosses). A value is
  // negative when v < −threshold (|v| ≤ threshold, incl. −0, is +0).
  const total = n + 2 * pad;
  const cum = new Int32Array(total + 1);
  const thr = -threshold;
  let c = 0;
  let prev = y[0] < thr;
  for (let j = 1; j < n; j++) {
    const cur = y[j] < thr;
    if (cur !== prev) c++;
    prev = cur;
    cum[pad + j + 1] = c;
  }
  cum.fill(c, pad + n + 1);
  const out = new Float32Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const s = t * hop;
    // Pairs (s, s+1) .. (s+L−2, s+L−1): crossings at i = s+1 .. s+L−1; the frame's first slot is not a crossing.
    out[t] = (cum[s + frame_length] - cum[s + 1]) / frame_length;
  }
  return { rows: nFrames, cols: 1, data: out };
}
