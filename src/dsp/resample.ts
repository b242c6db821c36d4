/**
 * Band-limited resampling (browser-safe: typed arrays only).
 *
 * Method: a Kaiser-windowed sinc low-pass evaluated on a polyphase table.
 * - Rational ratios `target/orig = up/down` (both rates integers, `up` after reduction by the gcd
 *   at most `MAX_EXACT_PHASES`) use an exact polyphase filter bank: one row of taps per phase,
 *   e.g. 48000→22050 is up 147 / down 320, 48000→16000 is 1/3, 44100→22050 is 1/2.
 * - Any other real ratio (pitch shifting resamples from `sr / rate` to `sr`, rate = 2^(-n/12))
 *   uses a fine table of `FINE_PHASES` phases with linear interpolation between neighbouring
 *   phases (interpolation error below -100 dB).
 * Filter banks are cached per (ratio, design) so repeated calls pay only the convolution.
 *
 * Speed: where WebAssembly SIMD is available (Node, current browsers) every path runs in SIMD
 * kernels (src/dsp/resample-wasm.ts): long signals go through the two-stage path (FFT overlap-save
 * low-pass in float32, then a ~16-tap polyphase), short ones through the single-stage polyphase
 * (one f32x4 dot product per output, four outputs of the same phase per tap load). Long signals
 * down-sampled by a non-integer 7-smooth ratio (48000→22050, 44100→16000, …) take the
 * frequency-domain path instead (src/dsp/fft-resample-wasm.ts: the same low-pass and the rate
 * change in one overlap-save pass with a smaller inverse transform; ×0.6–0.75 the two-stage time).
 * Without WebAssembly the single- and two-stage paths run in JS (float64 FFT). All paths give the
 * same response: the frequency-domain and single-stage paths agree to ~115 dB on white noise, the
 * two-stage path with both to ~96 dB, the WebAssembly and JS versions of each path to > 130 dB.
 *
 * Timing convention (as librosa / soxr / scipy.signal.resample_poly): output sample m sits at
 * input time m·orig/target, so sample 0 of both signals is at t = 0; the signal is taken as zero
 * outside [0, n). Output length is ceil(n · target / orig).
 *
 * Default design ("hq"): the band edges of librosa's default resampler, soxr_hq — passband flat
 * (ripple < 0.001 dB) up to 0.913 of the lower Nyquist frequency, stopband from 1.0 of it, so
 * nothing aliases — with 100 dB stopband attenuation. On RAVDESS speech 48 kHz → 22050 / 16000 Hz
 * it is within 61 / 64 dB SNR of `sox rate -h` (same engine family as soxr_hq).
 * `quality: 'fast'` shortens the filters by letting the transition band alias onto itself
 * (passband 0.9, stopband from 1.1 · Nyquist, 70 dB).
 */
import FFT from 'fft.js';
import { check } from '../errors.js';
import { fftResampleBlockSize, fftResamplePlan, wasmFftResample, wasmFftResampleAvailable, type FftResamplePlan } from './fft-resample-wasm.js';
import {
  fftFitsMemory,
  fftKernel,
  kernelTable,
  twoStageFitsMemory,
  wasmFftLowpass,
  wasmPolyFine,
  wasmPolyRational,
  wasmResampleAvailable,
  wasmTwoStage,
  type FftKernel,
  type KernelTable,
} from './resample-wasm.js';

export interface ResampleOptions {
  /** Passband edge as a fraction of the lower Nyquist frequency (default 0.913, as soxr_hq). */
  passband?: number;
  /** Stopband edge as a fraction of the lower Nyquist frequency (default 1.0). */
  stopband?: number;
  /** Stopband attenuation in dB (default 100). */
  attenuation?: number;
  /** Preset: 'hq' (default: passband 0.913, stopband 1.0, 100 dB) or 'fast' (0.9, 1.1, 70 dB). */
  quality?: 'hq' | 'fast';
  /**
   * Path choice (all give the same response): false = single-stage polyphase; true = two-stage FFT
   * low-pass + short polyphase for long signals (the single stage for short ones); default = as
   * true, except that long signals down-sampled by a non-integer 7-smooth ratio take the
   * frequency-domain path when its WebAssembly kernel is available. Each runs in WebAssembly SIMD
   * when available, else in JS.
   */
  twoStage?: boolean;
  /**
   * Write the output into this array (length ≥ the output length) and return a view of it, instead
   * of allocating a new array: a caller resampling many clips can reuse one buffer (a fresh array of
   * a few hundred kB costs tens of µs in page faults). Must not overlap the input.
   */
  out?: Float32Array;
}

/** Largest reduced `up` factor served by an exact polyphase bank; above it the fine table is used. */
export const MAX_EXACT_PHASES = 1024;
/** Number of phases of the interpolated table used for arbitrary ratios. */
export const FINE_PHASES = 512;

interface Bank {
  /** Taps per phase (even). */
  K: number;
  /** Offset from the integer input position to the first tap: first tap index = i - half + 1. */
  half: number;
  /** Number of phase rows (exact: up; fine: FINE_PHASES + 1). */
  rows: number;
  taps: Float32Array;
  /** The same table padded for the WebAssembly kernel (built on first use). */
  kt?: KernelTable;
}

/**
 * A small cache keyed by a tuple of numbers (rates, band edges, attenuation, sizes), compared as
 * numbers: a lookup formats no strings (resample runs once per clip, and formatting float keys
 * cost more than the comparison). The oldest entry leaves when `max` are held.
 */
class NumberKeyedCache<T> {
  private readonly entries: { key: number[]; value: T }[] = [];
  constructor(private readonly max: number) {}
  get(key: number[], make: () => T): T {
    const es = this.entries;
    for (let i = es.length - 1; i >= 0; i--) {
      const k = es[i].key;
      let same = k.length === key.length;
      for (let j = 0; same && j < k.length; j++) same = k[j] === key[j];
      if (same) return es[i].value;
    }
    const value = make();
    if (es.length >= this.max) es.shift();
    es.push({ key, value });
    return value;
  }
}
const MAX_CACHE = 32;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

function design(opts: ResampleOptions | undefined): { fp: number; fs: number; att: number } {
  const fast = opts?.quality === 'fast';
  const fp = opts?.passband ?? (fast ? 0.9 : 0.913);
  const fs = opts?.stopband ?? (fast ? 1.1 : 1.0);
  const att = opts?.attenuation ?? (fast ? 70 : 100);
  check(fp > 0 && fp < fs && fs <= 2 - fp + 1e-9, `resample: need 0 < passband < stopband <= 2 - passband, got ${fp}, ${fs}`);
  check(att >= 20 && att <= 200, `resample: attenuation must be in [20, 200] dB, got ${att}`);
  return { fp, fs, att };
}

/**
 * Builds a polyphase tap table for a kernel with cut-off `fc` and transition width `df` (cycles
 * per input sample). Row r holds the taps for fractional position φ = r / phases; tap k multiplies
 * x[i − half + 1 + k] where i = floor(t), at continuous offset τ = φ + half − 1 − k.
 */
function buildBank(fc: number, df: number, att: number, phases: number, rows: number): Bank {
  const beta = kaiserBeta(att);
  const half = kaiserHalf(att, df);
  const K = 2 * half;
  const taps = new Float32Array(rows * K);
  const i0b = besselI0(beta);
  const row = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    const phi = r / phases;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = kernel(phi + half - 1 - k, fc, half, beta, i0b);
      row[k] = v;
      sum += v;
    }
    // Unit DC gain for every phase (removes the table's small phase-dependent gain ripple).
    const g = sum !== 0 ? 1 / sum : 0;
    for (let k = 0; k < K; k++) taps[r * K + k] = row[k] * g;
  }
  return { K, half, rows, taps };
}

/** Rational form up/down of target/orig when both are integers and up is small, else null. */
export function rationalRatio(orig_sr: number, target_sr: number): { up: number; down: number } | null {
  if (!Number.isInteger(orig_sr) || !Number.isInteger(target_sr)) return null;
  const g = gcd(orig_sr, target_sr);
  const up = target_sr / g;
  const down = orig_sr / g;
  return up <= MAX_EXACT_PHASES ? { up, down } : null;
}

/** Output length of `resample`: ceil(n · target / orig) (exact integer arithmetic when rational). */
export function resampledLength(n: number, orig_sr: number, target_sr: number): number {
  if (Number.isInteger(orig_sr) && Number.isInteger(target_sr)) {
    const g = gcd(orig_sr, target_sr);
    const up = target_sr / g;
    const down = orig_sr / g;
    const q = n * up;
    if (Number.isSafeInteger(q)) return Math.floor(q / down) + (q % down === 0 ? 0 : 1);
  }
  return Math.ceil(n * (target_sr / orig_sr));
}

/**
 * Resamples a mono signal from `orig_sr` to `target_sr` (Hz; any positive finite reals).
 * Input shape (n,), output shape (ceil(n · target_sr / orig_sr),). Returns a copy when the rates
 * are equal. With `opts.out` the result is a view of that array (see ResampleOptions.out).
 *
 * Long signals go through two stages: (1) the sharp anti-alias / anti-image low-pass is applied at
 * the input rate by FFT overlap-save (optionally producing a 2× oversampled signal), then (2) a
 * short polyphase kernel (about 10 taps) moves the now heavily oversampled signal to the target
 * rate. Short signals use the single-stage polyphase filter directly. Both give the same response.
 * Both run in the WebAssembly SIMD kernels when available (see the module comment).
 */
export function resample(y: Float32Array, orig_sr: number, target_sr: number, opts?: ResampleOptions): Float32Array {
  check(Number.isFinite(orig_sr) && orig_sr > 0, `resample: orig_sr must be a positive number, got ${orig_sr}`);
  check(Number.isFinite(target_sr) && target_sr > 0, `resample: target_sr must be a positive number, got ${target_sr}`);
  const d = design(opts);
  const n = y.length;
  const nOut = resampledLength(n, orig_sr, target_sr);
  const given = opts?.out;
  check(!given || given.length >= nOut, `resample: the out array holds ${given?.length} samples, the output needs ${nOut}`);
  check(!given || given.buffer !== y.buffer || given.byteOffset >= y.byteOffset + y.byteLength || y.byteOffset >= given.byteOffset + 4 * nOut, 'resample: the out array overlaps the input');
  if (orig_sr === target_sr && !given) return y.slice();
  const out = given ? given.subarray(0, nOut) : new Float32Array(nOut);
  if (orig_sr === target_sr) {
    out.set(y);
    return out;
  }
  if (n === 0) return out;
  const scale = Math.min(1, target_sr / orig_sr);
  const fc1 = 0.5 * scale * 0.5 * (d.fp + d.fs);
  const df1 = 0.5 * scale * (d.fs - d.fp);
  const half1 = kaiserHalf(d.att, df1);
  const direct = opts?.twoStage === false || n < 8 * half1 || half1 < 24;
  if (!direct && opts?.twoStage === undefined && target_sr < orig_sr && fftRateChange(y, orig_sr, target_sr, fc1, df1, d.att, out)) return out;
  if (direct) {
    const bank = polyBank(orig_sr, target_sr, fc1, df1, d.att);
    if (wasmPoly(y, orig_sr, target_sr, bank, out)) return out;
    // Single stage in JS: x[j] at xp[half + j].
    const xp = new Float32Array(n + 2 * bank.half + 2);
    xp.set(y, bank.half);
    runPoly(xp, bank.half, orig_sr, target_sr, bank, out);
    return out;
  }
  // Stage 1: low-pass at the input rate, oversampled by u (2 when the target is above half the input rate).
  const u = target_sr > 0.5 * orig_sr ? 2 : 1;
  const R1 = u * orig_sr;
  const nyqL = 0.5 * Math.min(orig_sr, target_sr);
  const fp2 = (d.fs * nyqL) / R1; // flat over all the band stage 1 lets through
  const fs2 = (R1 - d.fs * nyqL) / R1;
  const bank2 = polyBank(R1, target_sr, 0.5 * (fp2 + fs2), fs2 - fp2, d.att);
  const E = Math.ceil(bank2.half / u) + 2; // margin (input samples) needed around [0, n)
  const f1 = wasmStage1Kernel(y.length, fc1, df1, d.att, u, E);
  if (f1 && u === 1 && bank2.up > 0) {
    // both stages in the kernel's memory (the same samples as the two calls below)
    const kt = (bank2.bank.kt ??= kernelTable(bank2.taps, bank2.rows, bank2.K));
    if (twoStageFitsMemory(f1.k, kt, bank2.up, bank2.down) && wasmTwoStage(y, f1.k, f1.D, E, kt, bank2.half, bank2.up, bank2.down, out)) return out;
  }
  const zw = f1 ? wasmFftLowpass(y, f1.k, f1.D, E) : null;
  if (zw && wasmPoly(zw, R1, target_sr, bank2, out, u * E)) return out;
  const z = fftLowpass(y, fc1, df1, d.att, u, E);
  runPoly(z, u * E, R1, target_sr, bank2, out);
  return out;
}

/** Kaiser's length estimate → half-length (taps each side), at least 2. */
function kaiserHalf(att: number, df: number): number {
  return Math.max(2, Math.ceil(((att - 7.95) / (2.285 * 2 * Math.PI * df) + 1) / 2));
}

function kaiserBeta(att: number): number {
  return att > 50 ? 0.1102 * (att - 8.7) : att >= 21 ? 0.5842 * (att - 21) ** 0.4 + 0.07886 * (att - 21) : 0;
}

/** Windowed-sinc kernel value at continuous offset tau (input samples), window half-width W. */
function kernel(tau: number, fc: number, W: number, beta: number, i0b: number): number {
  const u = tau / W;
  if (Math.abs(u) >= 1) return 0;
  const x = 2 * fc * tau;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  return 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - u * u)) / i0b);
}

type RatioBank = Bank & { up: number; down: number; bank: Bank };

/** Filter banks by (up, down, fc, df, att); up = down = 0 for the fine table of arbitrary ratios. */
const banks = new NumberKeyedCache<RatioBank>(MAX_CACHE);

function polyBank(rIn: number, rOut: number, fc: number, df: number, att: number): RatioBank {
  const rat = rationalRatio(rIn, rOut);
  const up = rat ? rat.up : 0;
  const down = rat ? rat.down : 0;
  return banks.get([up, down, fc, df, att], () => {
    const bank = rat ? buildBank(fc, df, att, up, up) : buildBank(fc, df, att, FINE_PHASES, FINE_PHASES + 1);
    return { ...bank, up, down, bank };
  });
}

/**
 * Single-stage polyphase with the WebAssembly SIMD kernel: out[m] = Σ_j y[j] g(m·rIn/rOut − j).
 * Returns false (nothing written) when the kernel is unavailable.
 */
function wasmPoly(y: Float32Array, rIn: number, rOut: number, b: RatioBank, out: Float32Array, origin = 0): boolean {
  const kt = (b.bank.kt ??= kernelTable(b.taps, b.rows, b.K));
  return b.up > 0
    ? wasmPolyRational(y, kt, b.half, b.up, b.down, out, origin)
    : wasmPolyFine(y, kt, b.half, FINE_PHASES, rIn / rOut, out, origin);
}

interface WasmFft {
  k: FftKernel;
  D: number;
}
/** Stage-1 WebAssembly kernels by (fc, df, att, u, N); null where the kernel is unavailable. */
const wasmFftCache = new NumberKeyedCache<WasmFft | null>(MAX_CACHE);

/**
 * The FFT kernel of stage 1 in WebAssembly for a signal of n samples (same filter as fftLowpass:
 * phase v/u of the Kaiser kernel, taps at offsets −D .. D + 1, unit DC gain), or null without
 * WebAssembly; cached. FFT size: the power of
 * two ≥ 4L (the block then fits the L1 cache), smaller for short signals, and halved (down to 2L)
 * where that avoids growing the kernel's memory.
 */
function wasmStage1Kernel(n: number, fc: number, df: number, att: number, u: number, E: number): WasmFft | null {
  if (!wasmResampleAvailable()) return null;
  const D = kaiserHalf(att, df);
  const L = 2 * D + 2;
  let N = 256;
  while (N < 4 * L) N *= 2;
  while (N > 2 * L && N / 2 >= n + 2 * E + L) N /= 2;
  // a smaller FFT (still ≥ 2L) rather than growing the kernel's memory (see resample-wasm.ts)
  while (N / 2 >= 2 * L && N / 2 >= 256 && !fftFitsMemory(N, u)) N /= 2;
  return wasmFftCache.get([fc, df, att, u, N], () => {
    const phases: Float64Array[] = [];
    for (let v = 0; v < u; v++) phases.push(stage1Taps(fc, df, att, v / u));
    const k = fftKernel(phases, N);
    return k ? { k, D } : null;
  });
}

/**
 * The long low-pass of the two-stage path (and of the frequency-domain path), phase φ (input
 * samples): the Kaiser-windowed sinc with cut-off fc, half-length D = kaiserHalf(att, df), tap k
 * at offset k − D + φ (k < 2D + 2), scaled to unit DC gain. Shape (2D + 2,).
 */
function stage1Taps(fc: number, df: number, att: number, phi: number): Float64Array {
  const D = kaiserHalf(att, df);
  const beta = kaiserBeta(att);
  const i0b = besselI0(beta);
  const h = new Float64Array(2 * D + 2);
  let sum = 0;
  for (let k = 0; k < h.length; k++) sum += h[k] = kernel(k - D + phi, fc, D, beta, i0b);
  for (let k = 0; k < h.length; k++) h[k] /= sum;
  return h;
}

/**
 * Shortest output served by the frequency-domain path: below it the two-stage path was faster
 * (measured at 48000→22050 and 44100→16000, where they break even near 7000 outputs).
 */
const FFT_PATH_MIN_OUT = 8192;

/** Frequency-domain plans by (up, down, fc, df, att, block size m). */
const fftPlanCache = new NumberKeyedCache<FftResamplePlan | null>(MAX_CACHE);

/**
 * Down-sampling by a 7-smooth rational ratio in the frequency domain (src/dsp/fft-resample-wasm.ts):
 * the stage-1 low-pass (stage1Taps) applied and the rate changed in one overlap-save pass, no
 * polyphase stage. Returns false (nothing written) when the kernel is unavailable or the ratio or
 * length does not suit it.
 */
function fftRateChange(y: Float32Array, orig_sr: number, target_sr: number, fc: number, df: number, att: number, out: Float32Array): boolean {
  const rat = rationalRatio(orig_sr, target_sr);
  // integer ratios (up = 1) are cheaper on the two-stage path, whose second stage is then trivial;
  // so are short signals (the kernel transforms eight blocks per call)
  if (!rat || rat.up === 1 || out.length < FFT_PATH_MIN_OUT || !wasmResampleAvailable() || !wasmFftResampleAvailable()) return false;
  const D = kaiserHalf(att, df);
  const m = fftResampleBlockSize(rat.up, rat.down, D, D + 1, out.length);
  if (m === 0) return false;
  const plan = fftPlanCache.get([rat.up, rat.down, fc, df, att, m], () => fftResamplePlan(rat.up, rat.down, stage1Taps(fc, df, att, 0), D, m));
  return plan !== null && wasmFftResample(y, plan, out);
}

/**
 * Polyphase core: x[j] is at xp[base + j] (xp zero outside the signal, with at least bank.half
 * samples of margin on both sides); writes out[m] = Σ_j x[j] g(m·rIn/rOut − j).
 */
function runPoly(xp: Float32Array, base: number, rIn: number, rOut: number, bank: RatioBank, out: Float32Array): void {
  const { K, half, taps, up, down } = bank;
  const nOut = out.length;
  const o = base - half + 1; // xp index of tap 0 is o + i
  if (up > 0) {
    let i = 0;
    let p = 0;
    for (let m = 0; m < nOut; m++) {
      out[m] = dot(xp, o + i, taps, p * K, K);
      p += down;
      if (p >= up) {
        const q = Math.floor(p / up);
        i += q;
        p -= q * up;
      }
    }
    return;
  }
  const P = FINE_PHASES;
  const ratio = rIn / rOut;
  for (let m = 0; m < nOut; m++) {
    const t = m * ratio;
    const i = Math.floor(t);
    const pos = (t - i) * P;
    const r = Math.min(P - 1, Math.floor(pos));
    const a = pos - r;
    const s0 = dot(xp, o + i, taps, r * K, K);
    const s1 = dot(xp, o + i, taps, (r + 1) * K, K);
    out[m] = s0 + a * (s1 - s0);
  }
}

interface FftFilter {
  N: number;
  L: number;
  D: number;
  /** Per phase φ = v/u: the N-point DFT of h_φ, interleaved re/im. */
  H: Float64Array[];
  fft: FFT;
}
/** JS stage-1 filters by (fc, df, att, u, N). */
const fftCache = new NumberKeyedCache<FftFilter>(MAX_CACHE);

function fftFilter(fc: number, df: number, att: number, u: number, n: number): FftFilter {
  const D = kaiserHalf(att, df);
  const L = 2 * D + 2;
  let N = 256;
  while (N < 16 * L) N *= 2;
  while (N > 2 * L && N / 2 >= n + L) N /= 2;
  return fftCache.get([fc, df, att, u, N], () => {
    const fft = new FFT(N);
    const H: Float64Array[] = [];
    for (let v = 0; v < u; v++) {
      const taps = stage1Taps(fc, df, att, v / u);
      const h = new Float64Array(2 * N);
      for (let k = 0; k < L; k++) h[2 * k] = taps[k];
      const Hv = new Float64Array(2 * N);
      fft.transform(Hv, h);
      H.push(Hv);
    }
    return { N, L, D, H, fft };
  });
}

/**
 * Stage 1: z(τ) = Σ_j x[j] g(τ − j) for τ = −E + q/u, q = 0 .. u(n + 2E) − 1, returned with
 * z(τ) at index u(τ + E) (plus a zero tail). Overlap-save FFT convolution, two real blocks packed
 * into one complex transform.
 */
function fftLowpass(y: Float32Array, fc: number, df: number, att: number, u: number, E: number): Float32Array {
  const n = y.length;
  const { N, L, D, H, fft } = fftFilter(fc, df, att, u, n + 2 * E);
  const B = N - L + 1; // valid outputs (input-rate samples) per block
  const span = n + 2 * E;
  const z = new Float32Array(u * span + u * (E + 2));
  const nBlocks = Math.ceil(span / B);
  const data = new Float64Array(2 * N);
  const spec = new Float64Array(2 * N);
  const prod = new Float64Array(2 * N);
  const res = new Float64Array(2 * N);
  for (let b = 0; b < nBlocks; b += 2) {
    // Block b → real part, block b+1 → imaginary part.
    for (let c = 0; c < 2; c++) {
      const nb = -E + (b + c) * B;
      const s0 = nb - D - 1;
      // Samples s0 .. s0+N-1 of y (zero outside [0, n)); only the first and last blocks need the test.
      const lo = b + c < nBlocks ? Math.max(0, -s0) : N;
      const hi = b + c < nBlocks ? Math.min(N, n - s0) : N;
      let j = 0;
      for (; j < lo; j++) data[2 * j + c] = 0;
      for (let k = s0 + j; j < hi; j++, k++) data[2 * j + c] = y[k];
      for (; j < N; j++) data[2 * j + c] = 0;
    }
    fft.transform(spec, data);
    for (let v = 0; v < u; v++) {
      const Hv = H[v];
      for (let k = 0; k < 2 * N; k += 2) {
        const ar = spec[k];
        const ai = spec[k + 1];
        const br = Hv[k];
        const bi = Hv[k + 1];
        prod[k] = ar * br - ai * bi;
        prod[k + 1] = ar * bi + ai * br;
      }
      fft.inverseTransform(res, prod);
      for (let c = 0; c < 2; c++) {
        if (b + c >= nBlocks) break;
        const nb = -E + (b + c) * B;
        const q0 = nb + E; // time index offset of this block in z (input-rate units)
        const lim = Math.min(B, span - q0);
        for (let q = 0; q < lim; q++) z[u * (q0 + q) + v] = res[2 * (L - 1 + q) + c];
      }
    }
  }
  return z;
}

/** y with `half` zeros before and K zeros after, so every tap window is in range. */
function padded(y: Float32Array, half: number, K: number): Float32Array {
  const xp = new Float32Array(y.length + half + K + 1);
  xp.set(y, half);
  return xp;
}

function dot(x: Float32Array, xo: number, h: Float32Array, ho: number, K: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < K; k += 4) {
    s0 += x[xo + k] * h[ho + k];
    s1 += x[xo + k + 1] * h[ho + k + 1];
    s2 += x[xo + k + 2] * h[ho + k + 2];
    s3 += x[xo + k + 3] * h[ho + k + 3];
  }
  for (; k < K; k++) s0 += x[xo + k] * h[ho + k];
  return s0 + s1 + s2 + s3;
}
