/**
 * WebAssembly (SIMD) inner loops of the polyphase resampler (src/dsp/resample.ts): one f32x4 dot
 * product of K taps per output sample, for exact rational banks and for the interpolated fine
 * table, and the float32 FFT overlap-save low-pass of the two-stage path. The module (just under
 * 4 kB — the limit for synchronous compilation on a browser's main thread; a test checks it — built
 * from asm/resample.ts by scripts/build-wasm.mjs) is compiled synchronously on first use.
 * Where WebAssembly or its SIMD extension is missing the functions here return false (or null)
 * and the caller uses its JS code. Browser-safe: no Node APIs.
 *
 * Memory: the tap table of the bank in use (or the FFT tables), then an input window and an output
 * block; a long signal is processed in blocks, so the memory stays small whatever the signal
 * length. Blocks are sized to fit the module's initial 128 kB (2 pages; 48 kHz / 44.1 kHz →
 * 22050 / 16000 / 8000 Hz run both stages in it — wasmTwoStage — and the usual up-sampling ratios
 * fit too), and the memory grows only for a table that cannot fit (a fine
 * table for an arbitrary ratio, a single-stage bank of a large ratio). Growing a WebAssembly
 * memory detaches its ArrayBuffer, which makes V8 add detach checks to typed-array accesses for
 * the rest of the process (measured here: a plain Float32Array loop 2.5× slower), so the common
 * paths avoid it.
 */
import { RESAMPLE_WASM_BASE64 } from './resample-wasm.generated.js';
import { copyZeroPadded, wasmKernelModule } from './wasm-module.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  polyRational4(x: number, taps: number, K: number, up: number, down: number, nGroups: number, out: number): void;
  polyRational4x16(x: number, taps: number, up: number, down: number, nGroups: number, out: number): void;
  fftForward(re: number, im: number, tw: number, N: number): void;
  fftInverse(re: number, im: number, tw: number, N: number): void;
  cmul(re: number, im: number, hre: number, him: number, ore: number, oim: number, N: number): void;
  polyFine(x: number, taps: number, K: number, P: number, t0: number, step: number, nOut: number, out: number): void;
}

/** Outputs per kernel call (at most; fewer where the module's initial memory holds less). */
const BLOCK = 4096;
/** Largest tap table (bytes) served by the kernel; larger banks use the JS loop. */
export const WASM_MAX_TABLE_BYTES = 16 << 20;

let disabled = false;
let heap = 0;
/** Size of the module's memory when instantiated (its initial pages). */
let initialBytes = 0;
let f32: Float32Array | null = null;
/** Identity of the tables currently at the start of the heap (a tap table or an FFT kernel). */
let loaded: object | null = null;
/** The stage-2 table the fused two-stage path last placed after the FFT tables (null: none). */
let loadedBank: KernelTable | null = null;

const resampleModule = wasmKernelModule<Exports>('resample', RESAMPLE_WASM_BASE64, (e) => {
  heap = (e.heapBase() + 15) & ~15;
  initialBytes = e.memory.buffer.byteLength;
  reserve(e, 0);
  return e;
});
const load = (): Exports | null => resampleModule.get();

/**
 * Bytes after the heap base in the module's INITIAL memory. Block sizes derive from this fixed
 * figure, not from the current size, so results never depend on what ran before in the process
 * (the fine-table path's output moves at the float-rounding level with its block size).
 */
function room(): number {
  return initialBytes - heap;
}

const align16 = (x: number) => (x + 15) & ~15;

function reserve(e: Exports, bytes: number): void {
  const have = e.memory.buffer.byteLength;
  if (bytes > have) e.memory.grow(Math.ceil((bytes - have) / 65536));
  if (!f32 || f32.buffer !== e.memory.buffer) f32 = new Float32Array(e.memory.buffer);
}

/** Turns the WebAssembly kernel off (true) or back on (false), e.g. to compare both paths. */
export function setWasmResampleDisabled(off: boolean): void {
  disabled = off;
}

/** True when the WebAssembly kernel is available and enabled. */
export function wasmResampleAvailable(): boolean {
  return !disabled && load() !== null;
}

/** A tap table laid out for the kernel: rows of Kp taps (K real taps, zero padded to a multiple of 16). */
export interface KernelTable {
  rows: number;
  Kp: number;
  data: Float32Array;
}

/** Pads each row of a rows × K table to a multiple of 16 taps. */
export function kernelTable(taps: Float32Array, rows: number, K: number): KernelTable {
  const Kp = (K + 15) & ~15;
  const data = new Float32Array(rows * Kp);
  for (let r = 0; r < rows; r++) data.set(taps.subarray(r * K, r * K + K), r * Kp);
  return { rows, Kp, data };
}

/** Byte layout for one call: table at heap, window of winLen floats, output block of outLen floats. */
function layout(e: Exports, t: KernelTable, winLen: number, outLen: number): { T: number; X: number; O: number } {
  const T = heap;
  const X = T + align16(t.data.length * 4);
  const O = X + align16(winLen * 4);
  reserve(e, O + outLen * 4);
  loadedBank = null;
  if (loaded !== t) {
    f32!.set(t.data, T >> 2);
    loaded = t;
  }
  return { T, X, O };
}

/** Copies y[j0 .. j0 + len) (zero outside [0, y.length)) to f32[at .. at + len). */
function window(y: Float32Array, j0: number, len: number, at: number): void {
  copyZeroPadded(f32!, at, y, j0, len);
}

/**
 * Exact rational polyphase: out[m] = Σ_k y[i_m − half + 1 + k] · row_{p_m}[k], with
 * i_m = ⌊m·down/up⌋, p_m = m·down mod up (y zero outside [0, n)); with `origin`, signal sample
 * j is y[origin + j] (e.g. a filtered signal with a margin before time 0). Returns false when the kernel is
 * unavailable or the table too large (the caller then runs its JS loop).
 */
export function wasmPolyRational(y: Float32Array, t: KernelTable, half: number, up: number, down: number, out: Float32Array, origin = 0): boolean {
  if (disabled || t.data.length * 4 > WASM_MAX_TABLE_BYTES) return false;
  const e = load();
  if (!e) return false;
  const nOut = out.length;
  // Groups of 4·up outputs (starting at phase 0) go through the 4-output kernel; the last, partial
  // group is computed whole (the window is zero past the signal) and cut.
  const gOut = 4 * up;
  // groups per call: up to BLOCK outputs, as many as the initial memory holds (at least one)
  // (a table that does not fit the initial memory grows it anyway: then whole BLOCKs)
  const free = room() - align16(t.data.length * 4) - 4 * t.Kp - 32;
  const byRoom = free > 0 ? Math.floor(free / (16 * (down + up))) : Infinity;
  const G = Math.max(1, Math.min(Math.floor(BLOCK / gOut), byRoom));
  const winLen = G * 4 * down + t.Kp;
  const { T, X, O } = layout(e, t, winLen, G * gOut);
  const mem = f32!;
  for (let m0 = 0; m0 < nOut; ) {
    const g = Math.min(G, Math.ceil((nOut - m0) / gOut));
    const cnt = Math.min(g * gOut, nOut - m0);
    const i0 = (m0 / up) * down; // m0 is a multiple of up
    window(y, origin + i0 - half + 1, g * 4 * down + t.Kp, X >> 2);
    if (t.Kp === 16) e.polyRational4x16(X, T, up, down, g, O);
    else e.polyRational4(X, T, t.Kp, up, down, g, O);
    out.set(mem.subarray(O >> 2, (O >> 2) + cnt), m0);
    m0 += cnt;
  }
  return true;
}

/**
 * Fine-table polyphase for an arbitrary ratio: output m at input time t = m·ratio, rows r and
 * r + 1 of P phases around the fractional part interpolated linearly. Same conventions as
 * wasmPolyRational.
 */
export function wasmPolyFine(y: Float32Array, t: KernelTable, half: number, P: number, ratio: number, out: Float32Array, origin = 0): boolean {
  if (disabled || t.data.length * 4 > WASM_MAX_TABLE_BYTES) return false;
  const e = load();
  if (!e) return false;
  const nOut = out.length;
  // outputs per call: up to BLOCK, as many as the initial memory holds (at least 64);
  // (a table that does not fit the initial memory grows it anyway: then whole BLOCKs)
  const free = room() - align16(t.data.length * 4) - 4 * t.Kp - 64;
  const byRoom = free > 0 ? Math.floor(free / (4 * (ratio + 1))) : Infinity;
  const blk = Math.max(64, Math.min(BLOCK, byRoom));
  const winLen = Math.ceil(blk * ratio) + t.Kp + 4;
  const { T, X, O } = layout(e, t, winLen, blk);
  const mem = f32!;
  for (let m0 = 0; m0 < nOut; m0 += blk) {
    const cnt = Math.min(blk, nOut - m0);
    const t0 = m0 * ratio;
    const i0 = Math.floor(t0) - 1; // one sample of margin for rounding of t0 + m·ratio
    const iLast = Math.floor((m0 + cnt - 1) * ratio) + 1;
    const len = iLast - i0 + t.Kp + 1;
    window(y, origin + i0 - half + 1, len, X >> 2);
    e.polyFine(X, T, t.Kp, P, t0 - i0, ratio, cnt, O);
    out.set(mem.subarray(O >> 2, (O >> 2) + cnt), m0);
  }
  return true;
}

/**
 * An FFT low-pass for overlap-save filtering (the two-stage path): u phase filters of L taps, their
 * N-point spectra in the kernel's bit-reversed order, scaled by 1/N.
 */
export interface FftKernel {
  N: number;
  L: number;
  u: number;
  /** Twiddles: [h + k] = cos(πk/h), [N + h + k] = −sin(πk/h) for each stage h = 4, 8, …, N/2. */
  tw: Float32Array;
  /** Per phase v: re at [2vN, 2vN + N), im at [2vN + N, 2vN + 2N). */
  H: Float32Array;
}

/**
 * Memory of the FFT stage: twiddles, the block pair's spectrum (RE, IM), the filtered blocks (ORE,
 * OIM: the spectrum itself, transformed in place, for a single phase) and the phase spectra H.
 */
function fftLayout(N: number, u: number): { TW: number; RE: number; IM: number; ORE: number; OIM: number; H: number; end: number } {
  const TW = heap;
  const RE = TW + 8 * N;
  const IM = RE + 4 * N;
  const ORE = u === 1 ? RE : IM + 4 * N;
  const OIM = u === 1 ? IM : ORE + 4 * N;
  const H = OIM + 4 * N;
  return { TW, RE, IM, ORE, OIM, H, end: H + 8 * N * u };
}

/** True when the FFT stage of size N with u phases fits the kernel's initial memory (no growing). */
export function fftFitsMemory(N: number, u: number): boolean {
  const e = disabled ? null : load();
  return e !== null && fftLayout(N, u).end <= initialBytes;
}

/**
 * Builds an FftKernel from the phase filters (each of length L ≤ N; N a power of two ≥ 16), or
 * returns null when the WebAssembly kernel is unavailable.
 */
export function fftKernel(phases: Float64Array[], N: number): FftKernel | null {
  if (disabled) return null;
  const e = load();
  if (!e) return null;
  const u = phases.length;
  const L = phases[0].length;
  const tw = new Float32Array(2 * N);
  for (let h = 4; h < N; h <<= 1) {
    for (let k = 0; k < h; k++) {
      tw[h + k] = Math.cos((Math.PI * k) / h);
      tw[N + h + k] = -Math.sin((Math.PI * k) / h);
    }
  }
  const lay = fftLayout(N, u);
  reserve(e, lay.end);
  loaded = null;
  loadedBank = null;
  const mem = f32!;
  mem.set(tw, lay.TW >> 2);
  const H = new Float32Array(2 * N * u);
  for (let v = 0; v < u; v++) {
    mem.fill(0, lay.RE >> 2, (lay.RE >> 2) + 2 * N); // RE and IM
    for (let k = 0; k < L; k++) mem[(lay.RE >> 2) + k] = phases[v][k] / N;
    e.fftForward(lay.RE, lay.IM, lay.TW, N);
    H.set(mem.subarray(lay.RE >> 2, (lay.RE >> 2) + 2 * N), 2 * N * v);
  }
  return { N, L, u, tw, H };
}

/** Reused stage-1 output buffer for signals up to 4 M samples (saves an allocation and its page faults). */
let zScratch: Float32Array | null = null;
const Z_SCRATCH_MAX = 1 << 22;

function scratchZ(len: number): Float32Array {
  if (len > Z_SCRATCH_MAX) return new Float32Array(len);
  if (!zScratch || zScratch.length < len) zScratch = new Float32Array(Math.min(Z_SCRATCH_MAX, Math.max(len, 2 * (zScratch?.length ?? 0))));
  return zScratch.subarray(0, len);
}

/**
 * Stage 1 of the two-stage path: z(τ) = Σ_j y[j] g_v(τ − j) for τ = −E + q/u (q = 0 .. u(n + 2E) − 1)
 * at z[u(τ + E)], then u(E + 2) zeros; g_v is phase v of the kernel, whose tap k sits at offset
 * k − D. Overlap-save with two real blocks packed into one complex transform. Returns null when
 * the WebAssembly kernel is unavailable. The result is a view of a buffer reused by the next call:
 * consume it before calling again.
 */
export function wasmFftLowpass(y: Float32Array, k: FftKernel, D: number, E: number): Float32Array | null {
  if (disabled) return null;
  const e = load();
  if (!e) return null;
  const { N, L, u } = k;
  const lay = fftLayout(N, u);
  reserve(e, lay.end);
  loadedBank = null; // its blocks and spectra may cover the fused path's table
  const mem = f32!;
  if (loaded !== k) {
    mem.set(k.tw, lay.TW >> 2);
    mem.set(k.H, lay.H >> 2);
    loaded = k;
  }
  const n = y.length;
  const B = N - L + 1; // valid outputs per block
  const span = n + 2 * E;
  const z = scratchZ(u * span + u * (E + 2));
  z.fill(0, u * span);
  const nBlocks = Math.ceil(span / B);
  const RE = lay.RE >> 2;
  const IM = lay.IM >> 2;
  for (let b = 0; b < nBlocks; b += 2) {
    window(y, -E + b * B - D - 1, N, RE);
    if (b + 1 < nBlocks) window(y, -E + (b + 1) * B - D - 1, N, IM);
    else mem.fill(0, IM, IM + N);
    e.fftForward(lay.RE, lay.IM, lay.TW, N);
    for (let v = 0; v < u; v++) {
      const hv = lay.H + 8 * N * v;
      e.cmul(lay.RE, lay.IM, hv, hv + 4 * N, lay.ORE, lay.OIM, N);
      e.fftInverse(lay.ORE, lay.OIM, lay.TW, N);
      for (let c = 0; c < 2 && b + c < nBlocks; c++) {
        const q0 = (b + c) * B;
        const lim = Math.min(B, span - q0);
        const src = (c === 0 ? lay.ORE : lay.OIM) >> 2;
        if (u === 1) z.set(mem.subarray(src + L - 1, src + L - 1 + lim), q0);
        else for (let q = 0; q < lim; q++) z[u * (q0 + q) + v] = mem[src + L - 1 + q];
      }
    }
  }
  return z;
}

/** Current size in bytes of the kernel module's memory (0 when unavailable); for tests. */
export function wasmResampleMemoryBytes(): number {
  const e = disabled ? null : load();
  return e ? e.memory.buffer.byteLength : 0;
}

/**
 * Memory of the fused two-stage path (one phase, u = 1): the FFT stage's layout, then the stage-2
 * tap table, a window of stage-1 output (z) and an output block. zCap: z samples the window holds.
 */
function fusedLayout(k: FftKernel, t: KernelTable, up: number, down: number): { T: number; Z: number; zCap: number; O: number; G: number; end: number } {
  const B = k.N - k.L + 1;
  const T = fftLayout(k.N, 1).end;
  const Z = T + align16(t.data.length * 4);
  // one block pair of new samples plus the unconsumed tail (< one group's 4·down + Kp samples);
  // at the end, G groups and their Kp-sample overhang (G·4·down ≤ 2B + 8·down)
  const zCap = align16(4 * (2 * B + 8 * down + 2 * t.Kp + 4)) >> 2;
  const G = Math.ceil((2 * B) / (4 * down)) + 1; // groups per stage-2 call, at most
  const O = Z + 4 * zCap;
  return { T, Z, zCap, O, G, end: O + 16 * up * G };
}

let fusedOff = false;
/** Turns the fused two-stage path off (true: the stages run as two calls) or back on; to compare both. */
export function setWasmTwoStageFusedDisabled(off: boolean): void {
  fusedOff = off;
}

/** True when the fused two-stage path (see wasmTwoStage) is enabled and fits the kernel's initial memory. */
export function twoStageFitsMemory(k: FftKernel, t: KernelTable, up: number, down: number): boolean {
  return !disabled && !fusedOff && t.Kp === 16 && k.u === 1 && fusedLayout(k, t, up, down).end <= initialBytes;
}

/**
 * Both stages of the two-stage path without leaving the kernel's memory (one phase, u = 1, a
 * 16-tap stage-2 bank): stage 1 as wasmFftLowpass (z(τ) for τ = −E + q, zero past the span), whose
 * valid samples of each block pair are appended to a window in wasm memory, and stage 2 as
 * wasmPolyRational on that window with origin E (output m reads z from index
 * E + ⌊m·down/up⌋ − half + 1). The same float operations as the two calls in sequence, so the
 * same samples; it saves the signal-length copies into and out of a JS array. Returns false
 * (nothing written) when the kernel is unavailable or the layout does not fit the initial memory.
 */
export function wasmTwoStage(y: Float32Array, k: FftKernel, D: number, E: number, t: KernelTable, half: number, up: number, down: number, out: Float32Array): boolean {
  if (disabled || k.u !== 1 || t.Kp !== 16) return false;
  const e = load();
  if (!e) return false;
  const lay = fusedLayout(k, t, up, down);
  if (lay.end > initialBytes) return false;
  const f = fftLayout(k.N, 1);
  const mem = f32!;
  if (loaded !== k) {
    mem.set(k.tw, f.TW >> 2);
    mem.set(k.H, f.H >> 2);
    loaded = k;
    loadedBank = null; // the table's place follows N
  }
  if (loadedBank !== t) {
    mem.set(t.data, lay.T >> 2);
    loadedBank = t;
  }
  const { N, L } = k;
  const n = y.length;
  const B = N - L + 1;
  const span = n + 2 * E;
  const nBlocks = Math.ceil(span / B);
  const nOut = out.length;
  const RE = f.RE >> 2;
  const IM = f.IM >> 2;
  const Z = lay.Z >> 2;
  const O = lay.O >> 2;
  const gOut = 4 * up;
  const gIn = 4 * down;
  const need = gIn + t.Kp; // z samples one group reads (from its first index)
  let zBase = 0; // z index of mem[Z]
  let zLen = 0; // z samples held
  let m0 = 0; // next output
  let zs = E - half + 1; // z index the next group starts reading at
  /** Moves the window's samples from zs on to its start (those before zs are no longer read). */
  const dropConsumed = () => {
    const drop = Math.min(zLen, zs - zBase);
    if (drop > 0) {
      mem.copyWithin(Z, Z + drop, Z + zLen);
      zBase += drop;
      zLen -= drop;
    }
  };
  const flush = (final: boolean) => {
    while (m0 < nOut) {
      const avail = zBase + zLen - zs;
      let g = Math.min(lay.G, Math.floor((avail - t.Kp) / gIn));
      if (g <= 0) {
        if (!final) return;
        g = Math.min(lay.G, Math.ceil((nOut - m0) / gOut));
        // the last groups read past the span (zeros); first drop what lies before zs
        dropConsumed();
        const want = zs - zBase + g * gIn + t.Kp;
        if (want > zLen) mem.fill(0, Z + zLen, Z + want);
        zLen = Math.max(zLen, want);
      }
      g = Math.min(g, Math.ceil((nOut - m0) / gOut));
      e.polyRational4x16(lay.Z + 4 * (zs - zBase), lay.T, up, down, g, lay.O);
      const cnt = Math.min(g * gOut, nOut - m0);
      out.set(mem.subarray(O, O + cnt), m0);
      m0 += cnt;
      zs += g * gIn;
    }
  };
  for (let b = 0; b < nBlocks && m0 < nOut; b += 2) {
    window(y, -E + b * B - D - 1, N, RE);
    if (b + 1 < nBlocks) window(y, -E + (b + 1) * B - D - 1, N, IM);
    else mem.fill(0, IM, IM + N);
    e.fftForward(f.RE, f.IM, f.TW, N);
    e.cmul(f.RE, f.IM, f.H, f.H + 4 * N, f.RE, f.IM, N);
    e.fftInverse(f.RE, f.IM, f.TW, N);
    // drop the samples before zs, then append this pair's valid samples
    dropConsumed();
    for (let c = 0; c < 2 && b + c < nBlocks; c++) {
      const lim = Math.min(B, span - (b + c) * B);
      const src = (c === 0 ? RE : IM) + L - 1;
      mem.copyWithin(Z + zLen, src, src + lim);
      zLen += lim;
    }
    flush(false);
  }
  flush(true);
  return true;
}
