/**
 * LSTM recurrence kernels: the whole forward recurrence of a sequence, and the whole backprop
 * through time, each as ONE tfjs kernel call (instead of a dozen tfjs ops per time step).
 *
 * Gate order and layout are Keras/tfjs's ([i, f, g, o], sigmoid gates, tanh cell activation).
 * Shapes (batch-major, like the layer's input):
 *
 * - `SerLstmForward`  inputs {xp (B, T, 4H) = x·W + b, u (H, 4H), h0 (B, H), c0 (B, H)}
 *   → [h (B, T, H), c (B, T, H), gates (B, T, 4H) activated [i, f, g, o]].
 * - `SerLstmBackward` inputs {gates, c, h (B, T, H) from the forward pass, x (B, T, F) the layer
 *   input, w (F, 4H), u, h0, c0, dy}, attr {sequence}: dy is the gradient of every output step
 *   (B, T, H) when `sequence`, else of the last output only (B, H)
 *   → [dx (B, T, F), dW (F, 4H), dU (H, 4H), db (4H), dh0 (B, H), dc0 (B, H)]: backprop through
 *   time, then the weight products, all in the module.
 *
 * Implementations: a WebAssembly SIMD module (asm/lstm.ts, ~7 kB: compiled asynchronously by
 * initBackend via loadLstmWasm(), or synchronously on first use where allowed) when available and
 * the unit count is a multiple of 4; otherwise plain JS over typed arrays (the same algorithm). Registered for the 'wasm' and 'cpu' backends; on any other backend (webgl)
 * layers/lstm.ts falls back to its per-step tfjs ops. Browser-safe: no Node APIs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { LSTM_WASM_BASE64 } from './lstm-wasm.generated.js';
import { wasmKernelModule } from '../../dsp/wasm-module.js';

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

export interface LstmGradients extends LstmBackwardResult {
  /** gradient of the input x, (B, T, F) */
  dx: Float32Array;
  /** gradients of the kernel W (F, 4H), recurrent kernel U (H, 4H), bias (4H) */
  dW: Float32Array;
  dU: Float32Array;
  db: Float32Array;
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
  matmulPacked(a: number, lda: number, bp: number, d: number, ldd: number, c: number, ldc: number, M: number, K: number, N: number): void;
  matmulAtPacked(a: number, lda: number, bp: number, c: number, ldc: number, M: number, K: number, N: number): void;
  colSums(a: number, K: number, N: number, out: number): void;
  packRows(a: number, lda: number, K: number, N: number, out: number): void;
  colSumsF64(a: number, K: number, N: number, scale: number, out: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, B: number, IH: number, IW: number, C: number, OH: number, OW: number, FH: number, FW: number, sh: number, sw: number, pt: number, pl: number): void;
}

const lstmModule = wasmKernelModule<Exports>('lstm', LSTM_WASM_BASE64);
const load = (): Exports | null => lstmModule.get();
let wasmDisabled = false;

/**
 * Compiles and instantiates the module asynchronously (idempotent; resolves true when available).
 * A browser's main thread refuses the synchronous compile of modules over 4 kB, so initBackend
 * calls this first; the kernels then find the instance ready.
 */
export function loadLstmWasm(): Promise<boolean> {
  return lstmModule.load();
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

/**
 * Copies the backward pass's inputs into the module at the given offsets (gates and cells
 * time-major, Uᵀ packed, dy or the last step's dh, zeroed dh/dc and a zero row of `zeroLen` floats)
 * and runs the BPTT kernel; dz (time-major) is left at pdz.
 */
function runBackward(
  ex: Exports, [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero]: number[], zeroLen: number,
  gates: Float32Array, c: Float32Array, c0: Float32Array, u: Float32Array, dy: Float32Array, sequence: boolean, B: number, T: number, H: number,
): void {
  const G4 = 4 * H;
  swap01(f32(ex, pg, B * T * G4), gates, B, T, G4);
  swap01(f32(ex, pc, B * T * H), c, B, T, H);
  f32(ex, pc0, B * H).set(c0);
  // Uᵀ (4H × H): element (k, n) = u[n·4H + k]
  pack(f32(ex, put, packedSize(G4, H)), u, G4, H, 1, G4);
  if (sequence) {
    swap01(f32(ex, pdy, B * T * H), dy, B, T, H);
    f32(ex, pdh, B * H).fill(0);
  } else {
    f32(ex, pdh, B * H).set(dy);
  }
  f32(ex, pdc, B * H).fill(0);
  f32(ex, pzero, zeroLen).fill(0);
  ex.lstmBackward(pg, pc, pc0, put, pdy, sequence ? 1 : 0, pdh, pdc, pdz, pzero, B, T, H);
}

/** Backprop through time: WebAssembly when available (H a multiple of 4), else plain JS. */
export function lstmBackward(gates: Float32Array, c: Float32Array, c0: Float32Array, u: Float32Array, dy: Float32Array, sequence: boolean, B: number, T: number, H: number): LstmBackwardResult {
  const ex = wasmDisabled || H % 4 !== 0 ? null : load();
  if (ex === null) return lstmBackwardJs(gates, c, c0, u, dy, sequence, B, T, H);
  const G4 = 4 * H;
  const nDy = sequence ? B * T * H : 0;
  const [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero] = layout(ex, [B * T * G4, B * T * H, B * H, packedSize(G4, H), nDy, B * H, B * H, B * T * G4, H + 8]) as number[] as [number, number, number, number, number, number, number, number, number];
  runBackward(ex, [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero], H + 8, gates, c, c0, u, dy, sequence, B, T, H);
  const dz = new Float32Array(B * T * G4);
  swap01(dz, f32(ex, pdz, B * T * G4), T, B, G4);
  return { dz, dh0: f32(ex, pdh, B * H).slice(), dc0: f32(ex, pdc, B * H).slice() };
}

/**
 * dW = Σ xᵀ·dz, dU = Σ h_{t−1}ᵀ·dz, db = Σ dz, dx = dz·Wᵀ from dz (B, T, 4H), in plain JS.
 * x (B, T, F), w (F, 4H), h (B, T, H) the forward hidden states, h0 (B, H).
 */
function weightGradsJs(dz: Float32Array, x: Float32Array, w: Float32Array, h: Float32Array, h0: Float32Array, B: number, T: number, F: number, H: number): { dx: Float32Array; dW: Float32Array; dU: Float32Array; db: Float32Array } {
  const G4 = 4 * H;
  const dW = new Float64Array(F * G4);
  const dU = new Float64Array(H * G4);
  const db = new Float64Array(G4);
  const dx = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const r = b * T + t;
    const zo = r * G4;
    for (let j = 0; j < G4; j++) db[j]! += dz[zo + j]!;
    for (let f = 0; f < F; f++) {
      const xv = x[r * F + f]!;
      let s = 0;
      for (let j = 0; j < G4; j++) {
        dW[f * G4 + j]! += xv * dz[zo + j]!;
        s += dz[zo + j]! * w[f * G4 + j]!;
      }
      dx[r * F + f] = s;
    }
    const hp = t === 0 ? h0 : h;
    const ho = t === 0 ? b * H : (r - 1) * H;
    for (let k = 0; k < H; k++) {
      const hv = hp[ho + k]!;
      if (hv === 0) continue;
      for (let j = 0; j < G4; j++) dU[k * G4 + j]! += hv * dz[zo + j]!;
    }
  }
  return { dx, dW: Float32Array.from(dW), dU: Float32Array.from(dU), db: Float32Array.from(db) };
}

/**
 * All gradients of the LSTM from the forward pass's gates and cells: BPTT, then dW, dU, db, dx.
 * x (B, T, F) the layer input, w (F, 4H), u (H, 4H), h (B, T, H) and c (B, T, H) the forward
 * states, h0, c0 (B, H), dy (B, T, H) when `sequence`, else (B, H). WebAssembly when available
 * (H a multiple of 4), else plain JS.
 */
export function lstmGradients(
  gates: Float32Array, c: Float32Array, h: Float32Array, x: Float32Array, w: Float32Array, u: Float32Array,
  h0: Float32Array, c0: Float32Array, dy: Float32Array, sequence: boolean, B: number, T: number, F: number, H: number,
): LstmGradients {
  const ex = wasmDisabled || H % 4 !== 0 ? null : load();
  if (ex === null) {
    const r = lstmBackwardJs(gates, c, c0, u, dy, sequence, B, T, H);
    return { ...r, ...weightGradsJs(r.dz, x, w, h, h0, B, T, F, H) };
  }
  const G4 = 4 * H;
  const K = B * T;
  const Fp = Math.ceil(F / 8) * 8;
  const nDy = sequence ? K * H : 0;
  const sizes = [K * G4, K * H, B * H, packedSize(G4, H), nDy, B * H, B * H, K * G4, Math.max(H, Fp) + 8, (T + 1) * B * H, K * F, packedSize(K, G4), packedSize(G4, F), F * G4, H * G4, G4, K * Fp];
  const [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero, php, px, pdzp, pwt, pdw, pdu, pdb, pdx] = layout(ex, sizes) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  runBackward(ex, [pg, pc, pc0, put, pdy, pdh, pdc, pdz, pzero], Math.max(H, Fp) + 8, gates, c, c0, u, dy, sequence, B, T, H);
  // rows r = t·B + b: h_{t−1} = [h0; h_0 … h_{T−2}] is the first T·B rows of [h0; h (time-major)]
  f32(ex, php, B * H).set(h0);
  swap01(f32(ex, php + B * H * 4, K * H), h, B, T, H);
  swap01(f32(ex, px, K * F), x, B, T, F);
  ex.packRows(pdz, G4, K, G4, pdzp);
  pack(f32(ex, pwt, packedSize(G4, F)), w, G4, F, 1, G4); // Wᵀ (4H × F)
  ex.matmulAtPacked(px, F, pdzp, pdw, G4, F, K, G4);
  ex.matmulAtPacked(php, H, pdzp, pdu, G4, H, K, G4);
  ex.colSums(pdz, K, G4, pdb);
  ex.matmulPacked(pdz, G4, pwt, pzero, 0, pdx, Fp, K, G4, F);
  const dx = new Float32Array(K * F);
  const dxv = f32(ex, pdx, K * Fp);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    const s = (t * B + b) * Fp;
    dx.set(dxv.subarray(s, s + F), (b * T + t) * F);
  }
  return {
    dz: new Float32Array(0),
    dx,
    dW: f32(ex, pdw, F * G4).slice(),
    dU: f32(ex, pdu, H * G4).slice(),
    db: f32(ex, pdb, G4).slice(),
    dh0: f32(ex, pdh, B * H).slice(),
    dc0: f32(ex, pdc, B * H).slice(),
  };
}

// ---------------------------------------------------------------------------------------------
// The same module's helpers for other kernels (./fast_wasm.ts). Each returns false when the
// module is unavailable (the caller then uses its JS loop).
// ---------------------------------------------------------------------------------------------

/** out[j] = scale · Σ_q x[q·inner + j] for j < inner (float64 accumulation). */
export function wasmColSums(x: Float32Array, rows: number, inner: number, scale: number, out: Float32Array): boolean {
  const ex = wasmDisabled ? null : load();
  if (ex === null) return false;
  const [px, po] = layout(ex, [rows * inner, inner]) as [number, number];
  f32(ex, px, rows * inner).set(x.subarray(0, rows * inner));
  ex.colSumsF64(px, rows, inner, scale, po);
  out.set(f32(ex, po, inner));
  return true;
}

/** Max-pool gradient (NHWC, no dilation) into dx: each dy goes to its window's first maximum. */
export function wasmMaxPoolGrad(
  x: Float32Array, dy: Float32Array, dx: Float32Array, B: number, IH: number, IW: number, C: number,
  OH: number, OW: number, FH: number, FW: number, sh: number, sw: number, pt: number, pl: number,
): boolean {
  const ex = wasmDisabled ? null : load();
  if (ex === null) return false;
  const nx = B * IH * IW * C;
  const ny = B * OH * OW * C;
  const [px, py, pd] = layout(ex, [nx, ny, nx]) as [number, number, number];
  f32(ex, px, nx).set(x.subarray(0, nx));
  f32(ex, py, ny).set(dy.subarray(0, ny));
  ex.maxPoolGrad(px, py, pd, B, IH, IW, C, OH, OW, FH, FW, sh, sw, pt, pl);
  dx.set(f32(ex, pd, nx));
  return true;
}

/**
 * Filter gradient of a 1-D convolution (stride 1, no dilation, left padding p):
 *   dW[k, ci, co] = Σ_{b,t} x[b, t + k − p, ci] · dy[b, t, co]   → out (KW·Ci·Co) = [KW, Ci, Co].
 * x (B, W, Ci), dy (B, OW, Co). The batches are laid end to end, each in a zero-padded segment of
 * S rows, so that one product (windows of the padded signal)ᵀ · dy covers all of them.
 */
export function wasmConv1dFilterGrad(x: Float32Array, dy: Float32Array, B: number, W: number, Ci: number, OW: number, Co: number, KW: number, padLeft: number, out: Float32Array): boolean {
  const ex = wasmDisabled ? null : load();
  if (ex === null) return false;
  const S = Math.max(OW + KW - 1, padLeft + W);
  const L = B * S;
  const Cp = Math.ceil(Co / 8) * 8;
  const M = KW * Ci;
  const [px, pdy, pp, pout] = layout(ex, [L * Ci + KW * Ci + 8, L * Co, packedSize(L, Co), M * Cp]) as [number, number, number, number];
  const xs = f32(ex, px, L * Ci + KW * Ci + 8);
  xs.fill(0);
  const ds = f32(ex, pdy, L * Co);
  ds.fill(0);
  for (let b = 0; b < B; b++) {
    xs.set(x.subarray(b * W * Ci, (b + 1) * W * Ci), (b * S + padLeft) * Ci);
    ds.set(dy.subarray(b * OW * Co, (b + 1) * OW * Co), b * S * Co);
  }
  ex.packRows(pdy, Co, L, Co, pp);
  ex.matmulAtPacked(px, Ci, pp, pout, Cp, M, L, Co);
  const r = f32(ex, pout, M * Cp);
  if (Cp === Co) out.set(r);
  else for (let m = 0; m < M; m++) out.set(r.subarray(m * Cp, m * Cp + Co), m * Co);
  return true;
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
  const { gates, c, h, x, w, u, h0, c0, dy } = args.inputs as Record<'gates' | 'c' | 'h' | 'x' | 'w' | 'u' | 'h0' | 'c0' | 'dy', TensorInfo>;
  const sequence = args.attrs.sequence as boolean;
  const [B, T, G4] = gates.shape as [number, number, number];
  const H = G4 / 4;
  const F = x.shape[2]!;
  const be = args.backend;
  const r = lstmGradients(read(be, gates), read(be, c), read(be, h), read(be, x), read(be, w), read(be, u), read(be, h0), read(be, c0), read(be, dy), sequence, B, T, F, H);
  return [
    output(be, [B, T, F], r.dx),
    output(be, [F, G4], r.dW),
    output(be, [H, G4], r.dU),
    output(be, [G4], r.db),
    output(be, [B, H], r.dh0),
    output(be, [B, H], r.dc0),
  ];
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
