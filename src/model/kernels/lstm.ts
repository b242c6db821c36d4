/**
 * LSTM recurrence kernels: the whole forward recurrence of a sequence, and the whole backprop
 * through time, each as ONE tfjs kernel call (instead of a dozen tfjs ops per time step).
 *
 * Gate order and layout are Keras/tfjs's ([i, f, g, o], sigmoid gates, tanh cell activation).
 * Shapes (batch-major, like the layer's input):
 *
 * - `SerLstmForward`  inputs {xp (B, T, 4H) = x·W + b, u (H, 4H), h0 (B, H), c0 (B, H)}
 *   → [h (B, T, H), c (B, T, H), gates (B, T, 4H) activated [i, f, g, o]].
 * - `SerLstmBackward` inputs {gates, c, c0, u, dy}, attr {sequence}: dy is the gradient of every
 *   output step (B, T, H) when `sequence`, else of the last output only (B, H)
 *   → [dz (B, T, 4H) gradient of the pre-activation gates, dh0 (B, H), dc0 (B, H)].
 *   (dW, dU, db, dx follow from dz with three matrix products and a sum: see layers/lstm.ts.)
 *
 * Implementations: a WebAssembly SIMD module (asm/lstm.ts, 4.7 kB, compiled synchronously on first
 * use) when available and the unit count is a multiple of 4; otherwise plain JS over typed arrays
 * (the same algorithm). Registered for the 'wasm' and 'cpu' backends; on any other backend (webgl)
 * layers/lstm.ts falls back to its per-step tfjs ops. Browser-safe: no Node APIs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { LSTM_WASM_BASE64 } from './lstm-wasm.generated.js';

export const LSTM_FORWARD = 'SerLstmForward';
export const LSTM_BACKWARD = 'SerLstmBackward';

export interface LstmForwardResult {
  /** hidden states (B, T, H) */
  h: Float32Array;
  /** cell states (B, T, H) */
  c: Float32Array;
  /** activated gates (B, T, 4H), [i, f, g, o] */
  gates: Float32Array;
}

export interface LstmBackwardResult {
  /** gradient of the pre-activation gates z = x·W + h·U + b, (B, T, 4H) */
  dz: Float32Array;
  dh0: Float32Array;
  dc0: Float32Array;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Forward recurrence in plain JS. xp (B, T, 4H) = x·W + b; u (H, 4H); h0, c0 (B, H).
 * Returns h, c (B, T, H) and the activated gates (B, T, 4H).
 */
export function lstmForwardJs(xp: Float32Array, u: Float32Array, h0: Float32Array, c0: Float32Array, B: number, T: number, H: number): LstmForwardResult {
  const G4 = 4 * H;
  const gates = Float32Array.from(xp);
  const h = new Float32Array(B * T * H);
  const c = new Float32Array(B * T * H);
  const z = new Float64Array(G4);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const go = (b * T + t) * G4;
      for (let j = 0; j < G4; j++) z[j] = gates[go + j]!;
      const hp = t === 0 ? h0 : h;
      const ho = t === 0 ? b * H : (b * T + t - 1) * H;
      for (let k = 0; k < H; k++) {
        const hk = hp[ho + k]!;
        if (hk === 0) continue;
        const uo = k * G4;
        for (let j = 0; j < G4; j++) z[j]! += hk * u[uo + j]!;
      }
      const cp = t === 0 ? c0 : c;
      const co = t === 0 ? b * H : (b * T + t - 1) * H;
      const o = (b * T + t) * H;
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(z[j]!);
        const fg = sigmoid(z[H + j]!);
        const gg = Math.tanh(z[2 * H + j]!);
        const og = sigmoid(z[3 * H + j]!);
        const cv = Math.fround(fg * cp[co + j]! + ig * gg);
        gates[go + j] = ig;
        gates[go + H + j] = fg;
        gates[go + 2 * H + j] = gg;
        gates[go + 3 * H + j] = og;
        c[o + j] = cv;
        h[o + j] = og * Math.tanh(cv);
      }
    }
  }
  return { h, c, gates };
}

/**
 * Backprop through time in plain JS. gates (B, T, 4H) and c (B, T, H) from the forward pass; c0
 * (B, H); u (H, 4H); dy: (B, T, H) when `sequence`, else (B, H) (gradient of the last output).
 */
export function lstmBackwardJs(gates: Float32Array, c: Float32Array, c0: Float32Array, u: Float32Array, dy: Float32Array, sequence: boolean, B: number, T: number, H: number): LstmBackwardResult {
  const G4 = 4 * H;
  const dz = new Float32Array(B * T * G4);
  const dh0 = new Float32Array(B * H);
  const dc0 = new Float32Array(B * H);
  const dh = new Float64Array(H);
  const dcn = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    dh.fill(0);
    dcn.fill(0);
    if (!sequence) for (let j = 0; j < H; j++) dh[j] = dy[b * H + j]!;
    for (let t = T - 1; t >= 0; t--) {
      const go = (b * T + t) * G4;
      const o = (b * T + t) * H;
      if (sequence) for (let j = 0; j < H; j++) dh[j]! += dy[o + j]!;
      for (let j = 0; j < H; j++) {
        const ig = gates[go + j]!, fg = gates[go + H + j]!, gg = gates[go + 2 * H + j]!, og = gates[go + 3 * H + j]!;
        const tc = Math.tanh(c[o + j]!);
        const cprev = t === 0 ? c0[b * H + j]! : c[o - H + j]!;
        const dc = dh[j]! * og * (1 - tc * tc) + dcn[j]!;
        dz[go + j] = dc * gg * ig * (1 - ig);
        dz[go + H + j] = dc * cprev * fg * (1 - fg);
        dz[go + 2 * H + j] = dc * ig * (1 - gg * gg);
        dz[go + 3 * H + j] = dh[j]! * tc * og * (1 - og);
        dcn[j] = dc * fg;
      }
      // dh_{t−1} = dz_t · Uᵀ
      for (let k = 0; k < H; k++) {
        let s = 0;
        const uo = k * G4;
        for (let j = 0; j < G4; j++) s += dz[go + j]! * u[uo + j]!;
        dh[k] = s;
      }
    }
    for (let j = 0; j < H; j++) {
      dh0[b * H + j] = dh[j]!;
      dc0[b * H + j] = dcn[j]!;
    }
  }
  return { dz, dh0, dc0 };
}

// ---------------------------------------------------------------------------------------------
// WebAssembly module
// ---------------------------------------------------------------------------------------------

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  lstmForward(g: number, u: number, h0: number, c0: number, hs: number, cs: number, B: number, T: number, H: number): void;
  lstmBackward(g: number, cs: number, c0: number, ut: number, dy: number, seq: number, dhn: number, dcn: number, dz: number, zero: number, B: number, T: number, H: number): void;
}

let instance: Exports | null | undefined;
let wasmDisabled = false;

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
    const mod = new WebAssembly.Module(decodeBase64(LSTM_WASM_BASE64));
    const inst = new WebAssembly.Instance(mod, { env: { abort: () => { throw new Error('lstm wasm abort'); } } });
    instance = inst.exports as unknown as Exports;
  } catch {
    instance = null; // no WebAssembly SIMD (or a main thread refusing a synchronous compile): plain JS
  }
  return instance;
}

/** Turns the WebAssembly LSTM kernels off (true: plain JS) or back on, e.g. to compare both. */
export function setLstmWasmDisabled(off: boolean): void {
  wasmDisabled = off;
}

/** True when the WebAssembly LSTM kernels are available and enabled. */
export function lstmWasmAvailable(): boolean {
  return !wasmDisabled && load() !== null;
}

/** Bump allocator over the module's memory for one call: returns byte offsets, grows memory
 * (64 spare bytes at the end: the kernels may read one vector past a buffer). */
function layout(ex: Exports, sizes: number[]): number[] {
  let p = (ex.heapBase() + 15) & ~15;
  const offs = sizes.map((n) => {
    const o = p;
    p += ((n * 4 + 15) & ~15);
    return o;
  });
  p += 64;
  const have = ex.memory.buffer.byteLength;
  if (p > have) ex.memory.grow(Math.ceil((p - have) / 65536));
  return offs;
}

const f32 = (ex: Exports, off: number, n: number) => new Float32Array(ex.memory.buffer, off, n);

/** Copies src (A, Bn, R) into dst as (Bn, A, R): batch-major ↔ time-major. */
function swap01(dst: Float32Array, src: Float32Array, A: number, Bn: number, R: number): void {
  for (let a = 0; a < A; a++) for (let b = 0; b < Bn; b++) {
    const s = (a * Bn + b) * R;
    dst.set(src.subarray(s, s + R), (b * A + a) * R);
  }
}

/** Floats taken by a (K, N) matrix packed in panels of 8 columns. */
const packedSize = (K: number, N: number) => K * 8 * Math.ceil(N / 8);

/**
 * Writes m (K × N, element (k, n) at m[k·sk + n·sn]) into `out` packed in panels of 8 columns:
 * panel q holds rows k = 0..K−1 of columns 8q..8q+7, zero-padded past N.
 */
function pack(out: Float32Array, m: Float32Array, K: number, N: number, sk: number, sn: number): void {
  out.fill(0);
  for (let q = 0; q * 8 < N; q++) {
    const w = Math.min(8, N - 8 * q);
    const base = q * K * 8;
    for (let k = 0; k < K; k++) {
      const src = k * sk + 8 * q * sn;
      const dst = base + k * 8;
      for (let c = 0; c < w; c++) out[dst + c] = m[src + c * sn]!;
    }
  }
}

/** Forward recurrence: WebAssembly when available (H a multiple of 4), else plain JS. */
export function lstmForward(xp: Float32Array, u: Float32Array, h0: Float32Array, c0: Float32Array, B: number, T: number, H: number): LstmForwardResult {
  const ex = wasmDisabled || H % 4 !== 0 ? null : load();
  if (ex === null) return lstmForwardJs(xp, u, h0, c0, B, T, H);
  const G4 = 4 * H;
  const [pg, pu, ph0, pc0, ph, pc] = layout(ex, [B * T * G4, packedSize(H, G4), B * H, B * H, B * T * H, B * T * H]) as [number, number, number, number, number, number];
  swap01(f32(ex, pg, B * T * G4), xp, B, T, G4);
  pack(f32(ex, pu, packedSize(H, G4)), u, H, G4, G4, 1);
  f32(ex, ph0, B * H).set(h0);
  f32(ex, pc0, B * H).set(c0);
  ex.lstmForward(pg, pu, ph0, pc0, ph, pc, B, T, H);
  const r = { h: new Float32Array(B * T * H), c: new Float32Array(B * T * H), gates: new Float32Array(B * T * G4) };
  swap01(r.h, f32(ex, ph, B * T * H), T, B, H);
  swap01(r.c, f32(ex, pc, B * T * H), T, B, H);
  swap01(r.gates, f32(ex, pg, B * T * G4), T, B, G4);
  return r;
}

/** Backprop through time: WebAssembly when available (H a multiple of 4), else plain JS. */
export function lstmBackward(gates: Float32Array, c: Float32Array, c0: Float32Array, u: Float32Array, dy: Float32Array, sequence: boolean, B: number, T: number, H: number): LstmBackwardResult {
  const ex = wasmDisabled || H % 4 !== 0 ? null : load();
  if (ex === null) return lstmBackwardJs(gates, c, c0, u, dy, sequence, B, T, H);
  const G4 = 4 * H;
  const nDy = sequence ? B * T * H : 0;
  const [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero] = layout(ex, [B * T * G4, B * T * H, B * H, packedSize(G4, H), nDy, B * H, B * H, B * T * G4, H + 8]) as number[] as [number, number, number, number, number, number, number, number, number];
  swap01(f32(ex, pg, B * T * G4), gates, B, T, G4);
  swap01(f32(ex, pc, B * T * H), c, B, T, H);
  f32(ex, pc0, B * H).set(c0);
  // Uᵀ (4H × H): element (k, n) = u[n·4H + k]
  pack(f32(ex, put, packedSize(G4, H)), u, G4, H, 1, G4);
  if (sequence) {
    swap01(f32(ex, pdy, nDy), dy, B, T, H);
    f32(ex, pdh, B * H).fill(0);
  } else {
    f32(ex, pdh, B * H).set(dy);
  }
  f32(ex, pdc, B * H).fill(0);
  f32(ex, pzero, H + 8).fill(0);
  ex.lstmBackward(pg, pc, pc0, put, pdy, sequence ? 1 : 0, pdh, pdc, pdz, pzero, B, T, H);
  const dz = new Float32Array(B * T * G4);
  swap01(dz, f32(ex, pdz, B * T * G4), T, B, G4);
  return { dz, dh0: f32(ex, pdh, B * H).slice(), dc0: f32(ex, pdc, B * H).slice() };
}

// ---------------------------------------------------------------------------------------------
// tfjs kernels (wasm and cpu backends)
// ---------------------------------------------------------------------------------------------

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}
type Args = { inputs: Record<string, TensorInfo>; backend: tf.KernelBackend; attrs: NamedAttrMap };

function isHeap(b: tf.KernelBackend): b is tf.KernelBackend & HeapBackend {
  return typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** The float32 values of a kernel input (a heap view on wasm: copy before allocating). */
function read(backend: tf.KernelBackend, t: TensorInfo): Float32Array {
  if (isHeap(backend)) return backend.typedArrayFromHeap(t);
  return backend.readSync(t.dataId) as Float32Array;
}

function output(backend: tf.KernelBackend, shape: number[], data: Float32Array): TensorInfo {
  if (isHeap(backend)) {
    const out = backend.makeOutput(shape, 'float32');
    backend.typedArrayFromHeap(out).set(data);
    return out;
  }
  return (backend as unknown as { makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): TensorInfo }).makeTensorInfo(shape, 'float32', data);
}

function forwardKernel(args: Args): TensorInfo[] {
  const { xp, u, h0, c0 } = args.inputs as { xp: TensorInfo; u: TensorInfo; h0: TensorInfo; c0: TensorInfo };
  const [B, T, G4] = xp.shape as [number, number, number];
  const H = G4 / 4;
  const be = args.backend;
  // Compute from the inputs' current views before any output is allocated (allocation may grow,
  // and detach, the wasm heap).
  const r = lstmForward(read(be, xp), read(be, u), read(be, h0), read(be, c0), B, T, H);
  return [output(be, [B, T, H], r.h), output(be, [B, T, H], r.c), output(be, [B, T, G4], r.gates)];
}

function backwardKernel(args: Args): TensorInfo[] {
  const { gates, c, c0, u, dy } = args.inputs as { gates: TensorInfo; c: TensorInfo; c0: TensorInfo; u: TensorInfo; dy: TensorInfo };
  const sequence = args.attrs.sequence as boolean;
  const [B, T, G4] = gates.shape as [number, number, number];
  const H = G4 / 4;
  const be = args.backend;
  const r = lstmBackward(read(be, gates), read(be, c), read(be, c0), read(be, u), read(be, dy), sequence, B, T, H);
  return [output(be, [B, T, G4], r.dz), output(be, [B, H], r.dh0), output(be, [B, H], r.dc0)];
}

export const lstmKernelConfigs: KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((backendName) => [
  { kernelName: LSTM_FORWARD, backendName, kernelFunc: forwardKernel as unknown as KernelFunc },
  { kernelName: LSTM_BACKWARD, backendName, kernelFunc: backwardKernel as unknown as KernelFunc },
]);

/** Registers the LSTM kernels for the wasm and cpu backends (idempotent). */
export function registerLstmKernels(): void {
  for (const c of lstmKernelConfigs) {
    if (tf.getKernel(c.kernelName, c.backendName) === undefined) tf.registerKernel(c);
  }
}
