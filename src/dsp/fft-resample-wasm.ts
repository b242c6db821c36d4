/**
 * Rational down-sampling in the frequency domain (fast convolution with two transform sizes), in
 * a WebAssembly SIMD kernel (asm/fft-resample.ts, built into fft-resample-wasm.generated.ts by
 * scripts/build-wasm.mjs). Browser-safe: typed arrays and WebAssembly only.
 *
 * For target/orig = up/down (reduced, up < down, both 7-smooth: 48000→22050 is 147/320), a block
 * of Nf = down·m input samples is transformed, multiplied by the spectrum of the resampler's
 * anti-alias low-pass h (the same Kaiser kernel as the two-stage path's first stage, taps at
 * offsets −D .. D + 1), and the bins below the output Nyquist frequency are inverse-transformed at
 * Ni = up·m points. Sample n' of that inverse is the band-limited interpolation of the filtered
 * block at input offset n'·down/up — output sample m of the signal when the block starts at a
 * multiple of `down`. Blocks overlap so that only outputs whose filter support lies inside the
 * block are kept (overlap-save). There is no second polyphase stage: the rate change is exact up to
 * the filter's stopband level, and the inverse transform is up/down the size of the forward one.
 *
 * The response is the two-stage path's first stage without its short second stage: on white noise
 * this path agrees with the exact single-stage polyphase FIR to ~115 dB, the two-stage path with
 * either to ~96 dB (tests: test/dsp/fft-resample.test.ts).
 *
 * Memory: a fixed 1 MB (never grown: a grow detaches ArrayBuffers and slows typed-array code in
 * the whole thread): the plan (radices, twiddles, filter bins), an input window of eight blocks, two
 * 4-lane complex work arrays and the output rows. The module is ~6 kB, so a browser main thread
 * must `loadFftResampleWasm()` first (a synchronous compile over 4 kB is refused there); until
 * then, and without WebAssembly SIMD, resample() uses its other paths.
 */
import { FFT_RESAMPLE_WASM_BASE64 } from './fft-resample-wasm.generated.js';
import { copyZeroPadded, wasmKernelModule } from './wasm-module.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  batch(win: number, stride: number, nf: number, pf: number, sf: number, twf: number, ni: number, pi: number, si: number, twi: number, hk: number, a: number, b: number, n0: number, cnt: number, out: number): void;
}

/** The module's fixed memory (build flags --initialMemory 16 --maximumMemory 16). */
const MEMORY_BYTES = 16 << 16;
/** Largest forward transform considered. */
const MAX_NF = 16384;
/** Blocks per kernel call: four complex transforms (f32x4 lanes) of two real blocks each. */
const BLOCKS = 8;

let heap = 0;
let f32: Float32Array | null = null;
let i32: Int32Array | null = null;
let disabled = false;
/** The plan whose tables are in the module's memory. */
let loaded: FftResamplePlan | null = null;

const fftResampleModule = wasmKernelModule<Exports>('fft-resample', FFT_RESAMPLE_WASM_BASE64, (e) => {
  if (e.memory.buffer.byteLength !== MEMORY_BYTES) return null;
  heap = (e.heapBase() + 15) & ~15;
  f32 = new Float32Array(e.memory.buffer);
  i32 = new Int32Array(e.memory.buffer);
  return e;
});

/** Turns this path off (true) or back on (false), e.g. to compare resample()'s paths. */
export function setWasmFftResampleDisabled(off: boolean): void {
  disabled = off;
}

/** True when the kernel is available (compiled, WebAssembly SIMD present) and enabled. */
export function wasmFftResampleAvailable(): boolean {
  return !disabled && fftResampleModule.get() !== null;
}

/** Current size in bytes of the module's memory (0 when unavailable); for tests. */
export function wasmFftResampleMemoryBytes(): number {
  const e = disabled ? null : fftResampleModule.get();
  return e ? e.memory.buffer.byteLength : 0;
}

/** Compiles the module asynchronously (for a browser main thread, which refuses a synchronous compile). */
export function loadFftResampleWasm(): Promise<boolean> {
  return fftResampleModule.load();
}

/** Everything the kernel needs for one ratio, filter and block size. */
export interface FftResamplePlan {
  up: number;
  down: number;
  /** Forward / inverse transform sizes (down·m, up·m). */
  nf: number;
  ni: number;
  /** Input samples between consecutive blocks (down·J) and outputs per block (up·J). */
  hopIn: number;
  hopOut: number;
  /** First kept inverse sample of a block, and the outputs written per block (hopOut rounded up to 4). */
  n0: number;
  cnt: number;
  /** Output index of block 0's first kept sample (≤ 0); block 0 starts at input index first·down/up − n0·down/up. */
  first: number;
  /** Radices of both transforms, their twiddles (f32 re, im pairs) and the filter's kept bins (÷ nf). */
  radF: Int32Array;
  radI: Int32Array;
  twF: Float32Array;
  twI: Float32Array;
  hk: Float32Array;
  /** Byte offsets of the layout in the module's memory. */
  lay: { PF: number; PI: number; TWF: number; TWI: number; HK: number; WIN: number; A: number; B: number; OUT: number; end: number };
}

/** Radices (4s first, then 2, 3, 5, 7) whose product is n, or null when n has another prime factor. */
export function fftRadices(n: number): number[] | null {
  const out: number[] = [];
  let r = n;
  while (r % 4 === 0) {
    out.push(4);
    r /= 4;
  }
  for (const p of [2, 3, 5, 7]) {
    while (r % p === 0) {
      out.push(p);
      r /= p;
    }
  }
  return r === 1 ? out : null;
}

/** Twiddles W_{L·p}^{±u·k} (k < L, u = 1 .. p − 1) of every stage, f32 (re, im) pairs. */
function twiddles(radices: number[], N: number, inverse: boolean): Float32Array {
  const out = new Float32Array(2 * N);
  let L = 1;
  let at = 0;
  const sign = inverse ? 1 : -1;
  for (const p of radices) {
    for (let k = 0; k < L; k++) {
      for (let u = 1; u < p; u++) {
        const a = (sign * 2 * Math.PI * u * k) / (L * p);
        out[at++] = Math.cos(a);
        out[at++] = Math.sin(a);
      }
    }
    L *= p;
  }
  return out.subarray(0, at);
}

function layoutFor(nf: number, ni: number, radF: number, radI: number, twF: number, twI: number, hopIn: number, cnt: number): FftResamplePlan['lay'] {
  const a16 = (x: number) => (x + 15) & ~15;
  const PF = heap;
  const PI = PF + a16(4 * radF);
  const TWF = PI + a16(4 * radI);
  const TWI = TWF + a16(4 * twF);
  const HK = TWI + a16(4 * twI);
  const WIN = HK + a16(8 * ni);
  const A = WIN + a16(4 * ((BLOCKS - 1) * hopIn + nf));
  const B = A + 32 * Math.max(nf, ni);
  const OUT = B + 32 * Math.max(nf, ni);
  return { PF, PI, TWF, TWI, HK, WIN, A, B, OUT, end: OUT + 4 * BLOCKS * cnt };
}

/**
 * The block size m (forward transform Nf = down·m) with the least estimated work for nOut outputs
 * of a resampling by up/down (reduced, up < down) with a low-pass whose taps sit at offsets
 * −D .. last; 0 when the kernel is unavailable, the sizes have a prime factor above 7 or no block
 * size fits the memory.
 */
export function fftResampleBlockSize(up: number, down: number, D: number, last: number, nOut: number): number {
  if (disabled || up >= down || !fftResampleModule.get()) return 0;
  let best = 0;
  let bestCost = Infinity;
  for (let m = 1; down * m <= MAX_NF; m++) {
    const nf = down * m;
    const ni = up * m;
    if (nf % 4 !== 0 || ni % 2 !== 0 || !fftRadices(nf) || !fftRadices(ni)) continue;
    const g = geometry(up, down, nf, ni, D, last);
    if (!g || layoutFor(nf, ni, 16, 16, 2 * nf, 2 * ni, g.hopIn, g.cnt).end > MEMORY_BYTES) continue;
    const batches = Math.ceil((nOut - g.first) / (BLOCKS * g.hopOut));
    const cost = batches * (nf * Math.log2(nf) + ni * Math.log2(ni) + 2 * nf);
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * The plan for resampling by up/down with block size m (from fftResampleBlockSize) and the
 * low-pass h (taps at offsets −D .. h.length − 1 − D, unit DC gain), or null when the kernel is
 * unavailable.
 */
export function fftResamplePlan(up: number, down: number, h: Float64Array, D: number, m: number): FftResamplePlan | null {
  if (!fftResampleModule.get()) return null;
  const nf = down * m;
  const ni = up * m;
  const g = geometry(up, down, nf, ni, D, h.length - 1 - D);
  const rf = fftRadices(nf);
  const ri = fftRadices(ni);
  if (!g || !rf || !ri) return null;
  const twF = twiddles(rf, nf, false);
  const twI = twiddles(ri, ni, true);
  // kept bins of h's nf-point spectrum, ÷ nf (the inverse transform is unscaled): bin k is
  // Σ_t h[t]·e^{−2πik(t − D)/nf}, summed with a rotating phasor started at offset −D
  const hk = new Float32Array(2 * ni);
  const half = ni / 2;
  for (let j = 0; j < ni; j++) {
    if (j === half) continue; // the output's Nyquist bin: in h's stopband, dropped
    const k = j < half ? j : j - ni + nf;
    const step = (-2 * Math.PI * k) / nf;
    const sr = Math.cos(step);
    const si = Math.sin(step);
    let pr = Math.cos(-D * step);
    let pi = Math.sin(-D * step);
    let re = 0;
    let im = 0;
    for (let t = 0; t < h.length; t++) {
      re += h[t] * pr;
      im += h[t] * pi;
      const r = pr * sr - pi * si;
      pi = pr * si + pi * sr;
      pr = r;
    }
    hk[2 * j] = re / nf;
    hk[2 * j + 1] = im / nf;
  }
  const lay = layoutFor(nf, ni, rf.length, ri.length, twF.length, twI.length, g.hopIn, g.cnt);
  if (lay.end > MEMORY_BYTES) return null;
  return { up, down, nf, ni, ...g, radF: Int32Array.from(rf), radI: Int32Array.from(ri), twF, twI, hk, lay };
}

/**
 * Block geometry: kept inverse samples n' sit at block offsets t = n'·down/up with the filter's
 * support [t − D − 2, t + last + 2] inside the block [0, nf) (one sample of margin each side for
 * the band-limited interpolation between integer offsets).
 */
function geometry(up: number, down: number, nf: number, ni: number, D: number, last: number): { hopIn: number; hopOut: number; n0: number; cnt: number; first: number } | null {
  const n0 = Math.ceil(((D + 2) * up) / down);
  const nMax = Math.floor(((nf - 3 - last) * up) / down);
  const J = Math.floor((nMax - n0 + 1) / up);
  if (J < 1) return null;
  const hopOut = up * J;
  const cnt = (hopOut + 3) & ~3;
  if (n0 + cnt > ni) return null;
  const first = n0 - up * Math.ceil(n0 / up);
  return { hopIn: down * J, hopOut, n0, cnt, first };
}

/**
 * Resamples y by plan.up / plan.down into out (length ceil(n·up/down) or less: the first
 * out.length samples), output m at input time m·down/up, y zero outside [0, n). Returns false
 * (nothing written) when the kernel is unavailable.
 */
export function wasmFftResample(y: Float32Array, plan: FftResamplePlan, out: Float32Array): boolean {
  if (disabled) return false;
  const e = fftResampleModule.get();
  if (!e || !f32 || !i32) return false;
  const mem = f32;
  const { lay, nf, ni, hopIn, hopOut, n0, cnt, up, down } = plan;
  if (loaded !== plan) {
    i32.set(plan.radF, lay.PF >> 2);
    i32.set(plan.radI, lay.PI >> 2);
    mem.set(plan.twF, lay.TWF >> 2);
    mem.set(plan.twI, lay.TWI >> 2);
    mem.set(plan.hk, lay.HK >> 2);
    loaded = plan;
  }
  const nOut = out.length;
  const winLen = (BLOCKS - 1) * hopIn + nf;
  const W = lay.WIN >> 2;
  const O = lay.OUT >> 2;
  // block b's first kept output is m = first + b·hopOut; it starts at input (first − n0)·down/up + b·hopIn
  let m = plan.first;
  let j0 = ((plan.first - n0) / up) * down;
  for (; m < nOut; m += BLOCKS * hopOut, j0 += BLOCKS * hopIn) {
    copyZeroPadded(mem, W, y, j0, winLen); // the window: y[j0 .. j0 + winLen), zero outside [0, n)
    e.batch(lay.WIN, hopIn, nf, lay.PF, plan.radF.length, lay.TWF, ni, lay.PI, plan.radI.length, lay.TWI, lay.HK, lay.A, lay.B, n0, cnt, lay.OUT);
    for (let blk = 0; blk < BLOCKS; blk++) {
      const mb = m + blk * hopOut;
      const lo = Math.max(0, -mb);
      const hi = Math.min(hopOut, nOut - mb);
      if (hi <= lo) continue;
      out.set(mem.subarray(O + blk * cnt + lo, O + blk * cnt + hi), mb + lo);
    }
  }
  return true;
}
