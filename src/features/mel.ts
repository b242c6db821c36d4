/**
 * Mel scale, mel filterbank and mel spectrogram, as librosa 0.11 computes them
 * (librosa.hz_to_mel / mel_to_hz / mel_frequencies / fft_frequencies, librosa.filters.mel,
 * librosa.feature.melspectrogram).
 *
 * Browser-safe: typed arrays only.
 */
import { check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { powerSpectrogram, type StftOptions, type WindowName } from '../dsp/stft.js';
import { wasmSparseApply } from '../dsp/stft-wasm.js';

// Slaney's auditory-toolbox mel scale: linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
const LOGSTEP = Math.log(6.4) / 27;

/** Hz → mel (Slaney scale by default; `htk` gives 2595·log10(1 + f/700)). */
export function hzToMel(frequency: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + frequency / 700);
  if (frequency >= MIN_LOG_HZ) return MIN_LOG_MEL + Math.log(frequency / MIN_LOG_HZ) / LOGSTEP;
  return frequency / F_SP;
}

/** mel → Hz, the inverse of {@link hzToMel}. */
export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (Math.pow(10, mel / 2595) - 1);
  if (mel >= MIN_LOG_MEL) return MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL));
  return F_SP * mel;
}

/** numpy.linspace(start, stop, n) (endpoint included). Shape (n,). */
function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = stop;
  return out;
}

/**
 * `n_mels` frequencies (Hz) evenly spaced on the mel scale from fmin to fmax inclusive
 * (librosa.mel_frequencies). Shape (n_mels,).
 */
export function melFrequencies(n_mels = 128, fmin = 0, fmax = 11025, htk = false): Float64Array {
  check(Number.isInteger(n_mels) && n_mels >= 1, `n_mels must be a positive integer, got ${n_mels}`);
  const mels = linspace(hzToMel(fmin, htk), hzToMel(fmax, htk), n_mels);
  for (let i = 0; i < n_mels; i++) mels[i] = melToHz(mels[i], htk);
  return mels;
}

/** Centre frequency (Hz) of each rFFT bin, k·sr/n_fft for k = 0..n_fft/2 (librosa.fft_frequencies). Shape (1 + n_fft/2,). */
export function fftFrequencies(sr = 22050, n_fft = 2048): Float64Array {
  check(sr > 0 && Number.isFinite(sr), `sr must be a positive number, got ${sr}`);
  check(Number.isInteger(n_fft) && n_fft >= 1, `n_fft must be a positive integer, got ${n_fft}`);
  const nBins = Math.floor(n_fft / 2) + 1;
  const out = new Float64Array(nBins);
  const val = 1 / (n_fft / sr);
  for (let k = 0; k < nBins; k++) out[k] = k * val;
  return out;
}

export interface MelFilterOptions {
  /** Sample rate of the signal (Hz). */
  sr: number;
  /** FFT size. */
  n_fft: number;
  /** Number of mel bands. Default 128. */
  n_mels?: number;
  /** Lowest frequency (Hz). Default 0. */
  fmin?: number;
  /** Highest frequency (Hz). Default sr / 2. */
  fmax?: number;
  /** HTK mel formula instead of Slaney's. Default false. */
  htk?: boolean;
  /**
   * 'slaney' (default): divide each triangle by its width in Hz (constant energy per band);
   * a number p: scale each band to unit p-norm (Infinity for max-norm); null: no normalisation.
   */
  norm?: 'slaney' | number | null;
}

/**
 * The mel filterbank, librosa.filters.mel. Returns shape (n_mels, 1 + n_fft/2) — the same
 * orientation as librosa's (it is a matrix of weights, not a time-varying feature).
 */
export function melFilterbank(options: MelFilterOptions): Matrix {
  const { sr, n_fft } = options;
  const n_mels = options.n_mels ?? 128;
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? sr / 2;
  const htk = options.htk ?? false;
  const norm = options.norm === undefined ? 'slaney' : options.norm;
  check(sr > 0 && Number.isFinite(sr), `sr must be a positive number, got ${sr}`);
  check(Number.isInteger(n_fft) && n_fft >= 2, `n_fft must be an integer ≥ 2, got ${n_fft}`);
  check(Number.isInteger(n_mels) && n_mels >= 1, `n_mels must be a positive integer, got ${n_mels}`);
  check(Number.isFinite(fmin) && fmin >= 0, `fmin must be ≥ 0, got ${fmin}`);
  check(Number.isFinite(fmax) && fmax > fmin, `fmax (${fmax}) must be greater than fmin (${fmin})`);
  check(
    norm === null || norm === 'slaney' || (typeof norm === 'number' && norm > 0),
    `unsupported mel norm ${String(norm)} (use 'slaney', a positive number or null)`,
  );
  const nBins = Math.floor(n_fft / 2) + 1;
  const fftfreqs = fftFrequencies(sr, n_fft);
  const melF = melFrequencies(n_mels + 2, fmin, fmax, htk);
  const out = new Float32Array(n_mels * nBins);
  const row = new Float64Array(nBins);
  for (let i = 0; i < n_mels; i++) {
    const fdiffLo = melF[i + 1] - melF[i];
    const fdiffHi = melF[i + 2] - melF[i + 1];
    const enorm = norm === 'slaney' ? 2 / (melF[i + 2] - melF[i]) : 1;
    for (let k = 0; k < nBins; k++) {
      const lower = -(melF[i] - fftfreqs[k]) / fdiffLo;
      const upper = (melF[i + 2] - fftfreqs[k]) / fdiffHi;
      const w = Math.max(0, Math.min(lower, upper));
      row[k] = w;
    }
    if (typeof norm === 'number') {
      let s = 0;
      if (norm === Infinity) for (let k = 0; k < nBins; k++) s = Math.max(s, Math.abs(row[k]));
      else {
        for (let k = 0; k < nBins; k++) s += Math.pow(Math.abs(row[k]), norm);
        s = Math.pow(s, 1 / norm);
      }
      // librosa.util.normalize leaves (near-)zero rows untouched.
      const scale = s > 1.1754943508222875e-38 ? 1 / s : 1;
      for (let k = 0; k < nBins; k++) out[i * nBins + k] = row[k] * scale;
    } else {
      // librosa stores the triangle in float32, then scales it by enorm (float64) in place.
      for (let k = 0; k < nBins; k++) out[i * nBins + k] = Math.fround(row[k]) * enorm;
    }
  }
  return { rows: n_mels, cols: nBins, data: out };
}

/**
 * A filterbank stored by its non-zero span: band b covers bins start[b] .. start[b] + length[b] − 1,
 * with weights `weights[offset[b] + j]` for bin start[b] + j. Each FFT bin touches at most two
 * Slaney/HTK mel bands, so this is ~n_fft/2·2 weights instead of n_mels·(n_fft/2 + 1).
 */
export interface SparseFilterbank {
  nBands: number;
  nBins: number;
  start: Int32Array;
  length: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

/** Sparse form of any dense (n_bands, n_bins) filterbank (zero weights at each band's ends dropped). */
export function sparseFilterbank(fb: Matrix): SparseFilterbank {
  const { rows: nBands, cols: nBins, data } = fb;
  const start = new Int32Array(nBands);
  const length = new Int32Array(nBands);
  const offset = new Int32Array(nBands);
  let total = 0;
  for (let b = 0; b < nBands; b++) {
    let lo = 0;
    let hi = nBins - 1;
    while (lo < nBins && data[b * nBins + lo] === 0) lo++;
    while (hi >= lo && data[b * nBins + hi] === 0) hi--;
    start[b] = lo < nBins ? lo : 0;
    length[b] = lo < nBins ? hi - lo + 1 : 0;
    offset[b] = total;
    total += length[b];
  }
  const weights = new Float32Array(total);
  for (let b = 0; b < nBands; b++) weights.set(data.subarray(b * nBins + start[b], b * nBins + start[b] + length[b]), offset[b]);
  return { nBands, nBins, start, length, offset, weights };
}

const sparseCache = new Map<string, SparseFilterbank>();

/** The sparse mel filterbank for these options, cached (filterbanks are immutable). */
export function melFilterbankSparse(options: MelFilterOptions): SparseFilterbank {
  const key = JSON.stringify([
    options.sr,
    options.n_fft,
    options.n_mels ?? 128,
    options.fmin ?? 0,
    options.fmax ?? options.sr / 2,
    options.htk ?? false,
    options.norm === undefined ? 'slaney' : options.norm === Infinity ? 'inf' : options.norm,
  ]);
  let fb = sparseCache.get(key);
  if (!fb) {
    fb = sparseFilterbank(melFilterbank(options));
    if (sparseCache.size > 32) sparseCache.clear();
    sparseCache.set(key, fb);
  }
  return fb;
}

/**
 * Applies a sparse filterbank to a frame-major spectrogram S (n_frames, n_bins):
 * out[t, b] = Σ_k fb[b, k] · S[t, k]. Returns shape (n_frames, n_bands). `out` may be passed to
 * reuse a buffer.
 */
export function applyFilterbank(S: Matrix, fb: SparseFilterbank, out?: Matrix): Matrix {
  check(S.cols === fb.nBins, `spectrogram has ${S.cols} bins but the filterbank expects ${fb.nBins} (n_fft mismatch?)`);
  const nFrames = S.rows;
  const nBands = fb.nBands;
  const res = out ?? { rows: nFrames, cols: nBands, data: new Float32Array(nFrames * nBands) };
  check(res.rows === nFrames && res.cols === nBands, 'applyFilterbank: output matrix has the wrong shape');
  const { start, length, offset, weights } = fb;
  const src = S.data;
  const dst = res.data;
  const nBins = S.cols;
  // WebAssembly SIMD product when available (float64 accumulation, as below), else plain JS.
  if (wasmSparseApply(src, nFrames, nBins, fb, dst)) return res;
  for (let t = 0; t < nFrames; t++) {
    const base = t * nBins;
    const ob = t * nBands;
    for (let b = 0; b < nBands; b++) {
      let acc = 0;
      const s0 = base + start[b];
      const w0 = offset[b];
      const len = length[b];
      for (let j = 0; j < len; j++) acc += weights[w0 + j] * src[s0 + j];
      dst[ob + b] = acc;
    }
  }
  return res;
}

export interface MelspectrogramOptions {
  /** Audio samples (mono). Either y or S is required. */
  y?: Float32Array;
  /** A precomputed frame-major spectrogram |STFT|^power, shape (n_frames, 1 + n_fft/2). */
  S?: Matrix;
  sr?: number;
  n_fft?: number;
  hop_length?: number;
  win_length?: number;
  window?: WindowName;
  center?: boolean;
  pad_mode?: StftOptions['pad_mode'];
  /** Exponent of the magnitude spectrogram (used only with y). Default 2 (power). */
  power?: number;
  n_mels?: number;
  fmin?: number;
  fmax?: number;
  htk?: boolean;
  norm?: 'slaney' | number | null;
}

/**
 * librosa.feature.melspectrogram. From y: |stft(y)|^power then the mel filterbank; from S: the
 * filterbank applied to S as given (n_fft is then taken from S's bin count, 2·(bins − 1)).
 * Returns shape (n_frames, n_mels).
 */
export function melspectrogram(options: MelspectrogramOptions): Matrix {
  const sr = options.sr ?? 22050;
  let S = options.S;
  let n_fft = options.n_fft ?? 2048;
  if (S) {
    n_fft = 2 * (S.cols - 1);
  } else {
    check(options.y, 'melspectrogram needs y (audio) or S (spectrogram)');
    S = powerSpectrogram(options.y, {
      n_fft,
      hop_length: options.hop_length ?? 512,
      win_length: options.win_length,
      window: options.window,
      center: options.center,
      pad_mode: options.pad_mode,
      power: options.power ?? 2,
    });
  }
  const fb = melFilterbankSparse({
    sr,
    n_fft,
    n_mels: options.n_mels,
    fmin: options.fmin,
    fmax: options.fmax,
    htk: options.htk,
    norm: options.norm,
  });
  return applyFilterbank(S, fb);
}
