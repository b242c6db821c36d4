/**
 * Faster replacements for a few tfjs-backend-wasm 4.22 kernels that dominate training time:
 *
 * - Slice / Unpack / SplitV: the shipped Slice copies the WHOLE input out of the wasm heap
 *   (readSync) before copying the slice, so unstacking a (T, …) tensor costs T full copies.
 *   These read the heap in place (views taken after the output is allocated, since allocating may
 *   grow — and detach — the heap).
 * - BatchMatMul / _FusedMatMul with transposeA or transposeB: the shipped kernel falls back to a
 *   slow path (≈ 20× slower than the plain product here). The operand is transposed explicitly
 *   with the Transpose kernel and the fast non-transposed kernel is called.
 * - Conv2DBackpropInput with stride 1 and no dilation (every Conv1D/Conv2D 'same'/'valid' layer
 *   with stride 1): computed as a forward XNNPACK convolution of dy with the spatially flipped,
 *   in/out-swapped filter, instead of the shipped direct loop.
 *
 * - Sum / Mean over leading axes (batch-norm statistics, bias gradients) and Tile: in-place
 *   loops over heap views instead of transpose-then-reduce / the generic tile.
 * - MaxPoolGrad: one pass routing each gradient to its window's first maximum.
 * - Identity: shares the input's data (reference-counted) instead of copying it; the engine
 *   clones every tensor it saves for backprop.
 * The Sum/Mean and MaxPoolGrad loops run in the WebAssembly SIMD module of ./lstm.ts when it is
 * available (plain JS loops otherwise).
 *
 * `installFastWasmKernels()` swaps them in (idempotent); the originals are kept and called for
 * the cases these do not cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs-core';
import { wasmColSums, wasmMaxPoolGrad } from './lstm.js';

interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Args = { inputs: Record<string, TensorInfo>; backend: tf.KernelBackend; attrs: NamedAttrMap };
const originals = new Map<string, KernelFunc>();

function orig(name: string, args: Args): TensorInfo | TensorInfo[] {
  const f = originals.get(name) ?? tf.getKernel(name, 'wasm')!.kernelFunc;
  return f(args as Parameters<KernelFunc>[0]) as TensorInfo | TensorInfo[];
}

function call(name: string, backend: tf.KernelBackend, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown>): TensorInfo {
  const k = originals.get(name) ?? tf.getKernel(name, 'wasm')!.kernelFunc;
  const out = k({ inputs: inputs as unknown as Record<string, TensorInfo>, backend, attrs: attrs as NamedAttrMap });
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}

function wordView(a: Float32Array | Int32Array | Uint8Array): Int32Array | Uint8Array {
  return a.BYTES_PER_ELEMENT === 4 ? new Int32Array(a.buffer, a.byteOffset, a.length) : a as Uint8Array;
}

/** dst[d : d+n] = src[s : s+n]; short runs by a plain loop (a subarray per run costs more). */
function copyRun(src: Int32Array | Uint8Array, dst: Int32Array | Uint8Array, s: number, d: number, n: number): void {
  if (n >= 256) dst.set(src.subarray(s, s + n), d);
  else if (src instanceof Int32Array) copyRun32(src, dst as Int32Array, s, d, n);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

function copyRun32(src: Int32Array, dst: Int32Array, s: number, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

/** Copies x[begin : begin+size] into a new tensor, reading the heap in place. */
export function sliceInPlace(backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const rank = x.shape.length;
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) === 0) return out;
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  if (rank === 0) {
    ov.set(xv);
    return out;
  }
  const strides = util.computeStrides(x.shape);
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const off = slice_util.computeFlatOffset(begin, strides);
    ov.set(xv.subarray(off, off + util.sizeFromShape(size)));
    return out;
  }
  // Word views (bit-exact copies, one monomorphic loop for float32 and int32).
  const xw = wordView(xv);
  const ow = wordView(ov);
  // Merge trailing axes that are taken whole into one contiguous run; then an odometer over the
  // remaining leading axes copies one run each.
  let axis = rank - 1;
  while (axis > 0 && size[axis] === x.shape[axis] && begin[axis] === 0) axis--;
  const run = size[axis]! * (axis + 1 < rank ? strides[axis]! : 1);
  const lead = axis; // axes 0..lead-1 are iterated
  const idx = new Array<number>(lead).fill(0);
  const nRuns = util.sizeFromShape(size.slice(0, lead));
  const base = begin[axis]! * (axis + 1 < rank ? strides[axis]! : 1);
  let o = 0;
  for (let r = 0; r < nRuns; r++) {
    let off = base;
    for (let a = 0; a < lead; a++) off += (begin[a]! + idx[a]!) * strides[a]!;
    copyRun(xw, ow, off, o, run);
    o += run;
    for (let a = lead - 1; a >= 0; a--) {
      if (++idx[a]! < size[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

function sliceKernel(args: Args): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return orig('Slice', args);
  const [b, s] = slice_util.parseSliceParams(x, args.attrs.begin as number[], args.attrs.size as number[]);
  return sliceInPlace(args.backend as WasmBackendLike, x, b, s);
}

function unpackKernel(args: Args): TensorInfo | TensorInfo[] {
  const { value } = args.inputs as { value: TensorInfo };
  if (value.dtype === 'string') return orig('Unpack', args);
  let axis = args.attrs.axis as number;
  if (axis < 0) axis += value.shape.length;
  const n = value.shape[axis]!;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(value.shape.length).fill(0);
  const size = value.shape.slice();
  size[axis] = 1;
  const outs: TensorInfo[] = [];
  for (let i = 0; i < n; i++) {
    begin[axis] = i;
    const t = sliceInPlace(args.backend as WasmBackendLike, value, begin, size);
    outs.push({ dataId: t.dataId, dtype: t.dtype, shape: outShape });
  }
  return outs;
}

function splitVKernel(args: Args): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return orig('SplitV', args);
  const axis = util.parseAxisParam(args.attrs.axis as number, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs.numOrSizeSplits as number | number[], axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const t = sliceInPlace(args.backend as WasmBackendLike, x, begin.slice(), size);
    begin[axis]! += s;
    return t;
  });
}

function transposeLast2(backend: tf.KernelBackend, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return call('Transpose', backend, { x: t }, { perm });
}

function matMulKernel(name: 'BatchMatMul' | '_FusedMatMul') {
  return (args: Args): TensorInfo | TensorInfo[] => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return orig(name, args);
    const backend = args.backend as WasmBackendLike;
    const tmp: TensorInfo[] = [];
    let { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (transposeA) tmp.push((a = transposeLast2(backend, a)));
    if (transposeB) tmp.push((b = transposeLast2(backend, b)));
    const out = orig(name, { ...args, inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    for (const t of tmp) backend.disposeData(t.dataId);
    return out;
  };
}

function conv2DBackpropInputKernel(args: Args): TensorInfo | TensorInfo[] {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  const fmt = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, fmt);
  if (fmt !== 'channelsLast' || info.strideHeight !== 1 || info.strideWidth !== 1) return orig('Conv2DBackpropInput', args);
  const backend = args.backend as WasmBackendLike;
  const { filterHeight: KH, filterWidth: KW, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, padInfo } = info;
  const top = KH - 1 - padInfo.top;
  const left = KW - 1 - padInfo.left;
  const bottom = H - OH + padInfo.top;
  const right = W - OW + padInfo.left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return orig('Conv2DBackpropInput', args);
  // The spatially flipped, in/out-swapped filter [KH, KW, Co, Ci], in one pass.
  const [, , Ci, Co] = filter.shape as [number, number, number, number];
  const swapped = backend.makeOutput([KH, KW, Co, Ci], 'float32');
  {
    const fv = backend.typedArrayFromHeap(filter) as Float32Array;
    const sv = backend.typedArrayFromHeap(swapped) as Float32Array;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * Ci * Co;
      const dst = (kh * KW + kw) * Co * Ci;
      for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) sv[dst + co * Ci + ci] = fv[src + ci * Co + co]!;
    }
  }
  const out = call('Conv2D', backend, { x: dy, filter: swapped }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  });
  backend.disposeData(swapped.dataId);
  return out;
}

/**
 * Sum / Mean of float32 over a leading block of axes (e.g. over batch and time, keeping
 * channels — batch-norm moments and bias gradients). The shipped kernels transpose the reduced
 * axes to the end first; this accumulates rows in place (float64 accumulators).
 */
function reduceLeading(kind: 'Sum' | 'Mean') {
  return (args: Args): TensorInfo | TensorInfo[] => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const r = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < r && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading || util.sizeFromShape(x.shape) === 0) return orig(kind, args);
    const backend = args.backend as WasmBackendLike;
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const inner = util.sizeFromShape(x.shape.slice(axes.length));
    const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const out = backend.makeOutput(outShape, 'float32');
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const ov = backend.typedArrayFromHeap(out) as Float32Array;
    const scale = kind === 'Mean' ? 1 / rows : 1;
    if (!wasmColSums(xv, rows, inner, scale, ov)) sumRowsF32(xv, ov, rows, inner, scale);
    return out;
  };
}

/** out[j] = scale · Σ_q x[q·inner + j] (float64 accumulators). A plain function with typed
 * parameters: the loops stay monomorphic (several times faster than inside the kernel closure). */
function sumRowsF32(x: Float32Array, out: Float32Array, rows: number, inner: number, scale: number): void {
  const acc = new Float64Array(inner);
  for (let q = 0; q < rows; q++) {
    const o = q * inner;
    for (let j = 0; j < inner; j++) acc[j]! += x[o + j]!;
  }
  for (let j = 0; j < inner; j++) out[j] = acc[j]! * scale;
}

/** Tile of float32/int32 by copying runs of the last axis from heap views. */
function tileKernel(args: Args): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  const reps = args.attrs.reps as number[];
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return orig('Tile', args);
  const backend = args.backend as WasmBackendLike;
  const r = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const L = x.shape[r - 1]!;
  const R = reps[r - 1]!;
  const xStrides = util.computeStrides(x.shape);
  const nRows = util.sizeFromShape(outShape.slice(0, r - 1));
  const idx = new Array<number>(r - 1).fill(0);
  let o = 0;
  for (let q = 0; q < nRows; q++) {
    let src = 0;
    for (let a = 0; a < r - 1; a++) src += (idx[a]! % x.shape[a]!) * xStrides[a]!;
    const row = xv.subarray(src, src + L);
    for (let k = 0; k < R; k++) {
      ov.set(row, o);
      o += L;
    }
    for (let a = r - 2; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * MaxPoolGrad (float32, no dilation): each output's gradient goes to the first maximum of its
 * window (the cpu backend's rule), in one pass over heap views. The shipped kernel is ~20× slower.
 */
function maxPoolGradKernel(args: Args): TensorInfo | TensorInfo[] {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32') return orig('MaxPoolGrad', args);
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(input.shape, 'float32');
  const xv = backend.typedArrayFromHeap(input) as Float32Array;
  const gv = backend.typedArrayFromHeap(dy) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  ov.fill(0);
  const { batchSize: B, inHeight: IH, inWidth: IW, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw, padInfo } = info;
  if (!wasmMaxPoolGrad(xv, gv, ov, B, IH, IW, C, OH, OW, FH, FW, sh, sw, padInfo.top, padInfo.left)) {
    maxPoolGradLoop(xv, gv, ov, B, IH, IW, C, OH, OW, FH, FW, sh, sw, padInfo.top, padInfo.left);
  }
  return out;
}

function maxPoolGradLoop(
  xv: Float32Array, gv: Float32Array, ov: Float32Array, B: number, IH: number, IW: number, C: number,
  OH: number, OW: number, FH: number, FW: number, sh: number, sw: number, padTop: number, padLeft: number,
): void {
  const best = new Int32Array(C);
  const bestV = new Float32Array(C);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const h0 = oh * sh - padTop;
    const w0 = ow * sw - padLeft;
    best.fill(-1);
    bestV.fill(-Infinity);
    for (let fh = 0; fh < FH; fh++) {
      const ih = h0 + fh;
      if (ih < 0 || ih >= IH) continue;
      for (let fw = 0; fw < FW; fw++) {
        const iw = w0 + fw;
        if (iw < 0 || iw >= IW) continue;
        const base = ((b * IH + ih) * IW + iw) * C;
        for (let c = 0; c < C; c++) {
          const v = xv[base + c]!;
          if (v > bestV[c]! || best[c] === -1) {
            bestV[c] = v;
            best[c] = base + c;
          }
        }
      }
    }
    const go = ((b * OH + oh) * OW + ow) * C;
    for (let c = 0; c < C; c++) if (best[c]! >= 0) ov[best[c]!]! += gv[go + c]!;
  }
}

/**
 * Identity without a copy: the output shares the input's data (reference-counted, like the wasm
 * Reshape and the cpu backend's Identity). The shipped kernel copies the whole tensor, and the
 * engine calls Identity (clone) on every tensor it saves for the backward pass.
 */
function identityKernel(args: Args): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return orig('Identity', args);
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const replacements: Record<string, (args: Args) => TensorInfo | TensorInfo[]> = {
  Identity: identityKernel,
  MaxPoolGrad: maxPoolGradKernel,
  Sum: reduceLeading('Sum'),
  Mean: reduceLeading('Mean'),
  Tile: tileKernel,
  Slice: sliceKernel,
  Unpack: unpackKernel,
  SplitV: splitVKernel,
  BatchMatMul: matMulKernel('BatchMatMul'),
  _FusedMatMul: matMulKernel('_FusedMatMul'),
  Conv2DBackpropInput: conv2DBackpropInputKernel,
};

/** Replaces the wasm kernels listed above (idempotent). */
export function installFastWasmKernels(): void {
  for (const [name, fn] of Object.entries(replacements)) {
    if (originals.has(name)) continue;
    const k = tf.getKernel(name, 'wasm');
    if (k === undefined) continue;
    originals.set(name, k.kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    const cfg: KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc: fn as unknown as KernelFunc };
    if (k.setupFunc !== undefined) cfg.setupFunc = k.setupFunc;
    if (k.disposeFunc !== undefined) cfg.disposeFunc = k.disposeFunc;
    tf.registerKernel(cfg);
  }
}
