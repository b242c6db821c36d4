/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 ships without it, so Conv1D
 * and Conv2D layers cannot be trained there as shipped).
 *
 * For a channels-last convolution y[b,oh,ow,co] = Σ x[b, oh·s_h + kh − p_t, ow·s_w + kw − p_l, ci]
 * · W[kh,kw,ci,co], the filter gradient is
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s_h + kh − p_t, ow·s_w + kw − p_l, ci] · dy[b,oh,ow,co],
 * which is itself a convolution: treat ci as the batch and b as the input channel,
 *   xᵀ = x transposed to [Ci, H, W, B], dyᵀ = dy transposed to [OH, OW, B, Co],
 *   dW' = conv2d(xᵀ, dyᵀ, strides = 1, dilations = (s_h, s_w), explicit padding) → [Ci, KH, KW, Co],
 * then transposed back to [KH, KW, Ci, Co]. Everything runs on the wasm backend's own kernels
 * (XNNPACK convolution, transpose, slice), called directly so no op-level checks get in the way.
 *
 * Conv1D (height 1, stride 1) takes a faster route: for inputs up to 512 kB, one product in the
 * WebAssembly SIMD module (./lstm.ts wasmConv1dFilterGrad: the windows of the time-padded input,
 * transposed, times dy); otherwise (or without the module) one tfjs product per filter tap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs-core';
import { wasmConv1dFilterGrad } from './lstm.js';

type Backend = tf.KernelBackend & { disposeData(dataId: object, force?: boolean): boolean };

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

function isHeap(b: tf.KernelBackend): b is tf.KernelBackend & HeapBackend {
  return typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** Calls another kernel registered for the same backend. */
export function callKernel(
  name: string,
  backend: tf.KernelBackend,
  inputs: Record<string, TensorInfo> | TensorInfo[],
  attrs: Record<string, unknown> = {},
  backendName = 'wasm',
): TensorInfo {
  const k = tf.getKernel(name, backendName);
  if (k === undefined) throw new Error(`kernel ${name} is not registered for backend ${backendName}`);
  const out = k.kernelFunc({ inputs: inputs as unknown as Record<string, TensorInfo>, backend, attrs: attrs as NamedAttrMap });
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}

function free(backend: tf.KernelBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) (backend as Backend).disposeData(t.dataId);
}

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** The kernel function (exported for tests). */
export function conv2DBackpropFilterImpl(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: tf.KernelBackend;
  attrs: BackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const fmt = backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter supports only NHWC, got ${dataFormat}`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    fmt,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw, padInfo } = info;

  if (KH === 1 && H === 1 && OH === 1 && sw === 1 && isHeap(backend) && B * (Math.max(OW + KW - 1, padInfo.left + W)) * Ci <= 1 << 17) {
    // One product in the SIMD module (windows of the padded input, no im2col copy). Its loop
    // re-reads the padded input (strided) once per 4 × 8 output block: only while that input
    // stays in the L2 cache (≤ 512 kB) is it faster than the per-tap XNNPACK products below.
    const out = backend.makeOutput([1, KW, Ci, Co], 'float32');
    const ok = wasmConv1dFilterGrad(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(dy), B, W, Ci, OW, Co, KW, padInfo.left, backend.typedArrayFromHeap(out));
    if (ok) return out;
    free(backend, out);
  }
  if (KH === 1 && H === 1 && OH === 1 && sw === 1) {
    // Per tap, one product whose right operand is packed afresh (dy windows: cost ~ B·W·Co) or
    // whose left operand is copied out (input windows: ~ Ci·B·OW): take the smaller.
    return Ci > Co ? conv1dPath(backend, x, dy, B, W, Ci, OW, Co, KW, padInfo.left) : conv1dPathSliceX(backend, x, dy, B, W, Ci, OW, Co, KW, padInfo.left);
  }

  // Padding so that the "output" of the transposed convolution is exactly KH × KW.
  let padBottom = KH + (OH - 1) * sh - H - padInfo.top;
  let padRight = KW + (OW - 1) * sw - W - padInfo.left;
  const toFree: TensorInfo[] = [];
  let xT = callKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }); // [Ci,H,W,B]
  toFree.push(xT);
  if (padBottom < 0 || padRight < 0) {
    // Trailing input rows/cols never touched by the forward convolution: cut them off.
    const hKeep = H + Math.min(0, padBottom);
    const wKeep = W + Math.min(0, padRight);
    xT = callKernel('Slice', backend, { x: xT }, { begin: [0, 0, 0, 0], size: [Ci, hKeep, wKeep, B] });
    toFree.push(xT);
    padBottom = Math.max(0, padBottom);
    padRight = Math.max(0, padRight);
  }
  const dyT = callKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [OH,OW,B,Co]
  toFree.push(dyT);
  const explicit: backend_util.ExplicitPadding = [
    [0, 0],
    [padInfo.top, padBottom],
    [padInfo.left, padRight],
    [0, 0],
  ];
  const conv = callKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    { strides: [1, 1], dilations: [sh, sw], pad: explicit, dataFormat: 'NHWC', dimRoundingMode: undefined },
  ); // [Ci, KH, KW, Co]
  toFree.push(conv);
  const out = callKernel('Transpose', backend, { x: conv }, { perm: [1, 2, 0, 3] }); // [KH,KW,Ci,Co]
  free(backend, ...toFree);
  return out;
}

/**
 * Conv1D filter gradient (height 1, stride 1), one matrix product per filter tap k:
 *   dW[k] = Σ_{b,s} x[b, s, :]ᵀ · dy[b, s + p − k, :]   (dy zero outside [0, OW))
 *         = xᵀ [Ci, B·W] · dyₖ [B·W, Co],
 * with xᵀ the input transposed once and dyₖ a window of dy zero-padded along time (K − 1 − p
 * rows before, W + p − OW after): dyₖ[b, s] = dyP[b, s + K − 1 − k], a slice whose rows are
 * contiguous runs of W·Co values (the big input is transposed once and never sliced).
 */
function conv1dPath(
  backend: tf.KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  B: number,
  W: number,
  Ci: number,
  OW: number,
  Co: number,
  KW: number,
  padLeft: number,
): TensorInfo {
  const toFree: TensorInfo[] = [];
  const x3 = callKernel('Reshape', backend, { x }, { shape: [B, W, Ci] });
  const xt = callKernel('Transpose', backend, { x: x3 }, { perm: [2, 0, 1] }); // [Ci, B, W]
  const xt2 = callKernel('Reshape', backend, { x: xt }, { shape: [Ci, B * W] });
  toFree.push(x3, xt, xt2);
  const before = KW - 1 - padLeft;
  const after = W + padLeft - OW;
  let dyP = callKernel('Reshape', backend, { x: dy }, { shape: [B, OW, Co] });
  toFree.push(dyP);
  if (before > 0 || after > 0) {
    dyP = callKernel('PadV2', backend, { x: dyP }, { paddings: [[0, 0], [before, after], [0, 0]], constantValue: 0 });
    toFree.push(dyP);
  }
  const taps: TensorInfo[] = [];
  for (let k = 0; k < KW; k++) {
    const sl = callKernel('Slice', backend, { x: dyP }, { begin: [0, KW - 1 - k, 0], size: [B, W, Co] });
    const sl2 = callKernel('Reshape', backend, { x: sl }, { shape: [B * W, Co] });
    const pk = callKernel('BatchMatMul', backend, { a: xt2, b: sl2 }, { transposeA: false, transposeB: false }); // [Ci, Co]
    toFree.push(sl, sl2, pk);
    taps.push(callKernel('Reshape', backend, { x: pk }, { shape: [1, Ci, Co] }));
  }
  toFree.push(...taps);
  const stacked = KW === 1 ? taps[0]! : callKernel('Concat', backend, taps, { axis: 0 }); // [KW, Ci, Co]
  if (KW !== 1) toFree.push(stacked);
  const out = callKernel('Reshape', backend, { x: stacked }, { shape: [1, KW, Ci, Co] });
  // Reshape shares data with its input in wasm (refcounted): freeing the input only drops a reference.
  free(backend, ...toFree);
  return out;
}

/**
 * Conv1D filter gradient, the other way round (better when Ci < Co): dW[k] = xpadᵀ[:, :, k : k+OW]
 * (a slice of the transposed, time-padded input, [Ci, B·OW]) · dy [B·OW, Co]; dy, the right
 * operand of every product, is packed once.
 */
function conv1dPathSliceX(
  backend: tf.KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  B: number,
  W: number,
  Ci: number,
  OW: number,
  Co: number,
  KW: number,
  padLeft: number,
): TensorInfo {
  const toFree: TensorInfo[] = [];
  const needRight = Math.max(0, OW + KW - 1 - W - padLeft);
  // xᵀ padded along time: [Ci, B, W + pads]. dW[k] = xᵀ[:, :, k : k+OW] (as [Ci, B·OW]) · dy [B·OW, Co].
  // dy is the right operand of every product: the wasm matMul packs its right operand once per
  // tensor, so it is packed once for all taps (a fresh right operand per product costs more than
  // the product itself at these sizes).
  const x3 = callKernel('Reshape', backend, { x }, { shape: [B, W, Ci] });
  let xt = callKernel('Transpose', backend, { x: x3 }, { perm: [2, 0, 1] });
  toFree.push(x3, xt);
  if (padLeft > 0 || needRight > 0) {
    xt = callKernel('PadV2', backend, { x: xt }, { paddings: [[0, 0], [0, 0], [padLeft, needRight]], constantValue: 0 });
    toFree.push(xt);
  }
  const dy2 = callKernel('Reshape', backend, { x: dy }, { shape: [B * OW, Co] });
  toFree.push(dy2);
  const taps: TensorInfo[] = [];
  for (let k = 0; k < KW; k++) {
    const sl = callKernel('Slice', backend, { x: xt }, { begin: [0, 0, k], size: [Ci, B, OW] });
    const sl2 = callKernel('Reshape', backend, { x: sl }, { shape: [Ci, B * OW] });
    const pk = callKernel('BatchMatMul', backend, { a: sl2, b: dy2 }, { transposeA: false, transposeB: false }); // [Ci, Co]
    toFree.push(sl, sl2, pk);
    taps.push(callKernel('Reshape', backend, { x: pk }, { shape: [1, Ci, Co] }));
  }
  toFree.push(...taps);
  const stacked = KW === 1 ? taps[0]! : callKernel('Concat', backend, taps, { axis: 0 }); // [KW, Ci, Co]
  if (KW !== 1) toFree.push(stacked);
  const out = callKernel('Reshape', backend, { x: stacked }, { shape: [1, KW, Ci, Co] });
  // Reshape shares data with its input in wasm (refcounted): freeing prod only drops a reference.
  free(backend, ...toFree);
  return out;
}

export const wasmConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterImpl as unknown as KernelFunc,
};
