/**
 * WebAssembly (SIMD) kernels of the feature pipeline, built from asm/stft.ts by
 * scripts/build-wasm.mjs: the power spectrogram (window → radix-4 real FFT in float64 → |X|² as
 * float32, plus each frame's maximum and a finiteness check of the signal), the sparse mel
 * filterbank product, the MFCC's DCT product, power → dB, spectral contrast's per-band order
 * statistics and its dB finish, the 12-bin chroma filterbank, projection (segmented, optionally with
 * the ∞-normalisation) and piptrack's peak listing and interpolation.
 *
 * Memory: the module's memory is FIXED (96 pages = 6 MiB, initial = maximum) and never grown.
 * Growing a WebAssembly memory detaches its old ArrayBuffer, which makes V8 add detach checks to
 * typed-array accesses process-wide (measured: unrelated JS loops ran up to 2× slower). Work that
 * does not fit is done in chunks. The memory is laid out as
 *
 *   [static data][FFT tables, ≤ TABLE_BYTES][resident spectrogram, RES_BYTES][scratch … end]
 *
 * {@link wasmStftPowerResident} leaves the power spectrogram in the resident region and returns a
 * Float32Array VIEW of it: the other kernels recognise such a view (same ArrayBuffer) and read it
 * in place instead of copying it in. The view is valid until the next STFT call.
 *
 * The module (about 20 kB) is compiled synchronously on first use; a browser's main thread refuses
 * that for modules over 4 kB, so browser code awaits {@link loadFeatureWasm} first (asynchronous
 * compile). Where WebAssembly or its SIMD extension is unavailable,
 * or a size does not fit, the functions here return null and callers use their JS paths (same
 * arithmetic). Browser-safe: no Node APIs.
 */
import { STFT_WASM_BASE64 } from './stft-wasm.generated.js';
import { wasmKernelModule } from './wasm-module.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  configure(m: number, rev: number, tw: number, passH: number, passOff: number, npass: number, firstR2: number, pc: number, z: number, win: number, edge: number): void;
  configure2(z2: number): void;
  stftPower(yPtr: number, n: number, hop: number, pad: number, nFrames: number, out: number, rowMax: number): number;
  allFinite(p: number, n: number): number;
  matmulT(x: number, d: number, rows: number, nIn: number, nOut: number, out: number): void;
  sqrtInPlace(p: number, n: number): void;
  sparseApply(s: number, rows: number, nBins: number, start: number, len: number, off: number, w: number, nBands: number, out: number): void;
  contrastSums(s: number, nb: number, T: number, tab: number, nBands: number, lb: number, hb: number, cl: number, ch: number, sqrtValues: number, out: number): void;
  powerToDb(x: number, n: number, amin: number, refDb: number, out: number): number;
  clampMin(x: number, n: number, floor: number): void;
  savgolInterior(x: number, rows: number, F: number, h: number, taps: number, w: number, nTaps: number, out: number): void;
  dctFolded(x: number, hm: number, rows: number, n: number, nOut: number, fold: number, out: number): void;
  peakBins(s: number, nb: number, T: number, k0: number, k1: number, thr: number, out: number, counts: number): number;
  contrastFinish(sums: number, rows: number, nBands: number, qs: number, linear: number, out: number): number;
  chromaSparse(packed: number, segs: number, nSegs: number, s: number, out: number, nb: number, T: number, acc: number, normInf: number): number;
  peakInterp(s: number, nb: number, T: number, bins: number, counts: number, sr: number, nfft: number, pitch: number, mag: number): void;
  chromaBank(frq: number, width: number, nBins: number, n: number, half: number, ctroct: number, octwidth: number, shift: number, out: number, col: number): number;
}

let disabled = false;

/** Total memory of the module (must equal the build's --initialMemory/--maximumMemory pages). */
const MEMORY_BYTES = 96 * 65536;
/** Room for the FFT tables (≈ 46·n_fft bytes: n_fft ≤ 16384). */
const TABLE_BYTES = 1 << 20;
/** Resident spectrogram region (2.5 MiB: 639 frames of n_fft 2048, ≈ 14.8 s at hop 512 / 22050 Hz). */
const RES_BYTES = 5 << 19;

const align16 = (x: number) => (x + 15) & ~15;
let TAB0 = 0;
let RES0 = 0;
let SCR0 = 0;
let SCR1 = 0;

function adopt(ex: Exports): Exports | null {
  TAB0 = align16(ex.heapBase());
  RES0 = align16(TAB0 + TABLE_BYTES);
  SCR0 = RES0 + RES_BYTES;
  SCR1 = ex.memory.buffer.byteLength;
  layout = undefined;
  return SCR1 >= MEMORY_BYTES && SCR0 + (1 << 20) <= SCR1 ? ex : null;
}

const featureModule = wasmKernelModule<Exports>('stft', STFT_WASM_BASE64, adopt);
const load = (): Exports | null => featureModule.get();

/**
 * Compiles and instantiates the feature kernels asynchronously (idempotent; resolves true when
 * they are available). A browser's main thread refuses the synchronous compile of modules over
 * 4 kB (this one is ~20 kB), so browser code should await this once before extracting features
 * there; in Node and in workers the synchronous first-use compile works and this is optional.
 */
export function loadFeatureWasm(): Promise<boolean> {
  return featureModule.load();
}

let twoFrames = true;

/**
 * Switches the STFT kernel's two-frames-at-once path (the default; bit-identical results, a
 * frame per SIMD lane) on or off, for tests.
 */
export function setWasmStftTwoFrames(on: boolean): void {
  twoFrames = on;
  layout = undefined; // reconfigure on the next STFT
}

/** Turns the WebAssembly kernels off (true) or back on (false), e.g. to compare both paths. */
export function setWasmStftDisabled(off: boolean): void {
  disabled = off;
}

/** True when the WebAssembly kernels are available and enabled. */
export function wasmStftAvailable(): boolean {
  return !disabled && load() !== null;
}

interface Layout {
  key: string;
}
let layout: Layout | undefined;

/** Writes the FFT tables and the window for (n_fft, window) into wasm memory, once per size/window; false when they do not fit. */
function configure(ex: Exports, n_fft: number, win: Float64Array, winKey: string): boolean {
  const key = `${n_fft}:${winKey}`;
  if (layout && layout.key === key) return true;
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
  let p = TAB0;
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
  const z2 = p;
  p = align16(p + 32 * m);
  if (p > RES0) return false;
  layout = undefined;
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
  ex.configure2(twoFrames ? z2 : 0);
  layout = { key };
  return true;
}

function stftReady(n_fft: number, win: Float64Array, winKey: string): Exports | null {
  if (disabled || n_fft < 16 || (n_fft & (n_fft - 1)) !== 0) return null;
  const ex = load();
  if (!ex || !configure(ex, n_fft, win, winKey)) return null;
  return ex;
}

/**
 * |FFT(window · frame)|² of every frame, frame-major float32 (nFrames × (n_fft/2 + 1)), or null when
 * the kernel cannot run here (no WebAssembly SIMD, disabled, or n_fft not a power of two ≥ 16).
 * Frame t covers y[t·hop − pad, t·hop − pad + n_fft), zeros outside the signal. When `magnitude`
 * (same size as the result) is given, it receives √power too. Long signals go through in chunks.
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
  const ex = stftReady(n_fft, win, winKey);
  if (!ex) return null;
  const nBins = (n_fft >> 1) + 1;
  // power chunk in the resident region, samples in the scratch region
  const byRes = Math.floor(RES_BYTES / (4 * nBins));
  const bySamples = Math.floor((Math.min(SCR1 - SCR0, 4 * CHUNK_SAMPLES) / 4 - n_fft) / Math.max(hop, 1)) + 1;
  const chunk = Math.min(nFrames, byRes, bySamples);
  if (chunk < 1) return null;
  const out = new Float32Array(nFrames * nBins);
  const n = y.length;
  const mem = ex.memory.buffer;
  for (let t0 = 0; t0 < nFrames; t0 += chunk) {
    const t1 = Math.min(nFrames, t0 + chunk);
    // samples y[s0, s1) cover every frame of the chunk (zeros outside the signal)
    const s0 = Math.min(n, Math.max(0, t0 * hop - pad));
    const s1 = Math.max(s0, Math.min(n, (t1 - 1) * hop - pad + n_fft));
    const count = t1 - t0;
    new Float32Array(mem, SCR0, s1 - s0).set(y.subarray(s0, s1));
    ex.stftPower(SCR0, s1 - s0, hop, pad + s0 - t0 * hop, count, RES0, 0);
    out.set(new Float32Array(mem, RES0, count * nBins), t0 * nBins);
    if (magnitude) {
      ex.sqrtInPlace(RES0, count * nBins);
      magnitude.set(new Float32Array(mem, RES0, count * nBins), t0 * nBins);
    }
  }
  return out;
}

/**
 * The power spectrogram of y computed into the module's resident region (see the file comment):
 * `power` is a VIEW (nFrames × (n_fft/2 + 1), frame-major) valid until the next STFT call,
 * `rowMax[t]` the largest value of frame t, and `finite` whether every sample of y is finite.
 * Returns null when the kernel is unavailable or the clip does not fit (callers then use
 * {@link wasmStftPower} or the JS FFT).
 */
export function wasmStftPowerResident(
  y: Float32Array,
  n_fft: number,
  hop: number,
  pad: number,
  nFrames: number,
  win: Float64Array,
  winKey: string,
): { power: Float32Array; rowMax: Float32Array; finite: boolean } | null {
  const nBins = (n_fft >> 1) + 1;
  if (nFrames * nBins * 4 > RES_BYTES) return null;
  const ex = stftReady(n_fft, win, winKey); // first: loading the module sets SCR0 and SCR1
  if (!ex) return null;
  if (align16(4 * y.length) + 4 * nFrames > SCR1 - SCR0) return null;
  const mem = ex.memory.buffer;
  const maxPtr = SCR0 + align16(4 * y.length);
  new Float32Array(mem, SCR0, y.length).set(y);
  const finite = ex.stftPower(SCR0, y.length, hop, pad, nFrames, RES0, maxPtr) === 1;
  return {
    power: new Float32Array(mem, RES0, nFrames * nBins),
    rowMax: new Float32Array(mem, maxPtr, nFrames).slice(),
    finite,
  };
}

/** Samples per STFT chunk handed to the module (the default is as much as fits). */
let CHUNK_SAMPLES = 1 << 20;

/** Caps the STFT chunk size in samples (for tests of the chunking; default 2^20). */
export function setWasmStftChunkSamples(samples: number): void {
  CHUNK_SAMPLES = Math.max(1, Math.floor(samples));
}

/** Byte offset of `a` in the module's memory when `a` is a view of it (e.g. the resident spectrogram), else −1. */
function residentOffset(ex: Exports, a: Float32Array): number {
  return a.buffer === ex.memory.buffer ? a.byteOffset : -1;
}

/**
 * Runs `kernel(inPtr, n, outPtr)` over `rows` rows of `x` (rowIn floats each) in chunks that fit the
 * scratch region (after `fixedBytes` of per-call tables at SCR0), copying the rowOut·4·n output
 * bytes of each chunk to `dest` (a typed array of the output's element type, via `view`). A
 * resident input is read in place.
 */
function chunked<T extends Float32Array | Float64Array>(
  ex: Exports,
  x: Float32Array,
  rows: number,
  rowIn: number,
  rowOutBytes: number,
  fixedBytes: number,
  dest: T,
  view: (buf: ArrayBuffer, ptr: number, len: number) => T,
  kernel: (inPtr: number, n: number, outPtr: number) => void,
): boolean {
  const per = dest.length / Math.max(rows, 1);
  const base = align16(SCR0 + fixedBytes);
  const room = SCR1 - base - 32;
  const res = residentOffset(ex, x);
  const perRow = (res >= 0 ? 0 : 4 * rowIn + 16) + rowOutBytes;
  const chunk = Math.min(rows, Math.floor(room / perRow), Math.max(1, Math.floor(CHUNK_ROWS_FLOATS / Math.max(rowIn, 1))));
  if (chunk < 1) return false;
  const mem = ex.memory.buffer;
  const inPtr = base;
  const outPtr = res >= 0 ? base : align16(base + 4 * chunk * rowIn + 8);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    let p = res + 4 * r0 * rowIn;
    if (res < 0) {
      new Float32Array(mem, inPtr, n * rowIn).set(x.subarray(r0 * rowIn, (r0 + n) * rowIn));
      p = inPtr;
    }
    kernel(p, n, outPtr);
    dest.set(view(mem, outPtr, n * per), r0 * per);
  }
  return true;
}

const f32View = (b: ArrayBuffer, p: number, n: number) => new Float32Array(b, p, n);
const f64View = (b: ArrayBuffer, p: number, n: number) => new Float64Array(b, p, n);

/**
 * out[t, k] = Σ_j D[k, j] · X[t, j]: X float32 (rows × nIn, nIn even), D float64 (nOut × nIn).
 * Returns rows × nOut float32 (written into `dest` when given), or null when the kernel is unavailable.
 */
export function wasmMatmulT(x: Float32Array, rows: number, nIn: number, d: Float64Array, nOut: number, dest?: Float32Array): Float32Array | null {
  if (disabled || nIn % 2 !== 0 || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const dBytes = align16(8 * nOut * nIn);
  if (dBytes > (SCR1 - SCR0) / 2) return null;
  const out = dest ?? new Float32Array(rows * nOut);
  new Float64Array(ex.memory.buffer, SCR0, nOut * nIn).set(d.subarray(0, nOut * nIn));
  const ok = chunked(ex, x, rows, nIn, 4 * nOut, dBytes, out, f32View, (p, n, o) => ex.matmulT(p, SCR0, n, nIn, nOut, o));
  return ok ? out : null;
}

/** Rows per chunk for the matrix kernels: chunk × width ≤ 2^20 floats. */
let CHUNK_ROWS_FLOATS = 1 << 20;

/** Caps the matrix kernels' chunk size in floats (for tests of the chunking; default 2^20). */
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
  const startPtr = SCR0;
  const lenPtr = align16(startPtr + 4 * nb);
  const offPtr = align16(lenPtr + 4 * nb);
  const wPtr = align16(offPtr + 4 * nb);
  const fixed = align16(wPtr + 4 * fb.weights.length + 8) - SCR0;
  if (fixed > (SCR1 - SCR0) / 2) return null;
  const buf = ex.memory.buffer;
  new Int32Array(buf, startPtr, nb).set(fb.start);
  new Int32Array(buf, lenPtr, nb).set(fb.length);
  new Int32Array(buf, offPtr, nb).set(fb.offset);
  new Float32Array(buf, wPtr, fb.weights.length).set(fb.weights);
  const out = dest ?? new Float32Array(rows * nb);
  // (the kernel reads pairs of values: the +8 bytes of padding after inputs keep that in bounds)
  const ok = chunked(ex, s, rows, nBins, 4 * nb, fixed, out, f32View, (p, n, o) => ex.sparseApply(p, n, nBins, startPtr, lenPtr, offPtr, wPtr, nb, o));
  return ok ? out : null;
}

/**
 * Spectral contrast's per-band sums over frames of a frame-major (rows × nb) array: for each frame
 * and band (lo, len, q), the sum of the q smallest and of the q largest values of the band (of their
 * square roots when `sqrtValues`, i.e. magnitudes selected from a power spectrogram), summed in
 * sorted order in float64. Returns 2·bands.length float64 per frame (low sum — NaN when the band
 * holds a NaN —, high sum), or null when the kernel is unavailable.
 */
export function wasmContrastSums(
  s: Float32Array,
  rows: number,
  nb: number,
  bands: readonly { lo: number; len: number; q: number }[],
  sqrtValues: boolean,
): Float64Array | null {
  if (disabled || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const nBands = bands.length;
  let qMax = 48; // the kernel's selection scratch sits after the first 16 values of lb / hb
  let lenMax = 0;
  for (const b of bands) {
    qMax = Math.max(qMax, b.q);
    lenMax = Math.max(lenMax, b.len);
  }
  const tab = SCR0;
  const lb = align16(tab + 12 * nBands);
  const hb = align16(lb + 4 * qMax);
  const cl = align16(hb + 4 * qMax);
  const ch = align16(cl + 4 * (lenMax + 16));
  const fixed = align16(ch + 4 * (lenMax + 16)) - SCR0;
  if (fixed > (SCR1 - SCR0) / 2) return null;
  const t = new Int32Array(ex.memory.buffer, tab, 3 * nBands);
  bands.forEach((b, i) => {
    t[3 * i] = b.lo;
    t[3 * i + 1] = b.len;
    t[3 * i + 2] = b.q;
  });
  const out = new Float64Array(rows * 2 * nBands);
  const ok = chunked(ex, s, rows, nb, 16 * nBands, fixed, out, f64View, (p, n, o) => ex.contrastSums(p, nb, n, tab, nBands, lb, hb, cl, ch, sqrtValues ? 1 : 0, o));
  return ok ? out : null;
}

/**
 * Spectral contrast from {@link wasmContrastSums}' sums (rows × bands.length pairs: low, high) into
 * `out` (rows × bands.length float32): valley = float32(low / q), peak = float32(high / q), and
 * out = peak − valley, where unless `linear` both are first power_to_db'd (ref 1, amin 1e-10,
 * top_db 80; all valleys as one array, all peaks as another; 10·log10 in float64, computed as
 * ln · 10/ln 10, within an ulp or two of Math.log10). Returns −1 when done; the index of the first pair whose low sum is NaN; or
 * −2 − index of the first pair with an infinite value; null when the kernel is unavailable or the
 * sums do not fit (callers then finish in JS). `sums` is not modified. With `db` (2 per pair, not
 * `linear`), the pairs' dB values before the top_db floor (valley, peak) are written there too: the
 * stream (src/stream/features.ts) floors them over its window itself, with these same values.
 */
export function wasmContrastFinish(sums: Float64Array, rows: number, bands: readonly { q: number }[], linear: boolean, out: Float32Array, db?: Float64Array): number | null {
  if (disabled || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const nBands = bands.length;
  const n = rows * nBands;
  const qs = SCR0;
  const sp = align16(qs + 4 * nBands);
  const op = align16(sp + 16 * n);
  if (op + 4 * n > SCR1) return null;
  const mem = ex.memory.buffer;
  const qa = new Int32Array(mem, qs, nBands);
  for (let k = 0; k < nBands; k++) qa[k] = bands[k].q;
  new Float64Array(mem, sp, 2 * n).set(sums.subarray(0, 2 * n));
  const r = ex.contrastFinish(sp, rows, nBands, qs, linear ? 1 : 0, op);
  if (r === -1) {
    out.set(new Float32Array(mem, op, n));
    if (db && !linear) db.set(new Float64Array(mem, sp, 2 * n));
  }
  return r;
}

/**
 * A 12-row chroma filterbank as segments of consecutive bins for {@link wasmChromaSparse}: segment
 * g covers bins [segs[4g], segs[4g] + segs[4g+1]) (≤ 64), and holds per bin the 8 weights of chroma
 * segs[4g+2] … +7 (mod 12), or all 12 when segs[4g+2] < 0, from float offset segs[4g+3] of `packed`.
 */
export interface ChromaSegments {
  packed: Float32Array;
  segs: Int32Array;
}

/**
 * raw[t·12 + c] = Σ_k W[c, k] · S[t, k] for the segmented bank (see {@link ChromaSegments}) and a
 * frame-major (rows × nb) spectrogram, into `raw` (float64, rows·12): float32 products summed per
 * segment, segment sums in float64. False when the kernel is unavailable.
 */
export function wasmChromaSparse(bank: ChromaSegments, s: Float32Array, rows: number, nb: number, raw: Float64Array): boolean {
  return chromaSparseRun(bank, s, rows, nb, raw, false) !== null;
}

/**
 * chroma_stft with norm ∞ for 12 bins: the projection of {@link wasmChromaSparse}, each frame
 * rounded to float32 and divided by its largest magnitude (left as is when that is below float32's
 * smallest normal), into `out` (rows × 12 float32). Returns −1 when done, the first frame holding a
 * non-finite value, or null when the kernel is unavailable.
 */
export function wasmChromaNormInf(bank: ChromaSegments, s: Float32Array, rows: number, nb: number, out: Float32Array): number | null {
  return chromaSparseRun(bank, s, rows, nb, out, true);
}

function chromaSparseRun(bank: ChromaSegments, s: Float32Array, rows: number, nb: number, dst: Float64Array | Float32Array, norm: boolean): number | null {
  if (disabled || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const nSegs = bank.segs.length >> 2;
  const segPtr = align16(SCR0 + 4 * bank.packed.length);
  const accPtr = align16(segPtr + 16 * nSegs);
  const fixed = accPtr + 384 - SCR0;
  if (fixed > (SCR1 - SCR0) / 2) return null;
  const mem = ex.memory.buffer;
  new Float32Array(mem, SCR0, bank.packed.length).set(bank.packed);
  new Int32Array(mem, segPtr, bank.segs.length).set(bank.segs);
  let bad = -1;
  let r0 = 0;
  const run = (p: number, n: number, o: number) => {
    if (bad < 0) {
      const r = ex.chromaSparse(SCR0, segPtr, nSegs, p, o, nb, n, accPtr, norm ? 1 : 0);
      if (r >= 0) bad = r0 + r;
    }
    r0 += n;
  };
  const ok =
    dst instanceof Float32Array
      ? chunked(ex, s, rows, nb, 48, fixed, dst.length === rows * 12 ? dst : dst.subarray(0, rows * 12), f32View, run)
      : chunked(ex, s, rows, nb, 96, fixed, dst.length === rows * 12 ? dst : dst.subarray(0, rows * 12), f64View, run);
  return ok ? bad : null;
}

/**
 * The chroma filterbank's float32 weights bin-major (W[c, k] at k·n + c, nOut·n values) from its
 * per-bin axes (see chromaFilterbank in features/chroma.ts: frq and width, nOut values each, the
 * half-width `half`, the octave Gaussian's ctroct and octwidth, L2 column norms, rows rolled by
 * `shift`): the same float64 operations as the JS loop, with fdlibm's exp (Math.exp's algorithm), so
 * the same weights. Null when the kernel is unavailable or an argument is out of its range.
 */
export function wasmChromaBank(frq: Float64Array, width: Float64Array, nOut: number, n: number, half: number, ctroct: number, octwidth: number, shift: number): Float32Array | null {
  if (disabled || nOut === 0) return null;
  const ex = load();
  if (!ex) return null;
  const nPad = (nOut + 3) & ~3;
  const fp = SCR0;
  const wp = align16(fp + 8 * nPad);
  const cp = align16(wp + 8 * nPad);
  const op = align16(cp + 32 * n);
  if (op + 4 * n * nPad > SCR1) return null;
  const mem = ex.memory.buffer;
  const f = new Float64Array(mem, fp, nPad);
  const w = new Float64Array(mem, wp, nPad);
  f.set(frq.subarray(0, nOut));
  w.set(width.subarray(0, nOut));
  for (let k = nOut; k < nPad; k++) {
    f[k] = frq[nOut - 1];
    w[k] = width[nOut - 1];
  }
  if (ex.chromaBank(fp, wp, nPad, n, half, ctroct, octwidth, shift, op, cp) !== 1) return null;
  return new Float32Array(mem, op, n * nOut).slice();
}

/**
 * dst[i] = float32(10·log10(max(src[i], amin)) − refDb) (NaN stays NaN, +∞ stays +∞) for every
 * value; returns the largest result (NaNs ignored; −∞ when none), or null when the kernel is
 * unavailable (or amin is not a normal positive number). With `topDb`, values below
 * (float32(max) − topDb) are then raised to it, as power_to_db's top_db does (in the kernel's memory
 * when the whole array fits there at once, else over dst).
 */
export function wasmPowerToDb(src: Float32Array, amin: number, refDb: number, dst: Float32Array, topDb?: number): number | null {
  if (disabled || src.length === 0 || !(amin >= 2.2250738585072014e-308) || !Number.isFinite(amin) || !Number.isFinite(refDb)) return null;
  const ex = load();
  if (!ex) return null;
  const n = src.length;
  if (topDb !== undefined) {
    // one pass: convert, clip in place, copy out once
    const res = residentOffset(ex, src);
    const outPtr = align16(res >= 0 ? SCR0 : SCR0 + 4 * n + 16);
    if (outPtr + 4 * n <= SCR1 && n <= CHUNK_ROWS_FLOATS) {
      const mem = ex.memory.buffer;
      if (res < 0) new Float32Array(mem, SCR0, n).set(src);
      const max = ex.powerToDb(res >= 0 ? res : SCR0, n, amin, refDb, outPtr);
      ex.clampMin(outPtr, n, Math.fround(Math.fround(max) - topDb));
      dst.set(new Float32Array(mem, outPtr, n));
      return max;
    }
  }
  let max = -Infinity;
  const ok = chunked(ex, src, n, 1, 4, 0, dst, f32View, (p, k, o) => {
    const m = ex.powerToDb(p, k, amin, refDb, o);
    if (m > max) max = m;
  });
  if (!ok) return null;
  if (topDb !== undefined) {
    const floor = Math.fround(max) - topDb;
    for (let i = 0; i < n; i++) if (dst[i] < floor) dst[i] = floor;
  }
  return max;
}

/**
 * The interior frames t ∈ [h, rows − h) of a Savitzky–Golay filter along the frames of a frame-major
 * (rows × F) float32 matrix: dst[t, f] = Σ_i weights[i] · src[t − h + offsets[i], f], summed in float64
 * in the order given, written into dst (other frames untouched). False (nothing done) when the
 * kernel is unavailable, F is odd or the matrix does not fit.
 */
export function wasmSavgolInterior(src: Float32Array, rows: number, F: number, h: number, offsets: readonly number[], weights: readonly number[], dst: Float32Array): boolean {
  if (disabled || F % 2 !== 0 || rows <= 2 * h || offsets.length === 0) return false;
  const ex = load();
  if (!ex) return false;
  const nT = offsets.length;
  const taps = SCR0;
  const w = align16(taps + 4 * nT);
  const x = align16(w + 8 * nT);
  const out = align16(x + 4 * rows * F);
  if (out + 4 * rows * F > SCR1) return false;
  const mem = ex.memory.buffer;
  new Int32Array(mem, taps, nT).set(offsets);
  new Float64Array(mem, w, nT).set(weights);
  new Float32Array(mem, x, rows * F).set(src.subarray(0, rows * F));
  ex.savgolInterior(x, rows, F, h, taps, w, nT, out);
  dst.set(new Float32Array(mem, out + 4 * h * F, (rows - 2 * h) * F), h * F);
  return true;
}

/**
 * The DCT-II product out[t, k] = Σ_j D[k, j] · X[t, j] by even/odd folding (half the products; see
 * asm/stft.ts dctFolded): X float32 (rows × n, n a multiple of 4), D float64 (nOut × n) a DCT-II
 * matrix with any per-row scale (D[k, n−1−j] = (−1)^k·D[k, j] is assumed, not checked). Returns
 * rows × nOut float32 (into `dest` when given), or null when the kernel is unavailable.
 */
export function wasmDctFolded(x: Float32Array, rows: number, n: number, d: Float64Array, nOut: number, dest?: Float32Array): Float32Array | null {
  if (disabled || n % 4 !== 0 || rows === 0) return null;
  const ex = load();
  if (!ex) return null;
  const half = n >> 1;
  const hBytes = align16(8 * nOut * half);
  const foldPtr = SCR0 + hBytes;
  const fixed = hBytes + align16(16 * n); // fold scratch: two frames
  if (fixed > (SCR1 - SCR0) / 2) return null;
  const H = new Float64Array(ex.memory.buffer, SCR0, nOut * half);
  for (let k = 0; k < nOut; k++) H.set(d.subarray(k * n, k * n + half), k * half);
  const out = dest ?? new Float32Array(rows * nOut);
  const ok = chunked(ex, x, rows, n, 4 * nOut, fixed, out, f32View, (p, r, o) => ex.dctFolded(p, SCR0, r, n, nOut, foldPtr, o));
  return ok ? out : null;
}

/**
 * For a spectrogram RESIDENT in the kernels' memory (a view from wasmStftPowerResident): the bins
 * k ∈ [k0, k1] (k0 ≥ 1) of each frame t where librosa's piptrack finds a peak — with
 * x = S·(S > thr[t]): S[t, k] > thr[t], x[k] > x[k − 1] and x[k] ≥ x[k + 1] (no right neighbour for the
 * last bin) — as `bins` (frame after frame, increasing k) with `counts[t]` per frame. Null when S is
 * not resident, k0 < 1 or the kernel is unavailable (callers scan S themselves). With `interp`, also
 * each peak's interpolated `pitch` and `mag` as piptrack computes them (see asm/stft.ts peakInterp;
 * absent when they do not fit). The arrays are views valid until the next kernel call.
 */
export function wasmPeakBins(
  s: Float32Array,
  rows: number,
  nb: number,
  k0: number,
  k1: number,
  thr: Float32Array,
  interp?: { sr: number; n_fft: number },
): { bins: Int32Array; counts: Int32Array; pitch?: Float32Array; mag?: Float32Array } | null {
  if (disabled || rows === 0 || k1 < k0 || k0 < 1 || k1 >= nb) return null;
  const ex = load();
  if (!ex) return null;
  const res = residentOffset(ex, s);
  if (res < 0) return null;
  const thrPtr = SCR0;
  const countPtr = align16(thrPtr + 4 * rows);
  const outPtr = align16(countPtr + 4 * rows);
  if (outPtr + 4 * rows * (k1 - k0 + 1) > SCR1) return null;
  const mem = ex.memory.buffer;
  new Float32Array(mem, thrPtr, rows).set(thr.subarray(0, rows));
  const total = ex.peakBins(res, nb, rows, k0, k1, thrPtr, outPtr, countPtr);
  const bins = new Int32Array(mem, outPtr, total);
  const counts = new Int32Array(mem, countPtr, rows);
  const pitchPtr = align16(outPtr + 4 * total);
  const magPtr = align16(pitchPtr + 4 * total);
  if (!interp || magPtr + 4 * total > SCR1) return { bins, counts };
  ex.peakInterp(res, nb, rows, outPtr, countPtr, interp.sr, interp.n_fft, pitchPtr, magPtr);
  return { bins, counts, pitch: new Float32Array(mem, pitchPtr, total), mag: new Float32Array(mem, magPtr, total) };
}
