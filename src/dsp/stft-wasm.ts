/**
 * WebAssembly (SIMD) kernels: the power spectrogram (the same computation as the JS path of
 * powerSpectrogram: window → radix-4 real FFT in float64 → |X|² as float32, several times faster),
 * the sparse mel filterbank product and the MFCC's DCT product (float64 accumulation).
 *
 * The 1.6 kB module (built from asm/stft.ts by scripts/build-wasm.mjs) is compiled synchronously on
 * first use — small enough for synchronous compilation on a browser's main thread. Where
 * WebAssembly or its SIMD extension is unavailable, or the size is not a power of two, the
 * functions here return null and callers use the JS FFT. Browser-safe: no Node APIs.
 */
import { STFT_WASM_BASE64 } from './stft-wasm.generated.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  configure(m: number, rev: number, tw: number, passH: number, passOff: number, npass: number, firstR2: number, pc: number, z: number, win: number, edge: number): void;
  stftPower(yPtr: number, n: number, hop: number, pad: number, nFrames: number, out: number): void;
  matmulT(x: number, d: number, rows: number, nIn: number, nOut: number, out: number): void;
  sqrtInPlace(p: number, n: number): void;
  sparseApply(s: number, rows: number, nBins: number, start: number, len: number, off: number, w: number, nBands: number, out: number): void;
}

let instance: Exports | null | undefined;
let disabled = false;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function load(): Exports | null {
  if (instance !== undefined) return instance;
  try {
    if (typeof WebAssembly === 'undefined' || typeof atob !== 'function') return (instance = null);
    const mod = new WebAssembly.Module(decodeBase64(STFT_WASM_BASE64));
    const inst = new WebAssembly.Instance(mod, { env: { abort: () => { throw new Error('stft wasm abort'); } } });
    instance = inst.exports as unknown as Exports;
  } catch {
    instance = null; // no WebAssembly SIMD here: the JS FFT is used
  }
  return instance;
}

/** Turns the WebAssembly kernel off (true) or back on (false), e.g. to compare both paths. */
export function setWasmStftDisabled(off: boolean): void {
  disabled = off;
}

/** True when the WebAssembly kernel is available and enabled. */
export function wasmStftAvailable(): boolean {
  return !disabled && load() !== null;
}

interface Layout {
  key: string;
  z: number;
  edge: number;
  /** first free byte after the tables */
  end: number;
}
let layout: Layout | undefined;

function ensureBytes(ex: Exports, bytes: number): void {
  const have = ex.memory.buffer.byteLength;
  if (bytes > have) ex.memory.grow(Math.ceil((bytes - have) / 65536));
}

const align16 = (x: number) => (x + 15) & ~15;

/** Writes the FFT tables and the window for (n_fft, window) into wasm memory, once per size/window. */
function configure(ex: Exports, n_fft: number, win: Float64Array, winKey: string): Layout {
  const key = `${n_fft}:${winKey}`;
  if (layout && layout.key === key) return layout;
  const m = n_fft >> 1;
  let bits = 0;
  while (1 << bits < m) bits++;
  const firstR2 = bits % 2 === 1;
  const passH: number[] = [];
  for (let h = 1; 4 * h <= m; h *= 4) passH.push(h);
  if (firstR2) {
    passH.length = 0;
    for (let h = 2; 4 * h <= m; h *= 4) passH.push(h);
  }
  let p = align16(ex.heapBase());
  const rev = p;
  p = align16(p + 4 * m);
  const passHPtr = p;
  p = align16(p + 4 * Math.max(1, passH.length));
  const passOffPtr = p;
  p = align16(p + 4 * Math.max(1, passH.length));
  const tw = p;
  const twCount = passH.reduce((s, h) => s + h, 0);
  p = align16(p + 96 * Math.max(1, twCount));
  const pc = p;
  p = align16(p + 32 * ((m >> 1) + 1));
  const z = p;
  p = align16(p + 16 * m);
  const winPtr = p;
  p = align16(p + 8 * n_fft);
  const edge = p;
  p = align16(p + 4 * n_fft);
  ensureBytes(ex, p);
  const buf = ex.memory.buffer;
  const revA = new Uint32Array(buf, rev, m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    revA[i] = r;
  }
  const hA = new Int32Array(buf, passHPtr, Math.max(1, passH.length));
  const oA = new Int32Array(buf, passOffPtr, Math.max(1, passH.length));
  const twA = new Float64Array(buf, tw, 12 * Math.max(1, twCount));
  let off = 0;
  passH.forEach((h, i) => {
    hA[i] = h;
    oA[i] = off * 8;
    const N = 4 * h;
    for (let j = 0; j < h; j++) {
      for (let q = 1; q <= 3; q++) {
        const a = (-2 * Math.PI * q * j) / N;
        const c = Math.cos(a);
        const s = Math.sin(a);
        const o = off + 12 * j + 4 * (q - 1);
        twA[o] = c; // cc
        twA[o + 1] = c;
        twA[o + 2] = -s; // nd
        twA[o + 3] = s;
      }
    }
    off += 12 * h;
  });
  const pcA = new Float64Array(buf, pc, 4 * ((m >> 1) + 1));
  for (let k = 0; k <= m >> 1; k++) {
    const a = (-2 * Math.PI * k) / n_fft;
    const c = Math.cos(a);
    const s = Math.sin(a);
    pcA[4 * k] = c; // cc
    pcA[4 * k + 1] = c;
    pcA[4 * k + 2] = -s; // nd
    pcA[4 * k + 3] = s;
  }
  new Float64Array(buf, winPtr, n_fft).set(win);
  ex.configure(m, rev, tw, passHPtr, passOffPtr, passH.length, firstR2 ? 1 : 0, pc, z, winPtr, edge);
  layout = { key, z, edge, end: p };
  return layout;
}

/**
 * |FFT(window · frame)|² of every frame, frame-major float32 (nFrames × (n_fft/2 + 1)), or null when
 * the kernel cannot run here (no WebAssembly SIMD, disabled, or n_fft not a power of two ≥ 16).
 * Frame t covers y[t·hop − pad, t·hop − pad + n_fft), zeros outside the signal. When `magnitude`
 * (same size as the result) is given, it receives √power too.
 */
export function wasmStftPower(
  y: Float32Array,
  n_fft: number,
  hop: number,
  pad: number,
  nFrames: number,
  win: Float64Array,
  winKey: string,
  magnitude?: Float32Array,
): Float32Array | null {
  if (disabled || n_fft < 16 || (n_fft & (n_fft - 1)) !== 0) return null;
  const ex = load();
  if (!ex) return null;
  const L = configure(ex, n_fft, win, winKey);
  const nBins = (n_fft >> 1) + 1;
  const out = new Float32Array(nFrames * nBins);
  // Long signals go through in chunks of frames, so the module's memory stays small (it never
  // shrinks once grown).
  const chunk = Math.max(1, Math.min(nFrames, Math.floor(CHUNK_SAMPLES / Math.max(hop, 1))));
  const n = y.length;
  for (let t0 = 0; t0 < nFrames; t0 += chunk) {
    const t1 = Math.min(nFrames, t0 + chunk);
    // samples y[s0, s1) cover every frame of the chunk (zeros outside the signal)
    const s0 = Math.min(n, Math.max(0, t0 * hop - pad));
    const s1 = Math.max(s0, Math.min(n, (t1 - 1) * hop - pad + n_fft));
    const segLen = s1 - s0;
    const yPtr = align16(L.end);
    const outPtr = align16(yPtr + 4 * segLen);
    const count = t1 - t0;
    ensureBytes(ex, outPtr + 4 * count * nBins);
    new Float32Array(ex.memory.buffer, yPtr, segLen).set(y.subarray(s0, s1));
    ex.stftPower(yPtr, segLen, hop, pad + s0 - t0 * hop, count, outPtr);
    out.set(new Float32Array(ex.memory.buffer, outPtr, count * nBins), t0 * nBins);
    if (magnitude) {
      ex.sqrtInPlace(outPtr, count * nBins);
      magnitude.set(new Float32Array(ex.memory.buffer, outPtr, count * nBins), t0 * nBins);
    }
  }
  return out;
}

/** Samples per STFT chunk handed to the module (2^20: ~4 MB in, ~8 MB out at hop 512, n_fft 2048). */
let CHUNK_SAMPLES = 1 << 20;

/** Sets the STFT chunk size in samples (for tests of the chunking; default 2^20). */
export function setWasmStftChunkSamples(samples: number): void {
  CHUNK_SAMPLES = Math.max(1, Math.floor(samples));
}

/** First free byte after the STFT tables (or the heap base before any STFT ran). */
function scratchBase(ex: Exports): number {
  return align16(layout ? layout.end : ex.heapBase());
}

/**
 * out[t, k] = Σ_j D[k, j] · X[t, j]: X float32 (rows × nIn, nIn even), D float64 (nOut × nIn).
 * Returns rows × nOut float32 (written into `dest` when given), or null when the kernel is unavailable.
 */
export function wasmMatmulT(x: Float32Array, rows: number, nIn: number, d: Float64Array, nOut: number, dest?: Float32Array): Float32Array | null {
  if (disabled || nIn % 2 !== 0 || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const out = dest ?? new Float32Array(rows * nOut);
  const chunk = Math.max(1, Math.floor(CHUNK_ROWS_FLOATS / Math.max(nIn, nOut)));
  const dPtr = scratchBase(ex);
  const xPtr = align16(dPtr + 8 * nOut * nIn);
  const outPtr = align16(xPtr + 4 * Math.min(rows, chunk) * nIn);
  ensureBytes(ex, outPtr + 4 * Math.min(rows, chunk) * nOut);
  new Float64Array(ex.memory.buffer, dPtr, nOut * nIn).set(d.subarray(0, nOut * nIn));
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    new Float32Array(ex.memory.buffer, xPtr, n * nIn).set(x.subarray(r0 * nIn, (r0 + n) * nIn));
    ex.matmulT(xPtr, dPtr, n, nIn, nOut, outPtr);
    out.set(new Float32Array(ex.memory.buffer, outPtr, n * nOut), r0 * nOut);
  }
  return out;
}

/** Rows per chunk for the matrix kernels: chunk × width ≤ 2^20 floats (4 MB). */
let CHUNK_ROWS_FLOATS = 1 << 20;

/** Sets the matrix kernels' chunk size in floats (for tests of the chunking; default 2^20). */
export function setWasmMatrixChunkFloats(floats: number): void {
  CHUNK_ROWS_FLOATS = Math.max(1, Math.floor(floats));
}

/**
 * Sparse filterbank product (see SparseFilterbank in features/mel.ts): S float32 (rows × nBins) →
 * rows × nBands float32 (written into `dest` when given), or null when the kernel is unavailable.
 */
export function wasmSparseApply(
  s: Float32Array,
  rows: number,
  nBins: number,
  fb: { nBands: number; start: Int32Array; length: Int32Array; offset: Int32Array; weights: Float32Array },
  dest?: Float32Array,
): Float32Array | null {
  if (disabled || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const nb = fb.nBands;
  const out = dest ?? new Float32Array(rows * nb);
  const chunk = Math.max(1, Math.floor(CHUNK_ROWS_FLOATS / Math.max(nBins, nb)));
  const startPtr = scratchBase(ex);
  const lenPtr = align16(startPtr + 4 * nb);
  const offPtr = align16(lenPtr + 4 * nb);
  const wPtr = align16(offPtr + 4 * nb);
  const sPtr = align16(wPtr + 4 * fb.weights.length + 8);
  const outPtr = align16(sPtr + 4 * Math.min(rows, chunk) * nBins + 8);
  ensureBytes(ex, outPtr + 4 * Math.min(rows, chunk) * nb);
  const buf = ex.memory.buffer;
  new Int32Array(buf, startPtr, nb).set(fb.start);
  new Int32Array(buf, lenPtr, nb).set(fb.length);
  new Int32Array(buf, offPtr, nb).set(fb.offset);
  new Float32Array(buf, wPtr, fb.weights.length).set(fb.weights);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    new Float32Array(ex.memory.buffer, sPtr, n * nBins).set(s.subarray(r0 * nBins, (r0 + n) * nBins));
    ex.sparseApply(sPtr, n, nBins, startPtr, lenPtr, offPtr, wPtr, nb, outPtr);
    out.set(new Float32Array(ex.memory.buffer, outPtr, n * nb), r0 * nb);
  }
  return out;
}
