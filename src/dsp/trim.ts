/**
 * Leading/trailing silence trimming, librosa.effects.trim (0.11). Browser-safe.
 *
 * librosa's algorithm, reproduced step by step:
 * 1. frame energy: `rms(y, frame_length, hop_length, center=True, pad_mode='constant')`
 *    (src/features/rms.ts) — the
 *    signal is zero-padded by frame_length//2 on both sides, frame t covers padded samples
 *    [t·hop, t·hop + frame_length), rms_t = sqrt(mean(x²)) over the frame; n_frames =
 *    1 + floor((n + 2·(frame_length//2) − frame_length) / hop);
 * 2. `amplitude_to_db(rms, ref=ref, amin=1e-5, top_db=None)`:
 *    db_t = 20·log10(max(1e-5, rms_t)) − 20·log10(max(1e-5, |ref|)), ref = max_t rms_t by default;
 * 3. a frame is non-silent when db_t > −top_db;
 * 4. start = first non-silent frame · hop, end = min(n, (last non-silent frame + 1) · hop);
 *    no non-silent frame → start = end = 0 (empty output).
 */
import { check } from '../errors.js';
import { rms as rmsFeature } from '../features/rms.js';

export interface TrimOptions {
  /** Threshold in dB below the reference under which a frame is silence. Default 60. */
  top_db?: number;
  /**
   * Reference amplitude: 'max' (librosa's default `ref=np.max`: the loudest frame's RMS), a number
   * (a fixed amplitude), or a function of the frame RMS values returning one.
   */
  ref?: 'max' | number | ((rms: Float64Array) => number);
  /** Samples per analysis frame. Default 2048. */
  frame_length?: number;
  /** Samples between frames. Default 512. */
  hop_length?: number;
}

export interface TrimResult {
  /** The trimmed signal (a copy), length end − start. */
  y: Float32Array;
  /** First kept sample (inclusive). */
  start: number;
  /** End of the kept interval (exclusive). */
  end: number;
}

/**
 * Trims leading and trailing silence from `y` exactly as librosa.effects.trim (see the module
 * comment). Returns the kept part (a new Float32Array) and its [start, end) sample interval.
 */
export function trim(y: Float32Array, options: TrimOptions = {}): TrimResult {
  const top_db = options.top_db ?? 60;
  const frame_length = options.frame_length ?? 2048;
  const hop_length = options.hop_length ?? 512;
  check(Number.isFinite(top_db), `top_db must be a finite number, got ${top_db}`);
  check(Number.isInteger(frame_length) && frame_length > 0, `frame_length must be a positive integer, got ${frame_length}`);
  check(Number.isInteger(hop_length) && hop_length > 0, `hop_length must be a positive integer, got ${hop_length}`);
  // librosa.feature.rms(y, frame_length, hop_length, center=True, pad_mode='constant'); a signal
  // shorter than one frame after padding has no frame (librosa raises; we return an empty trim).
  const padded = y.length + 2 * Math.floor(frame_length / 2);
  if (padded < frame_length) return { y: new Float32Array(0), start: 0, end: 0 };
  const rms = Float64Array.from(rmsFeature({ y, frame_length, hop_length, center: true, pad_mode: 'constant' }).data);
  if (rms.length === 0) return { y: new Float32Array(0), start: 0, end: 0 };
  const refOpt = options.ref ?? 'max';
  let ref: number;
  if (refOpt === 'max') {
    ref = -Infinity;
    for (let t = 0; t < rms.length; t++) if (rms[t] > ref) ref = rms[t];
  } else if (typeof refOpt === 'function') ref = refOpt(rms);
  else ref = refOpt;
  const amin = 1e-5;
  const refDb = 20 * Math.log10(Math.max(amin, Math.abs(ref)));
  let first = -1;
  let last = -1;
  for (let t = 0; t < rms.length; t++) {
    const db = 20 * Math.log10(Math.max(amin, rms[t])) - refDb;
    if (db > -top_db) {
      if (first < 0) first = t;
      last = t;
    }
  }
  if (first < 0) return { y: new Float32Array(0), start: 0, end: 0 };
  const start = first * hop_length;
  const end = Math.min(y.length, (last + 1) * hop_length);
  return { y: y.slice(start, end), start, end };
}
