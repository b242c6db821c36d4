/**
 * Pitch tracking by parabolic interpolation and tuning estimation, as librosa 0.11 computes them
 * (librosa.piptrack, librosa.pitch_tuning, librosa.estimate_tuning).
 *
 * librosa runs these in float32 when the spectrogram is float32; the arithmetic here reproduces
 * the same float32 roundings (Math.fround) where they can move a histogram bin, so the
 * estimated tuning lands in the same 0.01-bin as librosa's.
 *
 * Browser-safe: typed arrays only.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { wasmPeakBins } from '../dsp/stft-wasm.js';
import { checkSr, resolveNfft } from './checks.js';

const fr = Math.fround;
const F32_TENTH = Math.fround(0.1);

export interface PiptrackOptions {
  /** Magnitude or power spectrogram, frame-major: shape (n_frames, 1 + n_fft/2). */
  S: Matrix;
  /** Sample rate in Hz. Default 22050. */
  sr?: number;
  /** FFT size; must satisfy ⌊n_fft/2⌋ + 1 = S.cols. Default 2·(S.cols − 1). */
  n_fft?: number;
  /** Lower frequency cutoff in Hz. Default 150. */
  fmin?: number;
  /** Upper frequency cutoff in Hz (clipped to sr/2). Default 4000. */
  fmax?: number;
  /** A bin is a pitch candidate when its value exceeds `threshold · ref(frame)`. Default 0.1. */
  threshold?: number;
  /**
   * Reference value. A number is used as-is (absolute, `threshold` is then ignored, as in librosa);
   * a function receives each frame's row (length n_bins) and its result is multiplied by
   * `threshold`. Default: the frame's maximum (librosa's `np.max`).
   */
  ref?: number | ((frame: Float32Array) => number);
}

/** Sparse piptrack result: one entry per detected peak, in frame order then bin order. */
interface Peaks {
  n: number;
  pitch: Float32Array;
  mag: Float32Array;
  frame: Int32Array;
  bin: Int32Array;
}

// Scratch buffers reused across calls (no per-call allocation once warm).
let scratch: Peaks = { n: 0, pitch: new Float32Array(4096), mag: new Float32Array(4096), frame: new Int32Array(4096), bin: new Int32Array(4096) };

function grow(p: Peaks): void {
  const cap = p.pitch.length * 2;
  const np: Peaks = { n: p.n, pitch: new Float32Array(cap), mag: new Float32Array(cap), frame: new Int32Array(cap), bin: new Int32Array(cap) };
  np.pitch.set(p.pitch);
  np.mag.set(p.mag);
  np.frame.set(p.frame);
  np.bin.set(p.bin);
  scratch = np;
}

/** max of x[off .. off+n), four independent running maxima. */
function rowMax(x: Float32Array, off: number, n: number): number {
  let m0 = -Infinity;
  let m1 = -Infinity;
  let m2 = -Infinity;
  let m3 = -Infinity;
  const end = off + n;
  let i = off;
  for (; i + 4 <= end; i += 4) {
    const a = x[i];
    const b = x[i + 1];
    const c = x[i + 2];
    const d = x[i + 3];
    if (a > m0) m0 = a;
    if (b > m1) m1 = b;
    if (c > m2) m2 = c;
    if (d > m3) m3 = d;
  }
  for (; i < end; i++) if (x[i] > m0) m0 = x[i];
  if (m1 > m0) m0 = m1;
  if (m2 > m0) m0 = m2;
  if (m3 > m0) m0 = m3;
  return m0;
}

/**
 * Finds the peaks librosa.piptrack reports, appending them to the module scratch buffers.
 * Returns the filled scratch (valid until the next call).
 */
function findPeaks(o: PiptrackOptions, where: string, rowMaxes?: Float32Array): Peaks {
  const S = o.S;
  const n_fft = resolveNfft(S, o.n_fft, where);
  const sr = o.sr ?? 22050;
  checkSr(sr, where);
  const threshold = o.threshold ?? 0.1;
  check(Number.isFinite(threshold), `${where}: threshold must be finite, got ${threshold}`);
  const fmin = Math.max(o.fmin ?? 150, 0);
  const fmax = Math.min(o.fmax ?? 4000, sr / 2);
  const nb = S.cols;
  // fft_frequencies = np.fft.rfftfreq(n_fft, 1/sr): k * (1 / (n_fft * (1/sr)))
  const val = 1 / (n_fft * (1 / sr));
  let kLo = nb;
  let kHi = -1; // inclusive range of bins with fmin <= f < fmax
  for (let k = 0; k < nb; k++) {
    const f = k * val;
    if (fmin <= f && f < fmax) {
      if (k < kLo) kLo = k;
      kHi = k;
    }
  }
  const ref = o.ref;
  const absRef = typeof ref === 'number' ? fr(Math.abs(ref)) : NaN;
  const thr32 = threshold === 0.1 ? F32_TENTH : fr(threshold);
  const data = S.data;
  let p = scratch;
  p.n = 0;
  if (kLo > kHi) return p;
  // localmax is never true at bin 0; the last bin is a max when it exceeds its left neighbour.
  const k0 = Math.max(kLo, 1);
  const k1 = kHi;
  const T = S.rows;
  if (rvScratch.length < T) rvScratch = new Float32Array(Math.max(T, 2 * rvScratch.length));
  const rvs = rvScratch;
  for (let t = 0; t < T; t++) {
    const off = t * nb;
    if (typeof ref === 'number') rvs[t] = absRef;
    else if (typeof ref === 'function') {
      const r = ref(data.subarray(off, off + nb));
      check(Number.isFinite(r), `${where}: ref function returned ${r}`);
      rvs[t] = fr(thr32 * fr(r));
    } else {
      rvs[t] = fr(thr32 * (rowMaxes ? rowMaxes[t] : rowMax(data, off, nb)));
    }
  }
  // x = S * (S > rv); a peak at k needs x[k] > 0, i.e. S[k] > rv: when S is resident in its memory
  // the WebAssembly kernel lists the bins that pass piptrack's whole peak test (peakAt checks
  // again, and interpolates); otherwise every bin above rv is tested here.
  const listed = wasmPeakBins(data, T, nb, k0, k1, rvs, { sr, n_fft });
  if (listed && listed.pitch && listed.mag) {
    // the kernel interpolated the peaks too
    const { bins, counts, pitch, mag } = listed;
    const n = bins.length;
    while (p.pitch.length < n) {
      grow(p);
      p = scratch;
    }
    p.pitch.set(pitch);
    p.mag.set(mag);
    p.bin.set(bins);
    let j = 0;
    for (let t = 0; t < T; t++) for (let c = counts[t]; c > 0; c--) p.frame[j++] = t;
    p.n = n;
  } else if (listed) {
    const { bins, counts } = listed;
    let j = 0;
    for (let t = 0; t < T; t++) {
      const off = t * nb;
      const rv = rvs[t];
      for (let c = counts[t]; c > 0; c--) peakAt(data, off, nb, bins[j++], rv, t, sr, n_fft);
    }
  } else {
    for (let t = 0; t < T; t++) {
      const off = t * nb;
      const rv = rvs[t];
      for (let k = k0; k <= k1; k++) if (data[off + k] > rv) peakAt(data, off, nb, k, rv, t, sr, n_fft);
    }
  }
  return scratch;
}

let rvScratch = new Float32Array(256);

/**
 * Appends the peak at bin k of the frame at `off` to the scratch buffers when piptrack reports one
 * there (S[k] > rv is given): x = S·(S > rv), peak when x[k] > x[k−1] and x[k] ≥ x[k+1] (the last bin:
 * x[k] > x[k−1]), with librosa's parabolic interpolation.
 */
function peakAt(data: Float32Array, off: number, nb: number, k: number, rv: number, t: number, sr: number, n_fft: number): void {
  const s = data[off + k];
  const sl = data[off + k - 1];
  const xl = sl > rv ? sl : 0;
  if (!(s > xl)) return;
  let sr1 = 0;
  if (k + 1 < nb) {
    sr1 = data[off + k + 1];
    const xr = sr1 > rv ? sr1 : 0;
    if (!(s >= xr)) return;
  }
  // Parabolic interpolation on S (librosa's _pi_stencil, float32 inputs, float64 arithmetic).
  let shift = 0;
  let avg: number;
  if (k + 1 < nb) {
    const a = fr(sr1 + sl) - 2 * s;
    const b = fr(sr1 - sl) / 2;
    shift = Math.abs(b) >= Math.abs(a) ? 0 : fr(-b / a);
    avg = b; // np.gradient interior: (S[k+1] - S[k-1]) / 2, exact in float32
  } else {
    avg = fr(s - sl); // last bin: no parabolic shift (edge), one-sided gradient
  }
  const dskew = fr(fr(0.5 * avg) * shift);
  let p = scratch;
  if (p.n === p.pitch.length) {
    grow(p);
    p = scratch;
  }
  const i = p.n++;
  p.pitch[i] = ((k + shift) * sr) / n_fft;
  p.mag[i] = s + dskew;
  p.frame[i] = t;
  p.bin[i] = k;
}
// Note on the `s > rv` shortcut: when x[k] = 0 the test x[k] > x[k-1] needs x[k-1] < 0, which
// would need a negative spectrogram value; piptrack takes |S| first, and we require S ≥ 0
// (magnitudes/powers), so skipping those bins is exact for valid input.

/**
 * librosa.piptrack(S=S, sr=sr, n_fft=n_fft, fmin, fmax, threshold, ref): instantaneous pitch (Hz)
 * and interpolated magnitude at every local spectral peak between fmin and fmax; zero elsewhere.
 * S must be non-negative (magnitude or power spectrogram).
 * Returns `pitches` and `magnitudes`, each shape (n_frames, n_bins) — librosa's (d, t) transposed.
 */
export function piptrack(o: PiptrackOptions): { pitches: Matrix; magnitudes: Matrix } {
  const p = findPeaks(o, 'piptrack');
  const { rows, cols } = o.S;
  const pitches = new Float32Array(rows * cols);
  const magnitudes = new Float32Array(rows * cols);
  for (let i = 0; i < p.n; i++) {
    const j = p.frame[i] * cols + p.bin[i];
    pitches[j] = p.pitch[i];
    magnitudes[j] = p.mag[i];
  }
  return { pitches: { rows, cols, data: pitches }, magnitudes: { rows, cols, data: magnitudes } };
}

export interface TuningOptions {
  /** Histogram resolution as a fraction of a bin, in (0, 1). Default 0.01 (cents). */
  resolution?: number;
  /** Bins per octave. Default 12. */
  bins_per_octave?: number;
}

function checkTuningOptions(resolution: number, bpo: number, where: string): void {
  check(typeof resolution === 'number' && resolution > 0 && resolution < 1, `${where}: resolution must lie in (0, 1), got ${resolution}`);
  check(typeof bpo === 'number' && Number.isFinite(bpo) && bpo > 0, `${where}: bins_per_octave must be positive, got ${bpo}`);
}

/**
 * Histogram argmax of residuals with numpy's np.histogram(residual, np.linspace(-0.5, 0.5, nb))
 * semantics (bins [e_i, e_{i+1}), last bin closed); returns the left edge of the first fullest bin.
 */
function histogramPeak(res: Float64Array | Float32Array, n: number, resolution: number): number {
  const nEdges = Math.ceil(1.0 / resolution) + 1;
  const div = nEdges - 1;
  const step = 1.0 / div;
  const edges = new Float64Array(nEdges);
  for (let i = 0; i < nEdges; i++) edges[i] = i * step + -0.5;
  edges[nEdges - 1] = 0.5;
  const counts = new Int32Array(div);
  for (let j = 0; j < n; j++) {
    const r = res[j];
    if (!(r >= -0.5 && r <= 0.5)) continue;
    let i = Math.floor((r + 0.5) * div);
    if (i > div - 1) i = div - 1;
    if (i < 0) i = 0;
    while (i > 0 && r < edges[i]) i--;
    while (i < div - 1 && r >= edges[i + 1]) i++;
    counts[i]++;
  }
  let best = 0;
  for (let i = 1; i < div; i++) if (counts[i] > counts[best]) best = i;
  return edges[best];
}

let resScratch = new Float64Array(4096);

/**
 * Residuals of `n` frequencies (Hz) against the equal-tempered grid at A440, in the float width
 * librosa would use for that input (float32 for a Float32Array, float64 otherwise).
 * Non-positive frequencies are dropped. Returns the count kept.
 */
function residuals(freqs: ArrayLike<number>, n: number, bpo: number, f32: boolean): number {
  if (resScratch.length < n) resScratch = new Float64Array(Math.max(n, resScratch.length * 2));
  const out = resScratch;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const f = freqs[i];
    if (!(f > 0)) continue;
    let r: number;
    if (f32) {
      // np.log2(f32 / 27.5) in float32, times bins_per_octave in float32, np.mod(., 1.0)
      const x = fr(bpo * fr(Math.log2(fr(f / 27.5))));
      r = x % 1;
      if (r < 0) r = fr(r + 1);
    } else {
      const x = bpo * Math.log2(f / 27.5);
      r = x % 1;
      if (r < 0) r = r + 1;
    }
    if (r >= 0.5) r -= 1.0;
    out[m++] = r;
  }
  return m;
}

/**
 * librosa.pitch_tuning(frequencies, resolution, bins_per_octave): the tuning offset, in fractions
 * of a bin relative to A440, found as the peak of a histogram of the frequencies' deviations from
 * the nearest bin. Returns a value in [-0.5, 0.5); 0 when no frequency is positive.
 * A Float32Array is processed in float32 as numpy would; other inputs in float64.
 */
export function pitchTuning(frequencies: Float64Array | Float32Array | number[], options: TuningOptions = {}): number {
  const resolution = options.resolution ?? 0.01;
  const bpo = options.bins_per_octave ?? 12;
  checkTuningOptions(resolution, bpo, 'pitch_tuning');
  for (let i = 0; i < frequencies.length; i++) {
    if (Number.isNaN(frequencies[i])) throw new SerError('ENONFINITE', `pitch_tuning: frequency ${i} is NaN`);
  }
  const m = residuals(frequencies, frequencies.length, bpo, frequencies instanceof Float32Array);
  if (m === 0) return 0.0;
  return histogramPeak(resScratch, m, resolution);
}

export interface EstimateTuningOptions extends TuningOptions {
  /** POWER spectrogram (as librosa.feature.chroma_stft passes it), frame-major (n_frames, 1 + n_fft/2). */
  S: Matrix;
  /** Sample rate in Hz. Default 22050. */
  sr?: number;
  /** FFT size; must match S. Default 2·(S.cols − 1). */
  n_fft?: number;
  /** Passed to piptrack. Defaults 150 / 4000 / 0.1. */
  fmin?: number;
  fmax?: number;
  threshold?: number;
  /**
   * Each frame's maximum of S (length n_frames), when already known (transientPowerSpectrogram
   * returns it); saves a pass over S. Must be exactly the row maxima.
   */
  rowMax?: Float32Array;
}

let magScratch = new Float32Array(4096);

/** k-th smallest (0-based) of a[0..n) by in-place quickselect; reorders a. */
function select(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    // median of three pivot
    const mid = (lo + hi) >> 1;
    let x = a[lo], y = a[mid], z = a[hi];
    if (x > y) { const t = x; x = y; y = t; }
    if (y > z) { y = z; }
    if (x > y) { y = x; }
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * np.median of a[0, n) (n ≥ 1) in float32 arithmetic: the middle element, or the float32 mean of
 * the two middle elements. Reorders a (quickselect). Shared by estimateTuning and the streaming
 * extractor's tuning.
 */
export function float32Median(a: Float32Array, n: number): number {
  const h = n >> 1;
  const hi = select(a, n, h);
  if (n & 1) return hi;
  let lo = -Infinity; // the (h−1)-th smallest: the largest of a[0, h) after the selection
  for (let i = 0; i < h; i++) if (a[i] > lo) lo = a[i];
  return Math.fround(Math.fround(lo + hi) / 2);
}

/**
 * librosa.estimate_tuning(S=S, sr=sr, n_fft=n_fft, bins_per_octave, resolution).
 * With S the POWER spectrogram (n_frames, 1 + n_fft/2) this is exactly the estimate
 * librosa.feature.chroma_stft makes internally (tuning=None); with S the MAGNITUDE spectrogram it
 * is librosa.estimate_tuning(y=y, sr=sr). The two can differ by several hundredths of a bin (the
 * 0.1·max threshold and the parabolic fit see different curves), so pass the power spectrogram
 * when the result feeds chromaStft.
 * Runs piptrack, keeps the peaks whose magnitude is at least the median peak magnitude, and returns
 * pitchTuning of their frequencies: a tuning offset in [-0.5, 0.5) bins (0 when there is no peak,
 * e.g. silence).
 */
export function estimateTuning(o: EstimateTuningOptions): number {
  const resolution = o.resolution ?? 0.01;
  const bpo = o.bins_per_octave ?? 12;
  checkTuningOptions(resolution, bpo, 'estimate_tuning');
  if (o.rowMax) check(o.rowMax.length === o.S.rows, `estimate_tuning: rowMax has ${o.rowMax.length} values for ${o.S.rows} frames`);
  const p = findPeaks({ S: o.S, sr: o.sr, n_fft: o.n_fft, fmin: o.fmin, fmax: o.fmax, threshold: o.threshold }, 'estimate_tuning', o.rowMax);
  // pitch_mask = pitch > 0
  if (magScratch.length < p.n) magScratch = new Float32Array(Math.max(p.n, magScratch.length * 2));
  let m = 0;
  for (let i = 0; i < p.n; i++) if (p.pitch[i] > 0) magScratch[m++] = p.mag[i];
  if (m === 0) return 0.0;
  const threshold = float32Median(magScratch, m);
  // Keep pitches with mag >= threshold & pitch > 0 (compacted in place into the scratch pitch array).
  let c = 0;
  const pitch = p.pitch;
  for (let i = 0; i < p.n; i++) {
    if (pitch[i] > 0 && p.mag[i] >= threshold) pitch[c++] = pitch[i];
  }
  const kept = residuals(pitch, c, bpo, true);
  if (kept === 0) return 0.0;
  return histogramPeak(resScratch, kept, resolution);
}
