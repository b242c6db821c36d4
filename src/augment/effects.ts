/**
 * Time stretching and pitch shifting, as librosa.effects.time_stretch / pitch_shift (0.11).
 * Browser-safe: typed arrays only.
 */
import { check } from '../errors.js';
import { istft } from '../dsp/istft.js';
import { phaseVocoder } from '../dsp/phase-vocoder.js';
import { resample } from '../dsp/resample.js';
import { stft } from '../dsp/stft.js';

/** Largest output timeStretch accepts (2^27 samples ≈ 100 min at 22050 Hz): beyond it, memory runs out. */
export const MAX_STRETCH_SAMPLES = 2 ** 27;

export interface StretchOptions {
  /** FFT size of the STFT used by the phase vocoder. Default 2048. */
  n_fft?: number;
  /** Hop of that STFT. Default ⌊n_fft / 4⌋ (512). */
  hop_length?: number;
}

/**
 * Time-stretches y by `rate` without changing its pitch (librosa.effects.time_stretch):
 * stft (Hann, centred, zero padding) → phaseVocoder → istft with length = round(len(y) / rate).
 * rate > 1 speeds up (shorter), rate < 1 slows down (longer).
 * Input shape (n,); returns shape (round(n / rate),) (Python's round: half to even).
 */
export function timeStretch(y: Float32Array, rate: number, options: StretchOptions = {}): Float32Array {
  check(typeof rate === 'number' && Number.isFinite(rate) && rate > 0, `time stretch: rate must be a positive finite number, got ${rate}`);
  const n_fft = options.n_fft ?? 2048;
  const hop_length = options.hop_length ?? Math.floor(n_fft / 4);
  const len = roundHalfEven(y.length / rate);
  check(len <= MAX_STRETCH_SAMPLES, `time stretch: rate ${rate} would make ${len} samples from ${y.length} (limit ${MAX_STRETCH_SAMPLES})`);
  if (y.length === 0) return new Float32Array(0);
  const S = stft(y, { n_fft, hop_length });
  const St = phaseVocoder(S, { rate, hop_length, n_fft });
  return istft(St, { n_fft, hop_length, length: len });
}

export interface PitchShiftOptions extends StretchOptions {
  /** Steps per octave (12: n_steps are semitones). Default 12. */
  bins_per_octave?: number;
}

/**
 * Shifts the pitch of y by `n_steps` steps (semitones by default) without changing its duration
 * (librosa.effects.pitch_shift): time-stretch by rate = 2^(−n_steps / bins_per_octave), resample
 * from sr/rate to sr (src/dsp/resample.ts, band-limited), then cut or zero-pad to len(y).
 * Input shape (n,); returns shape (n,).
 */
export function pitchShift(y: Float32Array, sr: number, n_steps: number, options: PitchShiftOptions = {}): Float32Array {
  check(Number.isFinite(sr) && sr > 0, `pitch shift: sr must be a positive number, got ${sr}`);
  check(typeof n_steps === 'number' && Number.isFinite(n_steps), `pitch shift: n_steps must be a finite number, got ${n_steps}`);
  const bins_per_octave = options.bins_per_octave ?? 12;
  check(Number.isInteger(bins_per_octave) && bins_per_octave > 0, `pitch shift: bins_per_octave must be a positive integer, got ${bins_per_octave}`);
  if (n_steps === 0) return y.slice();
  const rate = 2.0 ** (-n_steps / bins_per_octave);
  const stretched = timeStretch(y, rate, options);
  const shifted = resample(stretched, sr / rate, sr);
  return fixLength(shifted, y.length);
}

/** Cuts or zero-pads y to exactly `n` samples (librosa.util.fix_length). Returns y itself when it already has n. */
export function fixLength(y: Float32Array, n: number): Float32Array {
  if (y.length === n) return y;
  if (y.length > n) return y.slice(0, n);
  const out = new Float32Array(n);
  out.set(y);
  return out;
}

/** Python's round(): nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
