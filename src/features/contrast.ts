/**
 * Spectral contrast, as librosa 0.11 computes it (librosa.feature.spectral_contrast).
 *
 * Browser-safe: typed arrays only.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { wasmContrastFinish, wasmContrastSums, wasmStftAvailable } from '../dsp/stft-wasm.js';
import { checkSr, resolveNfft } from './checks.js';

export interface SpectralContrastOptions {
  /** MAGNITUDE spectrogram (power 1), frame-major: shape (n_frames, 1 + n_fft/2). */
  S: Matrix;
  /** Sample rate in Hz. Default 22050. */
  sr?: number;
  /** FFT size; must match S. Default 2·(S.cols − 1). */
  n_fft?: number;
  /** Upper edge of the first band (Hz); later bands are octaves above it. Default 200. */
  fmin?: number;
  /** Number of octave bands above fmin (output has n_bands + 1 rows). Default 6. */
  n_bands?: number;
  /** Fraction of each band's bins averaged for the peak and for the valley, in (0, 1). Default 0.02. */
  quantile?: number;
  /** Return peak − valley (true) instead of power_to_db(peak) − power_to_db(valley). Default false. */
  linear?: boolean;
}

/** One band's bin range [lo, lo + len) and how many bins are averaged at each end. */
/** One spectral-contrast band: bins [lo, lo + len), q bins averaged at each end. */
export interface ContrastBand {
  lo: number;
  len: number;
  q: number;
}
type Band = ContrastBand;

/** Round half to even (np.rint). */
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function bandLayout(sr: number, n_fft: number, nb: number, fmin: number, n_bands: number, quantile: number): Band[] {
  const val = 1 / (n_fft * (1 / sr)); // np.fft.rfftfreq(n_fft, 1/sr) spacing
  const octa = new Float64Array(n_bands + 2);
  for (let i = 0; i <= n_bands; i++) octa[i + 1] = fmin * Math.pow(2.0, i);
  for (let i = 0; i <= n_bands; i++) {
    check(octa[i] < 0.5 * sr, `spectral_contrast: frequency band ${i} starts at ${octa[i]} Hz, at or above Nyquist (${0.5 * sr} Hz); reduce fmin or n_bands`);
  }
  const bands: Band[] = [];
  for (let k = 0; k <= n_bands; k++) {
    const fLow = octa[k];
    const fHigh = octa[k + 1];
    let first = -1;
    let last = -1;
    for (let i = 0; i < nb; i++) {
      const f = i * val;
      if (f >= fLow && f <= fHigh) {
        if (first < 0) first = i;
        last = i;
      }
    }
    check(first >= 0, `spectral_contrast: band ${k} (${fLow}–${fHigh} Hz) contains no FFT bin; increase n_fft or fmin`);
    let lo = first;
    let hi = last; // inclusive: current_band
    if (k > 0) lo = first - 1;
    if (k === n_bands) hi = nb - 1;
    const count = hi - lo + 1;
    const len = k < n_bands ? count - 1 : count; // the band's last bin is dropped except for the top band
    check(len >= 1, `spectral_contrast: band ${k} (${fLow}–${fHigh} Hz) has no usable FFT bin; increase n_fft`);
    const q = Math.min(Math.max(rint(quantile * count), 1), len);
    bands.push({ lo, len, q });
  }
  return bands;
}

// Scratch buffers for the per-band selection (reused across calls).
let lowBuf = new Float64Array(64);
let highBuf = new Float64Array(64);

/** Visiting stride for long bands: see bandExtremeSums. */
const STRIDE = 16;

/**
 * Sum of the q smallest and of the q largest of x[lo .. lo+len), keeping two sorted buffers of
 * size q (q is a few bins: ~2% of the band). Long bands are visited in a strided order (every
 * STRIDE-th bin first, then the next offset, ...): spectra trend smoothly with frequency, and a
 * monotone visiting order would make many bins an insertion; a spread-out first pass settles
 * both thresholds early. The sums do not depend on the visiting order (each buffer is summed in
 * sorted order). Writes [sumLow, sumHigh] into res (both NaN when the range holds a NaN). With
 * `sqrtValues` x holds power and the sums are of √ of the selected values (magnitudes): selection
 * on the power is the same, √ being monotonic. Shared by spectralContrast and the stream extractor.
 */
export function bandExtremeSums(x: Float32Array, lo: number, len: number, q: number, res: Float64Array, sqrtValues: boolean): void {
  const end = lo + len;
  if (q === 1) {
    let mn = Infinity;
    let mx = -Infinity;
    let nan = false;
    for (let i = lo; i < end; i++) {
      const v = x[i];
      if (v > mx) mx = v;
      if (!(v >= mn)) {
        if (v !== v) nan = true; // NaN compares false both ways
        else mn = v;
      }
    }
    res[0] = nan ? NaN : sqrtValues ? Math.fround(Math.sqrt(mn)) : mn;
    res[1] = nan ? NaN : sqrtValues ? Math.fround(Math.sqrt(mx)) : mx;
    return;
  }
  if (lowBuf.length < q) {
    lowBuf = new Float64Array(q * 2);
    highBuf = new Float64Array(q * 2);
  }
  const L = lowBuf; // ascending: L[q-1] is the largest of the q smallest seen
  const H = highBuf; // descending: H[q-1] is the smallest of the q largest seen
  for (let j = 0; j < q; j++) {
    L[j] = Infinity;
    H[j] = -Infinity;
  }
  let lMax = Infinity;
  let hMin = -Infinity;
  let nan = false;
  const stride = len >= 8 * STRIDE ? STRIDE : 1;
  for (let r = 0; r < stride; r++) {
    for (let i = lo + r; i < end; i += stride) {
      const v = x[i];
      if (!(v >= lMax)) {
        // v < lMax, or v is NaN (one test for both on the common path)
        if (v !== v) {
          nan = true;
          continue;
        }
        let j = q - 2;
        while (j >= 0 && L[j] > v) {
          L[j + 1] = L[j];
          j--;
        }
        L[j + 1] = v;
        lMax = L[q - 1];
      }
      if (v > hMin) {
        let j = q - 2;
        while (j >= 0 && H[j] < v) {
          H[j + 1] = H[j];
          j--;
        }
        H[j + 1] = v;
        hMin = H[q - 1];
      }
    }
  }
  let sl = 0;
  let sh = 0;
  if (sqrtValues) {
    for (let i = 0; i < q; i++) {
      sl += Math.fround(Math.sqrt(L[i]));
      sh += Math.fround(Math.sqrt(H[i]));
    }
  } else {
    for (let i = 0; i < q; i++) {
      sl += L[i];
      sh += H[i];
    }
  }
  res[0] = nan ? NaN : sl;
  res[1] = nan ? NaN : sh;
}

let kernelEnabled = true;

/**
 * Which implementation spectralContrast uses for the per-band sums: 'wasm' (the same selection in
 * WebAssembly with a SIMD pre-filter, bit-identical sums) or 'js'. Passing `enable` switches the
 * kernel on or off (tests compare both).
 */
export function contrastBackend(enable?: boolean): 'wasm' | 'js' {
  if (enable !== undefined) kernelEnabled = enable;
  return kernelEnabled && wasmStftAvailable() ? 'wasm' : 'js';
}

/**
 * librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=n_fft, fmin, n_bands, quantile, linear) for
 * a MAGNITUDE spectrogram S (n_frames, 1 + n_fft/2).
 *
 * Band k covers [fmin·2^(k−1), fmin·2^k] (band 0 is [0, fmin]) plus the bin below it, minus its top
 * bin; the top band extends to Nyquist. Per frame and band, the valley/peak is the mean of the
 * lowest/highest max(1, rint(quantile · band size)) bins. With linear=false the result is
 * power_to_db(peak) − power_to_db(valley) using librosa's defaults (ref 1, amin 1e-10, top_db 80),
 * where the top_db floor is taken over the whole clip (all bands and frames), as librosa does.
 * Returns shape (n_frames, n_bands + 1).
 */
export function spectralContrast(o: SpectralContrastOptions): Matrix {
  return contrastCore(o, false);
}

/**
 * spectralContrast computed from the POWER spectrogram S = |stft|² (n_frames, 1 + n_fft/2) instead of
 * the magnitude: √ is monotone, so the bins selected per band are the same, and only the selected
 * ones are square-rooted (as float32, exactly the magnitude values). Bit-identical to
 * spectralContrast on the magnitude spectrogram. Returns shape (n_frames, n_bands + 1).
 */
export function spectralContrastFromPower(o: SpectralContrastOptions): Matrix {
  return contrastCore(o, true);
}

function contrastCore(o: SpectralContrastOptions, fromPower: boolean): Matrix {
  const where = 'spectral_contrast';
  const S = o.S;
  const n_fft = resolveNfft(S, o.n_fft, where);
  const sr = o.sr ?? 22050;
  checkSr(sr, where);
  const fmin = o.fmin ?? 200.0;
  const n_bands = o.n_bands ?? 6;
  const quantile = o.quantile ?? 0.02;
  const bands = contrastBandLayout(sr, n_fft, S.cols, fmin, n_bands, quantile);

  const nOut = n_bands + 1;
  const nFrames = S.rows;
  const data = S.data;
  const nb = S.cols;
  const sums = kernelEnabled ? wasmContrastSums(data, nFrames, nb, bands, fromPower) : null;
  if (sums) {
    // the division, dB conversion and top_db floor in the kernel too
    const out = new Float32Array(nFrames * nOut);
    const r = wasmContrastFinish(sums, nFrames, bands, o.linear === true, out);
    if (r === -1) return { rows: nFrames, cols: nOut, data: out };
    if (r !== null && r >= 0) throw new SerError('ENONFINITE', `${where}: frame ${Math.floor(r / nOut)} of the spectrogram contains NaN`);
    if (r !== null) throw new SerError('ENONFINITE', `spectral_contrast: the spectrogram contains non-finite values`);
  }
  const peak = new Float64Array(nFrames * nOut);
  const valley = new Float64Array(nFrames * nOut);
  if (sums) {
    for (let t = 0; t < nFrames; t++) {
      for (let k = 0; k < nOut; k++) {
        const i = t * nOut + k;
        const lo = sums[2 * i];
        if (lo !== lo) throw new SerError('ENONFINITE', `${where}: frame ${t} of the spectrogram contains NaN`);
        const q = bands[k].q;
        valley[i] = Math.fround(lo / q);
        peak[i] = Math.fround(sums[2 * i + 1] / q);
      }
    }
  } else {
    const res = new Float64Array(2);
    for (let t = 0; t < nFrames; t++) {
      const off = t * nb;
      for (let k = 0; k < nOut; k++) {
        const b = bands[k];
        bandExtremeSums(data, off + b.lo, b.len, b.q, res, fromPower);
        if (res[0] !== res[0]) throw new SerError('ENONFINITE', `${where}: frame ${t} of the spectrogram contains NaN`);
        valley[t * nOut + k] = Math.fround(res[0] / b.q);
        peak[t * nOut + k] = Math.fround(res[1] / b.q);
      }
    }
  }
  const out = new Float32Array(nFrames * nOut);
  if (o.linear) {
    for (let i = 0; i < out.length; i++) out[i] = peak[i] - valley[i];
    return { rows: nFrames, cols: nOut, data: out };
  }
  toDb(peak);
  toDb(valley);
  for (let i = 0; i < out.length; i++) out[i] = peak[i] - valley[i];
  return { rows: nFrames, cols: nOut, data: out };
}

const layoutCache = new Map<string, Band[]>();

/**
 * The bands of librosa's spectral_contrast for `nb` = 1 + n_fft/2 bins (validated, cached): band k
 * covers [fmin·2^(k−1), fmin·2^k] (band 0 is [0, fmin]) plus the bin below it, minus its top bin
 * except for the top band; max(1, rint(quantile · band size)) bins are averaged at each end.
 * Shared by spectralContrast and the streaming extractor.
 */
export function contrastBandLayout(sr: number, n_fft: number, nb: number, fmin: number, n_bands: number, quantile: number): readonly ContrastBand[] {
  const where = 'spectral_contrast';
  check(Number.isInteger(n_bands) && n_bands >= 1, `${where}: n_bands must be a positive integer, got ${n_bands}`);
  check(typeof quantile === 'number' && quantile > 0 && quantile < 1, `${where}: quantile must lie in the range (0, 1), got ${quantile}`);
  check(typeof fmin === 'number' && Number.isFinite(fmin) && fmin > 0, `${where}: fmin must be a positive number, got ${fmin}`);
  const key = `${sr}|${n_fft}|${nb}|${fmin}|${n_bands}|${quantile}`;
  let b = layoutCache.get(key);
  if (!b) {
    b = bandLayout(sr, n_fft, nb, fmin, n_bands, quantile);
    if (layoutCache.size > 16) layoutCache.clear();
    layoutCache.set(key, b);
  }
  return b;
}

/** In-place power_to_db(x, ref=1, amin=1e-10, top_db=80) over the whole array. */
function toDb(x: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = 10.0 * Math.log10(Math.max(1e-10, x[i]));
    if (!Number.isFinite(v)) throw new SerError('ENONFINITE', `spectral_contrast: the spectrogram contains non-finite values`);
    x[i] = v;
    if (v > max) max = v;
  }
  const floor = max - 80.0;
  for (let i = 0; i < x.length; i++) if (x[i] < floor) x[i] = floor;
}
