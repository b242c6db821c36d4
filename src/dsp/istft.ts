/**
 * Inverse short-time Fourier transform, as librosa.istft (0.11) computes it. Browser-safe.
 */
import { check } from '../errors.js';
import { inverseRealFft } from './ifft.js';
import { getWindow, type Spectrogram, type WindowName } from './stft.js';

export interface IstftOptions {
  /** Hop between frames. Default: S.hop_length, else ⌊win_length / 4⌋. */
  hop_length?: number;
  /** Window length ≤ n_fft. Default n_fft. */
  win_length?: number;
  /** FFT size. Default: S.n_fft, else 2·(nBins − 1). */
  n_fft?: number;
  /** Window function. Default 'hann' (periodic). */
  window?: WindowName;
  /** Frames are centred (the STFT padded n_fft/2 at both ends): trim that padding. Default true. */
  center?: boolean;
  /** Output exactly this many samples (zero-padded or cut). Default: all of the un-padded signal. */
  length?: number;
}

/** Smallest positive normal float32, numpy's `tiny` for float32 (librosa's window-sum threshold). */
const TINY_F32 = 1.1754943508222875e-38;

/**
 * Inverse STFT by weighted overlap-add (Griffin & Lim): each frame is inverted (irfft of size
 * n_fft), multiplied by the window, overlap-added at t·hop_length, and the sum is divided by the
 * sum of squared windows wherever that exceeds float32's tiny. With `center`, the first ⌊n_fft/2⌋
 * samples are dropped; with `length`, the result is cut or zero-padded to `length` samples,
 * otherwise the last ⌊n_fft/2⌋ are dropped too.
 *
 * Input: frame-major complex spectrogram, shape (nFrames, nBins = n_fft/2 + 1).
 * Returns shape (length,) or, without `length`, (n_fft + hop·(nFrames − 1) − 2·⌊n_fft/2⌋,) when
 * centred. Values are float32.
 */
export function istft(S: Spectrogram, options: IstftOptions = {}): Float32Array {
  const n_fft = options.n_fft ?? (S.n_fft || 2 * (S.nBins - 1));
  check(Number.isInteger(n_fft) && n_fft >= 2, `istft: n_fft must be an integer ≥ 2, got ${n_fft}`);
  check(S.nBins === Math.floor(n_fft / 2) + 1, `istft: spectrogram has ${S.nBins} bins but n_fft=${n_fft} needs ${Math.floor(n_fft / 2) + 1}`);
  const win_length = options.win_length ?? n_fft;
  const hop_length = options.hop_length ?? (S.hop_length || Math.floor(win_length / 4));
  check(Number.isInteger(hop_length) && hop_length >= 1, `istft: hop_length must be a positive integer, got ${hop_length}`);
  const center = options.center ?? true;
  const length = options.length;
  if (length !== undefined) check(Number.isInteger(length) && length >= 0, `istft: length must be a non-negative integer, got ${length}`);
  check(S.re.length >= S.nFrames * S.nBins && S.im.length >= S.nFrames * S.nBins, 'istft: spectrogram data is shorter than nFrames × nBins');
  const win = getWindow(options.window ?? 'hann', win_length, n_fft);
  const pad = center ? Math.floor(n_fft / 2) : 0;

  // As librosa: with a target length, frames that cannot reach it are skipped.
  let nFrames = S.nFrames;
  if (length) nFrames = Math.min(nFrames, Math.ceil((length + 2 * pad) / hop_length));
  const outLen = length ?? Math.max(0, n_fft + hop_length * (nFrames - 1) - 2 * pad);
  const y = new Float32Array(outLen);
  if (nFrames <= 0 || outLen === 0) return y;

  const full = n_fft + hop_length * (nFrames - 1);
  const acc = new Float64Array(full);
  const wss = windowSumSquare(win, hop_length, nFrames);
  const ifft = inverseRealFft(n_fft);
  const frame = new Float64Array(n_fft);
  const nBins = S.nBins;
  for (let t = 0; t < nFrames; t++) {
    ifft.inverse(S.re, S.im, t * nBins, frame);
    const start = t * hop_length;
    for (let i = 0; i < n_fft; i++) acc[start + i] += win[i] * frame[i];
  }
  const avail = Math.min(outLen, full - pad);
  for (let i = 0; i < avail; i++) {
    const w = Math.fround(wss[pad + i]);
    const v = acc[pad + i];
    y[i] = w > TINY_F32 ? v / w : v;
  }
  return y;
}

/**
 * Sum of squared windows of `nFrames` frames at `hop_length` (librosa.filters.window_sumsquare
 * with norm=None): wss[j] = Σ_t win[j − t·hop]², shape (n_fft + hop·(nFrames − 1),) where
 * n_fft = win.length. Between the edges the sum is periodic in j with period hop, so it is
 * filled from one period; only the first and last n_fft samples are summed frame by frame.
 */
export function windowSumSquare(win: ArrayLike<number>, hop_length: number, nFrames: number): Float64Array {
  const n_fft = win.length;
  const full = nFrames > 0 ? n_fft + hop_length * (nFrames - 1) : 0;
  const wss = new Float64Array(full);
  if (full === 0) return wss;
  // Every frame covering j is present iff j ≥ n_fft − hop (no frame before 0 would reach it)
  // and j < nFrames·hop (no frame after the last would).
  const lo = Math.max(0, n_fft - hop_length);
  const hi = Math.min(nFrames * hop_length, full);
  if (hi - lo < 2 * hop_length) {
    for (let t = 0; t < nFrames; t++) {
      const s = t * hop_length;
      for (let i = 0; i < n_fft; i++) wss[s + i] += win[i] * win[i];
    }
    return wss;
  }
  // one period: P[r] = Σ_q win[r + q·hop]², r < hop
  const period = new Float64Array(hop_length);
  for (let i = 0; i < n_fft; i++) period[i % hop_length] += win[i] * win[i];
  for (let j = lo; j < hi; j++) wss[j] = period[j % hop_length];
  // edges, frame by frame, restricted to j < lo and j ≥ hi
  for (let t = 0; t < nFrames; t++) {
    const s = t * hop_length;
    if (s >= lo && s + n_fft <= hi) continue;
    for (let i = 0; i < n_fft; i++) {
      const j = s + i;
      if (j < lo || j >= hi) wss[j] += win[i] * win[i];
    }
  }
  return wss;
}
