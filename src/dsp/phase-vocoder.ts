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

// Cody–Waite split of π/2 (33 + 33 + 53 bits): q·P1 and q·P2 are exact for |q| < 2^20, so the
// reduced argument below is accurate to ~1e-16 absolute for the accumulator's range.
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_2T = 2.0222662487959506e-21;
const TWO_OVER_PI = 0.6366197723675814;
const REDUCE_LIMIT = 1647099; // ≈ 2^20 · π/2
// Taylor coefficients: on |r| ≤ π/4 the truncation errors are < 1e-19 (sin to r^17, cos to r^18).
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362880, S11 = -1 / 39916800;
const S13 = 1 / 6227020800, S15 = -1 / 1307674368000, S17 = 1 / 355687428096000;
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40320, C10 = -1 / 3628800, C12 = 1 / 479001600;
const C14 = -1 / 87178291200, C16 = 1 / 20922789888000, C18 = -1 / 6402373705728000;

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
      // cos/sin of ph to ~1 ulp of double: quadrant reduction (exact for |ph| < 2^20·π/2, i.e.
      // the first ~1000 output frames at hop 512) + Taylor kernels, about twice as fast as
      // Math.cos + Math.sin. Larger accumulators (long clips) take Math.cos / Math.sin.
      let c: number;
      let sn: number;
      if (ph < REDUCE_LIMIT && ph > -REDUCE_LIMIT) {
        const q = Math.round(ph * TWO_OVER_PI);
        const r = ph - q * PIO2_1 - q * PIO2_2 - q * PIO2_2T;
        const z = r * r;
        const sr = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))));
        const cr = 1 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))));
        const quad = q & 3;
        c = quad === 0 ? cr : quad === 1 ? -sr : quad === 2 ? -cr : sr;
        sn = quad === 0 ? sr : quad === 1 ? cr : quad === 2 ? -sr : -cr;
      } else {
        c = Math.cos(ph);
        sn = Math.sin(ph);
      }
      outRe[o + k] = c * m;
      outIm[o + k] = sn * m;
      const phi = phiAdvance[k];
      let dphase = fround(ang[b1 + k] - ang[b0 + k]) - phi;
      dphase = dphase - TWO_PI * roundHalfEven(dphase / TWO_PI);
      acc[k] = ph + (phi + dphase);
    }
  }
  return result;
}
