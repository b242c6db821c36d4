/**
 * Chroma filterbank and STFT chromagram, as librosa 0.11 computes them
 * (librosa.filters.chroma, librosa.feature.chroma_stft).
 *
 * Browser-safe: typed arrays only.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { estimateTuning } from './tuning.js';
import { wasmChromaBank, wasmChromaNormInf, wasmChromaSparse, wasmStftAvailable, type ChromaSegments } from '../dsp/stft-wasm.js';
import { checkSr, resolveNfft } from './checks.js';

export interface ChromaFilterOptions {
  /** Sample rate in Hz. */
  sr: number;
  /** FFT size. */
  n_fft: number;
  /** Number of chroma bins. Default 12. */
  n_chroma?: number;
  /** Tuning deviation from A440 in fractions of a chroma bin. Default 0. */
  tuning?: number;
  /** Centre of the octave-dominance Gaussian, in octaves above C0 (27.5/16·…). Default 5. */
  ctroct?: number;
  /** Width (std, octaves) of the octave-dominance Gaussian; null disables it. Default 2. */
  octwidth?: number | null;
  /** Column normalisation norm (librosa.util.normalize); null for none. Default 2. */
  norm?: number | null;
  /** Start the chroma axis at C (true) or A (false). Default true. */
  base_c?: boolean;
}

function checkInt(x: unknown, min: number, name: string, where: string): asserts x is number {
  check(typeof x === 'number' && Number.isInteger(x) && x >= min, `${where}: ${name} must be an integer ≥ ${min}, got ${x}`);
}

/**
 * librosa.filters.chroma(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c), float64
 * arithmetic, cast to float32 like librosa's default dtype.
 * Returns shape (n_chroma, 1 + ⌊n_fft/2⌋) — the same orientation as librosa (it is a filterbank,
 * not a time-varying feature).
 */
export function chromaFilterbank(o: ChromaFilterOptions): Matrix {
  const where = 'chroma filterbank';
  const sr = o.sr;
  const n_fft = o.n_fft;
  const n_chroma = o.n_chroma ?? 12;
  const tuning = o.tuning ?? 0;
  const ctroct = o.ctroct ?? 5.0;
  const octwidth = o.octwidth === undefined ? 2 : o.octwidth;
  const norm = o.norm === undefined ? 2 : o.norm;
  const base_c = o.base_c ?? true;
  check(typeof sr === 'number' && Number.isFinite(sr) && sr > 0, `${where}: sample rate must be a positive number, got ${sr}`);
  checkInt(n_fft, 2, 'n_fft', where);
  checkInt(n_chroma, 1, 'n_chroma', where);
  check(Number.isFinite(tuning), `${where}: tuning must be finite, got ${tuning}`);
  check(Number.isFinite(ctroct), `${where}: ctroct must be finite, got ${ctroct}`);
  check(octwidth === null || (Number.isFinite(octwidth) && octwidth !== 0), `${where}: octwidth must be a non-zero number or null, got ${octwidth}`);
  check(norm === null || (typeof norm === 'number' && (norm > 0 || norm === -Infinity)), `${where}: unsupported norm ${norm}`);

  const { frq, width, half, nOut } = chromaAxes(sr, n_fft, n_chroma, tuning);
  const col = new Float64Array(n_chroma);
  const shiftRows = base_c ? 3 * Math.floor(n_chroma / 12) : 0;
  const out = new Float32Array(n_chroma * nOut);
  const tenN = 10 * n_chroma;
  for (let k = 0; k < nOut; k++) {
    const fk = frq[k];
    const wk = width[k];
    for (let c = 0; c < n_chroma; c++) {
      const x = fk - c + half + tenN;
      const d = pyMod(x, n_chroma) - half;
      const z = (2 * d) / wk;
      col[c] = Math.exp(-0.5 * z * z);
    }
    if (norm !== null) {
      let len: number;
      if (norm === Infinity) {
        len = 0;
        for (let c = 0; c < n_chroma; c++) len = Math.max(len, Math.abs(col[c]));
      } else if (norm === -Infinity) {
        len = Infinity;
        for (let c = 0; c < n_chroma; c++) len = Math.min(len, Math.abs(col[c]));
      } else {
        let s = 0;
        // x·x is what Math.pow(x, 2) returns (fdlibm's pow special-cases y = 2), at a fraction of the cost
        if (norm === 2) for (let c = 0; c < n_chroma; c++) s += col[c] * col[c];
        else for (let c = 0; c < n_chroma; c++) s += Math.pow(Math.abs(col[c]), norm);
        len = norm === 2 ? Math.sqrt(s) : Math.pow(s, 1.0 / norm);
      }
      if (len < 2.2250738585072014e-308) len = 1.0;
      for (let c = 0; c < n_chroma; c++) col[c] = col[c] / len;
    }
    let oct = 1;
    if (octwidth !== null) {
      const u = (frq[k] / n_chroma - ctroct) / octwidth;
      oct = Math.exp(-0.5 * u * u);
    }
    for (let c = 0; c < n_chroma; c++) {
      // np.roll(wts, -shiftRows, axis=0): row c takes old row (c + shiftRows) mod n_chroma
      const src = (c + shiftRows) % n_chroma;
      out[c * nOut + k] = col[src] * oct;
    }
  }
  return { rows: n_chroma, cols: nOut, data: out };
}

/**
 * The per-bin axes of librosa.filters.chroma: frq[k] = n_chroma·log2(f_k / (A440/16)) (bin 0: bin 1's
 * − 1.5·n_chroma), width[k] = max(frq[k+1] − frq[k], 1), the half-width rint(n_chroma / 2), and the
 * number of output bins 1 + ⌊n_fft/2⌋.
 */
function chromaAxes(sr: number, n_fft: number, n_chroma: number, tuning: number): { frq: Float64Array; width: Float64Array; half: number; nOut: number } {
  // frequencies = linspace(0, sr, n_fft, endpoint=False)[1:]; frqbins = n_chroma * hz_to_octs(f, tuning, n_chroma)
  const A440 = 440.0 * Math.pow(2.0, tuning / n_chroma);
  const ref = A440 / 16;
  const step = sr / n_fft;
  const nOut = Math.floor(1 + n_fft / 2);
  // only the first nOut bins are used (width[k] needs frq[k + 1])
  const nf = Math.min(n_fft, nOut + 1);
  const frq = new Float64Array(nf);
  for (let k = 1; k < nf; k++) frq[k] = n_chroma * Math.log2((k * step) / ref);
  frq[0] = frq[1] - 1.5 * n_chroma;
  const width = new Float64Array(nf);
  for (let k = 0; k < nf - 1; k++) width[k] = Math.max(frq[k + 1] - frq[k], 1.0);
  width[nf - 1] = 1; // librosa's last width (read only when nf = n_fft, i.e. n_fft ≤ 3)
  return { frq, width, half: roundHalfEven(n_chroma / 2), nOut };
}

/**
 * Python's x % n for a positive integer n, exactly as `r = x % n; if (r !== 0 && r < 0) r += n`
 * computes it, without fmod (a slow call in V8): for a = |x| < 2^52, a − ⌊a/n⌋·n is exact (an integer
 * multiple of n subtracted) and equals fmod(a, n) once a quotient rounded up to an integer is
 * corrected by +n; fmod(x, n) = −fmod(|x|, n) for negative x.
 */
function pyMod(x: number, n: number): number {
  const a = Math.abs(x);
  if (!(a < 4503599627370496)) {
    let r = x % n;
    if (r !== 0 && r < 0) r += n;
    return r;
  }
  let f = a - Math.floor(a / n) * n;
  if (f < 0) f += n;
  return x < 0 && f !== 0 ? n - f : f;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The filterbank as row-wise sparse lists (CSR by chroma row), dropping weights below
 * SPARSE_EPS × that frequency bin's largest weight. Since every bin's largest weight w_k satisfies
 * max_c raw_c ≥ (1/n_chroma)·Σ_k w_k·S_k, the dropped terms change any chroma value by at most
 * n_chroma·SPARSE_EPS relative to the frame's maximum (1.2e-7 for 12 bins): far below float32
 * resolution of the inf-normalised output.
 */
interface SparseBank {
  n_chroma: number;
  nBins: number;
  /** The full bank stored bin-major (W[c, k] at k·n_chroma + c), for the SIMD kernel. */
  binMajor: Float32Array;
  /** CSR lists for the JS projection, built from binMajor on first use (the SIMD path never needs them). */
  csr: { rowPtr: Int32Array; bins: Int32Array; weights: Float32Array } | null;
  /** Segments for the SIMD projection (12 chroma bins), built from binMajor on first use. */
  segments: ChromaSegments | null;
}
const SPARSE_EPS = 1e-8;
/**
 * The SIMD projection keeps, per bin, a window of 8 consecutive chroma (mod 12) holding every weight
 * ≥ SEGMENT_EPS × the bin's largest (6–7 of 12 above the lowest bins at n_fft 2048): by the bound
 * above, the dropped terms move a chroma value by at most 12·SEGMENT_EPS of the frame's maximum.
 */
const SEGMENT_EPS = 1e-9;

function toBank(fb: Matrix): SparseBank {
  const { rows, cols, data } = fb;
  const binMajor = new Float32Array(rows * cols);
  for (let c = 0; c < rows; c++) for (let k = 0; k < cols; k++) binMajor[k * rows + c] = data[c * cols + k];
  return { n_chroma: rows, nBins: cols, binMajor, csr: null, segments: null };
}

/**
 * The bank as ChromaSegments (12 chroma bins): runs of ≤ 64 consecutive bins sharing one 8-chroma
 * window (a bin keeps the previous bin's window while it holds all the bin's weights ≥ SEGMENT_EPS of
 * its largest, so runs are long: ~17 segments at n_fft 2048), or with all 12 weights where no
 * window holds them (the lowest bins).
 */
function segmentsOf(bank: SparseBank): ChromaSegments {
  if (bank.segments) return bank.segments;
  const { nBins: nb, binMajor: W } = bank;
  const packed = new Float32Array(12 * nb);
  const segs = new Int32Array(4 * nb);
  let nSegs = 0;
  let off = 0;
  let cur = -2;
  let len = 0;
  for (let k = 0; k < nb; k++) {
    const w0 = k * 12;
    // (the weights are ≥ 0: Gaussians times positive factors)
    let colMax = 0;
    for (let c = 0; c < 12; c++) {
      const v = W[w0 + c];
      if (v > colMax) colMax = v;
    }
    const eps = SEGMENT_EPS * colMax;
    let mask = 0; // bit c: chroma c's weight counts
    for (let c = 0; c < 12; c++) {
      const v = W[w0 + c];
      if (v !== 0 && v >= eps) mask |= 1 << c;
    }
    // the window [s0, s0 + 8) (mod 12) holds the mask when the mask rotated down by s0 has no bit ≥ 8
    const doubled = mask | (mask << 12);
    let c0 = -1;
    if (cur >= 0 && ((doubled >> cur) & 0xf00) === 0) c0 = cur;
    else for (let s0 = 0; s0 < 12; s0++) if (((doubled >> s0) & 0xf00) === 0) {
      c0 = s0;
      break;
    }
    if (c0 !== cur || len === 64) {
      segs[4 * nSegs] = k;
      segs[4 * nSegs + 2] = c0;
      segs[4 * nSegs + 3] = off;
      nSegs++;
      cur = c0;
      len = 0;
    }
    if (c0 >= 0) {
      for (let l = 0; l < 8; l++) {
        const c = c0 + l;
        packed[off++] = W[w0 + (c < 12 ? c : c - 12)];
      }
    } else for (let c = 0; c < 12; c++) packed[off++] = W[w0 + c];
    segs[4 * nSegs - 3] = ++len;
  }
  return (bank.segments = { packed: packed.slice(0, off), segs: segs.slice(0, 4 * nSegs) });
}

function csrOf(bank: SparseBank): NonNullable<SparseBank['csr']> {
  if (bank.csr) return bank.csr;
  const { n_chroma: rows, nBins: cols, binMajor } = bank;
  const w = (c: number, k: number) => binMajor[k * rows + c];
  const colMax = new Float64Array(cols);
  for (let c = 0; c < rows; c++) for (let k = 0; k < cols; k++) colMax[k] = Math.max(colMax[k], Math.abs(w(c, k)));
  let nnz = 0;
  for (let c = 0; c < rows; c++) for (let k = 0; k < cols; k++) if (Math.abs(w(c, k)) >= SPARSE_EPS * colMax[k] && w(c, k) !== 0) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const bins = new Int32Array(nnz);
  const weights = new Float32Array(nnz);
  let j = 0;
  for (let c = 0; c < rows; c++) {
    rowPtr[c] = j;
    for (let k = 0; k < cols; k++) {
      const v = w(c, k);
      if (Math.abs(v) >= SPARSE_EPS * colMax[k] && v !== 0) {
        bins[j] = k;
        weights[j] = v;
        j++;
      }
    }
  }
  rowPtr[rows] = j;
  return (bank.csr = { rowPtr, bins, weights });
}

// LRU cache of filterbanks. The tuning chroma_stft estimates lies on a 0.01 grid in [−0.5, 0.5),
// i.e. at most 100 values: caching all of them (≈ 49 kB each at n_fft 2048, ≈ 5 MB) avoids
// rebuilding a bank (1025 × 13 exponentials) for most clips of a dataset.
const CACHE_MAX = 100;
const bankCache = new Map<string, SparseBank>();

function sparseBank(sr: number, n_fft: number, n_chroma: number, tuning: number): SparseBank {
  const key = `${sr}|${n_fft}|${n_chroma}|${tuning}`;
  let b = bankCache.get(key);
  if (b) {
    bankCache.delete(key);
    bankCache.set(key, b);
    return b;
  }
  // the default filterbank (ctroct 5, octwidth 2, L2 norms, base C) built by the kernel when
  // available: the same float32 weights at a small fraction of the cost (a bank per new tuning)
  const ax = wasmStftAvailable() ? chromaAxes(sr, n_fft, n_chroma, tuning) : null;
  const wasmBank = ax ? wasmChromaBank(ax.frq, ax.width, ax.nOut, n_chroma, ax.half, 5.0, 2, 3 * Math.floor(n_chroma / 12)) : null;
  b = wasmBank ? { n_chroma, nBins: ax!.nOut, binMajor: wasmBank, csr: null, segments: null } : toBank(chromaFilterbank({ sr, n_fft, n_chroma, tuning }));
  bankCache.set(key, b);
  if (bankCache.size > CACHE_MAX) bankCache.delete(bankCache.keys().next().value as string);
  return b;
}

export interface ChromaStftOptions {
  /** POWER spectrogram, frame-major: shape (n_frames, 1 + n_fft/2). */
  S: Matrix;
  /** Sample rate in Hz. Default 22050. */
  sr?: number;
  /** FFT size; must match S. Default 2·(S.cols − 1). */
  n_fft?: number;
  /** Tuning deviation in fractions of a chroma bin; estimated with estimateTuning when undefined. */
  tuning?: number;
  /** Number of chroma bins. Default 12. */
  n_chroma?: number;
  /** Per-frame normalisation norm (librosa.util.normalize, fill=None); null for none. Default Infinity. */
  norm?: number | null;
}

const F32_TINY = 1.1754943508222875e-38;

// WebAssembly SIMD projection for n_chroma = 12 (the feature kernels' module; JS when unavailable).
let kernelEnabled = true;

/**
 * Which projection chromaStft uses for 12 chroma bins: 'wasm-simd' or 'js'. Passing `enable`
 * switches the SIMD kernel on or off (tests compare both paths with librosa).
 */
export function chromaBackend(enable?: boolean): 'wasm-simd' | 'js' {
  if (enable !== undefined) kernelEnabled = enable;
  return kernelEnabled && wasmStftAvailable() ? 'wasm-simd' : 'js';
}

let rawBuf = new Float64Array(0);
function projectScratch(n: number): Float64Array {
  if (rawBuf.length < n) rawBuf = new Float64Array(Math.max(n, 2 * rawBuf.length));
  return rawBuf;
}

/**
 * raw[t·n_chroma + c] = Σ_k bank[c, k] · S[t, k] for T frames. Four frames are done per pass over
 * the sparse rows, so each weight/index load serves four independent accumulators.
 */
function project(bank: SparseBank, data: Float32Array, nb: number, T: number, raw: Float64Array): void {
  const nc = bank.n_chroma;
  const { rowPtr, bins, weights } = csrOf(bank);
  let t = 0;
  for (; t + 4 <= T; t += 4) {
    const o0 = t * nb;
    const o1 = o0 + nb;
    const o2 = o1 + nb;
    const o3 = o2 + nb;
    for (let c = 0; c < nc; c++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const e = rowPtr[c + 1];
      for (let j = rowPtr[c]; j < e; j++) {
        const w = weights[j];
        const b = bins[j];
        s0 += w * data[o0 + b];
        s1 += w * data[o1 + b];
        s2 += w * data[o2 + b];
        s3 += w * data[o3 + b];
      }
      raw[t * nc + c] = s0;
      raw[(t + 1) * nc + c] = s1;
      raw[(t + 2) * nc + c] = s2;
      raw[(t + 3) * nc + c] = s3;
    }
  }
  for (; t < T; t++) {
    const o0 = t * nb;
    for (let c = 0; c < nc; c++) {
      let s0 = 0;
      const e = rowPtr[c + 1];
      for (let j = rowPtr[c]; j < e; j++) s0 += weights[j] * data[o0 + bins[j]];
      raw[t * nc + c] = s0;
    }
  }
}

/**
 * librosa.feature.chroma_stft(S=S, sr=sr, n_fft=n_fft, tuning, n_chroma, norm) for a POWER
 * spectrogram S (n_frames, 1 + n_fft/2). The default filterbank (ctroct 5, octwidth 2, L2 columns,
 * base C) is applied, then each frame is normalised; frames whose norm is below float32's
 * smallest normal number (e.g. silence) are left un-normalised, as librosa's fill=None does.
 * Returns shape (n_frames, n_chroma).
 */
export function chromaStft(o: ChromaStftOptions): Matrix {
  const where = 'chroma_stft';
  const S = o.S;
  const n_fft = resolveNfft(S, o.n_fft, where);
  const sr = o.sr ?? 22050;
  checkSr(sr, where);
  const n_chroma = o.n_chroma ?? 12;
  checkInt(n_chroma, 1, 'n_chroma', where);
  const norm = o.norm === undefined ? Infinity : o.norm;
  check(norm === null || (typeof norm === 'number' && (norm > 0 || norm === -Infinity)), `${where}: unsupported norm ${norm}`);
  const tuning = o.tuning ?? estimateTuning({ S, sr, n_fft, bins_per_octave: n_chroma });
  check(Number.isFinite(tuning), `${where}: tuning must be finite, got ${tuning}`);

  const bank = sparseBank(sr, n_fft, n_chroma, tuning);
  const nb = S.cols;
  const data = S.data;
  const out = new Float32Array(S.rows * n_chroma);
  const T = S.rows;
  const raw = projectScratch(T * n_chroma);
  if (n_chroma === 12 && kernelEnabled && norm === Infinity) {
    // projection and the per-frame ∞-normalisation in the kernel
    const r = wasmChromaNormInf(segmentsOf(bank), data, T, nb, out);
    if (r !== null && r >= 0) throw new SerError('ENONFINITE', `${where}: frame ${r} of the spectrogram contains non-finite values`);
    if (r !== null) return { rows: S.rows, cols: n_chroma, data: out };
  }
  const simd = n_chroma === 12 && kernelEnabled && wasmChromaSparse(segmentsOf(bank), data, T, nb, raw);
  if (!simd) project(bank, data, nb, T, raw);
  for (let t = 0; t < T; t++) {
    const o2 = t * n_chroma;
    let len = 0;
    let total = 0;
    for (let c = 0; c < n_chroma; c++) {
      const v = Math.fround(raw[o2 + c]); // librosa's projection is float32
      raw[o2 + c] = v;
      total += v;
    }
    if (!Number.isFinite(total)) {
      throw new SerError('ENONFINITE', `${where}: frame ${t} of the spectrogram contains non-finite values`);
    }
    if (norm === Infinity) {
      for (let c = 0; c < n_chroma; c++) {
        const a = Math.abs(raw[o2 + c]);
        if (a > len) len = a;
      }
    } else if (norm === -Infinity) {
      len = Infinity;
      for (let c = 0; c < n_chroma; c++) len = Math.min(len, Math.abs(raw[o2 + c]));
    } else if (norm !== null) {
      for (let c = 0; c < n_chroma; c++) len += Math.pow(Math.abs(raw[o2 + c]), norm);
      len = Math.pow(len, 1 / norm);
    }
    if (norm === null || len < F32_TINY) len = 1;
    for (let c = 0; c < n_chroma; c++) out[o2 + c] = raw[o2 + c] / len;
  }
  return { rows: S.rows, cols: n_chroma, data: out };
}
