/**
 * Phase vocoder, as librosa.phase_vocoder (0.11) computes it. Browser-safe.
 */
import { check } from '../errors.js';
import type { Spectrogram } from './stft.js';

export interface PhaseVocoderOptions {
  /** Speed-up factor: > 1 is faster (fewer frames), < 1 slower. Must be > 0. */
  rate: number;
  /** Hop of the analysis STFT. Default: S.hop_length, else ⌊n_fft / 4⌋. */
  hop_length?: number;
  /** FFT size of the analysis STFT. Default: S.n_fft, else 2·(nBins − 1). */
  n_fft?: number;
}

const fround = Math.fround;
const TWO_PI = 2 * Math.PI;

/** numpy's round (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Number of output frames: len(np.arange(0, nFrames, rate)) = ⌈nFrames / rate⌉.
 */
export function phaseVocoderFrames(nFrames: number, rate: number): number {
  return Math.max(0, Math.ceil(nFrames / rate));
}

/**
 * Time-stretches a complex spectrogram by `rate` (librosa 0.11's phase_vocoder): output frame t
 * reads the input at fractional position s = t·rate (t = 0 .. ⌈nFrames/rate⌉ − 1); its magnitude
 * interpolates linearly between frames ⌊s⌋ and ⌊s⌋+1 (two zero frames are appended), and its
 * phase is an accumulator that starts at the phase of frame 0 and advances, per bin k, by the
 * expected advance φ_k = hop·2πk/n_fft plus the measured deviation (phase difference of the two
 * frames minus φ_k, wrapped to [−π, π]).
 *
 * Precision mirrors librosa's: the angles are float32 (np.angle of complex64), the accumulator is
 * float32 (it is updated in place), the rest is float64, and the output is complex64.
 *
 * Input: frame-major Spectrogram, shape (nFrames, nBins). Returns shape (⌈nFrames/rate⌉, nBins).
 */
export function phaseVocoder(S: Spectrogram, options: PhaseVocoderOptions): Spectrogram {
  const { rate } = options;
  check(typeof rate === 'number' && Number.isFinite(rate) && rate > 0, `phase vocoder: rate must be a positive finite number, got ${rate}`);
  const nBins = S.nBins;
  const nFrames = S.nFrames;
  const n_fft = options.n_fft ?? (S.n_fft || 2 * (nBins - 1));
  const hop_length = options.hop_length ?? (S.hop_length || Math.floor(n_fft / 4));
  check(Number.isInteger(n_fft) && n_fft >= 2, `phase vocoder: n_fft must be an integer ≥ 2, got ${n_fft}`);
  check(Number.isInteger(hop_length) && hop_length >= 1, `phase vocoder: hop_length must be a positive integer, got ${hop_length}`);

  const nOut = phaseVocoderFrames(nFrames, rate);
  const outRe = new Float32Array(nOut * nBins);
  const outIm = new Float32Array(nOut * nBins);
  const result: Spectrogram = { nFrames: nOut, nBins, n_fft, hop_length, re: outRe, im: outIm };
  if (nOut === 0 || nBins === 0) return result;

  // Angles (float32) and magnitudes (float32) of every input frame, plus two zero frames.
  const total = (nFrames + 2) * nBins;
  const ang = new Float32Array(total);
  const mag = new Float32Array(total);
  const { re, im } = S;
  for (let i = 0; i < nFrames * nBins; i++) {
    const r = re[i];
    const q = im[i];
    ang[i] = Math.atan2(q, r);
    mag[i] = Math.sqrt(r * r + q * q);
  }

  // Expected phase advance per bin: hop_length · rfftfreq(n_fft, d = 1/(2π)).
  const val = 1.0 / (n_fft * (1.0 / TWO_PI));
  const phiAdvance = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) phiAdvance[k] = hop_length * (k * val);

  // Phase accumulator (float32), initialised to the phase of frame 0.
  const acc = new Float32Array(nBins);
  for (let k = 0; k < nBins; k++) acc[k] = ang[k];

  for (let t = 0; t < nOut; t++) {
    const step = t * rate;
    const i0 = Math.floor(step);
    const alpha = step % 1.0;
    const oneMinus = 1.0 - alpha;
    const b0 = i0 * nBins;
    const b1 = b0 + nBins;
    const o = t * nBins;
    for (let k = 0; k < nBins; k++) {
      const m = oneMinus * mag[b0 + k] + alpha * mag[b1 + k];
      const ph = acc[k];
      outRe[o + k] = Math.cos(ph) * m;
      outIm[o + k] = Math.sin(ph) * m;
      const phi = phiAdvance[k];
      let dphase = fround(ang[b1 + k] - ang[b0 + k]) - phi;
      dphase = dphase - TWO_PI * roundHalfEven(dphase / TWO_PI);
      acc[k] = ph + (phi + dphase);
    }
  }
  return result;
}
