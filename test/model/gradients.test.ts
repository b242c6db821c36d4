// Gradient checks for the wasm training kernels (src/model/kernels): against the cpu backend and
// against central differences of an independent float64 reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { rand, maxAbsDiff } from './helpers.js';

async function onBackend<T>(name: 'wasm' | 'cpu', f: () => T): Promise<T> {
  await initBackend(name);
  return f();
}

/** float64 reference NHWC convolution with explicit padding (top, left), stride (sh, sw). */
function conv2dRef(
  x: Float64Array, [B, H, W, Ci]: number[], w: Float64Array, [KH, KW, , Co]: number[],
  [sh, sw]: number[], [pt, pl]: number[], [OH, OW]: number[],
): Float64Array {
  const y = new Float64Array(B * OH * OW * Co);
  for (let b = 0; b < B; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let co = 0; co < Co; co++) {
    let s = 0;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh + kh - pt;
      const iw = ow * sw + kw - pl;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      for (let ci = 0; ci < Ci; ci++) s += x[((b * H + ih) * W + iw) * Ci + ci]! * w[((kh * KW + kw) * Ci + ci) * Co + co]!;
    }
    y[((b * OH + oh) * OW + ow) * Co + co] = s;
  }
  return y;
}

interface ConvCase { name: string; x: number[]; w: number[]; strides: [number, number]; pad: 'same' | 'valid' }
const cases: ConvCase[] = [
  { name: 'conv1d k5 same', x: [2, 1, 9, 3], w: [1, 5, 3, 4], strides: [1, 1], pad: 'same' },
  { name: 'conv1d k3 valid', x: [2, 1, 8, 3], w: [1, 3, 3, 2], strides: [1, 1], pad: 'valid' },
  { name: 'conv2d 3x3 same stride 2', x: [2, 7, 6, 3], w: [3, 3, 3, 4], strides: [2, 2], pad: 'same' },
  { name: 'conv2d 2x3 valid stride 2 (unused trailing rows)', x: [1, 8, 9, 2], w: [2, 3, 2, 3], strides: [2, 2], pad: 'valid' },
  { name: 'conv1d stride 2 same', x: [2, 1, 11, 2], w: [1, 4, 2, 3], strides: [1, 2], pad: 'same' },
];

for (const c of cases) {
  test(`Conv2D gradients on wasm match cpu and float64 central differences: ${c.name}`, async () => {
    const n = (s: number[]) => s.reduce((p, v) => p * v, 1);
    const xv = rand(n(c.x), 11);
    const wv = rand(n(c.w), 12);
    const run = () => tf.tidy(() => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const w = tf.tensor4d(wv, c.w as [number, number, number, number]);
      const y0 = tf.conv2d(x, w, c.strides, c.pad);
      const r = tf.tensor(rand(y0.size, 13), y0.shape);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r)));
      const [dx, dw] = g([x, w]);
      return { dx: dx!.dataSync().slice(), dw: dw!.dataSync().slice(), yShape: y0.shape, y: y0.dataSync().slice() };
    });
    const wasm = await onBackend('wasm', run);
    const cpu = await onBackend('cpu', run);
    assert.ok(maxAbsDiff(wasm.dw, cpu.dw) < 1e-5, `dW wasm vs cpu ${maxAbsDiff(wasm.dw, cpu.dw)}`);
    assert.ok(maxAbsDiff(wasm.dx, cpu.dx) < 1e-5, `dx wasm vs cpu ${maxAbsDiff(wasm.dx, cpu.dx)}`);

    // float64 reference: loss(W) = Σ conv(x, W) ⊙ R; central differences in W and in x.
    const [, OH, OW] = wasm.yShape as number[];
    const [, H, W] = c.x as number[];
    const [KH, KW] = c.w as number[];
    const [sh, sw] = c.strides;
    const padTotal = (inp: number, k: number, s: number, o: number) => Math.max((o - 1) * s + k - inp, 0);
    const pt = c.pad === 'same' ? Math.floor(padTotal(H!, KH!, sh, OH!) / 2) : 0;
    const pl = c.pad === 'same' ? Math.floor(padTotal(W!, KW!, sw, OW!) / 2) : 0;
    const R = Float64Array.from(rand(wasm.y.length, 13));
    const x64 = Float64Array.from(xv);
    const w64 = Float64Array.from(wv);
    const loss = (xx: Float64Array, ww: Float64Array) => {
      const y = conv2dRef(xx, c.x, ww, c.w, c.strides, [pt, pl], [OH!, OW!]);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * R[i]!;
      return s;
    };
    // The reference forward matches the backend's forward (checks the padding convention).
    assert.ok(maxAbsDiff(conv2dRef(x64, c.x, w64, c.w, c.strides, [pt, pl], [OH!, OW!]), wasm.y) < 1e-5);
    const h = 1e-4;
    for (let i = 0; i < w64.length; i++) {
      const wp = w64.slice(); wp[i]! += h;
      const wm = w64.slice(); wm[i]! -= h;
      const num = (loss(x64, wp) - loss(x64, wm)) / (2 * h);
      assert.ok(Math.abs(num - wasm.dw[i]!) < 1e-4, `dW[${i}] numeric ${num} vs wasm ${wasm.dw[i]}`);
    }
    for (let i = 0; i < x64.length; i++) {
      const xp = x64.slice(); xp[i]! += h;
      const xm = x64.slice(); xm[i]! -= h;
      const num = (loss(xp, w64) - loss(xm, w64)) / (2 * h);
      assert.ok(Math.abs(num - wasm.dx[i]!) < 1e-4, `dx[${i}] numeric ${num} vs wasm ${wasm.dx[i]}`);
    }
  });
}

test('replaced wasm kernels (Slice, Unpack, SplitV, transposed matMul, Sum/Mean, Tile) agree with cpu', async () => {
  const run = () => tf.tidy(() => {
    const a = tf.tensor3d(rand(4 * 5 * 6, 3), [4, 5, 6]);
    const out: number[][] = [];
    out.push([...tf.slice(a, [1, 0, 0], [2, 5, 6]).dataSync()]); // contiguous
    out.push([...tf.slice(a, [1, 2, 1], [3, 2, 4]).dataSync()]); // strided
    out.push([...tf.slice(a, [0, 1, 0], [4, 3, 6]).dataSync()]); // whole trailing axis
    out.push(...tf.unstack(a, 1).map((t) => [...t.dataSync()]));
    out.push(...tf.split(a, [1, 3, 2], 2).map((t) => [...t.dataSync()]));
    const m = tf.tensor2d(rand(7 * 5, 4), [7, 5]);
    const n = tf.tensor2d(rand(7 * 3, 5), [7, 3]);
    out.push([...tf.matMul(m, n, true, false).dataSync()]);
    out.push([...tf.matMul(n, m, true, false).dataSync()]);
    const p = tf.tensor2d(rand(3 * 5, 6), [3, 5]);
    out.push([...tf.matMul(m, p, false, true).dataSync()]);
    const q = tf.tensor2d(rand(4 * 7, 7), [4, 7]);
    out.push([...tf.matMul(n, q, true, true).dataSync()]);
    out.push([...tf.sum(a, [0, 1]).dataSync()], [...tf.mean(a, [1, 0], true).dataSync()], [...tf.sum(a, 0).dataSync()]);
    out.push([...tf.sum(a, [1, 2]).dataSync()], [...tf.mean(a, 2).dataSync()]); // not leading: original kernels
    out.push([...tf.tile(a, [2, 1, 3]).dataSync()], [...tf.tile(tf.tensor1d([1, 2, 3]), [4]).dataSync()]);
    out.push([...tf.tile(tf.reshape(tf.range(0, 6), [1, 2, 1, 3]), [3, 1, 2, 2]).dataSync()]);
    return out;
  });
  const w = await onBackend('wasm', run);
  const c = await onBackend('cpu', run);
  assert.equal(w.length, c.length);
  for (let i = 0; i < w.length; i++) assert.ok(maxAbsDiff(w[i]!, c[i]!) < 1e-6, `output ${i}`);
});

test('whole default-shaped model (tiny): every weight gradient on wasm matches cpu', async () => {
  const cfg = {
    conv: [{ filters: 4, kernel_size: 5, pool: 2 }, { filters: 6, kernel_size: 3, pool: 2 }],
    lstm: { units: 5, bidirectional: false, layers: 1 },
    dense: [7],
    dropout: 0,
  };
  const xv = rand(3 * 16 * 6, 21);
  const run = () => {
    const model = buildModel(cfg as never, [16, 6], 3, 5);
    return tf.tidy(() => {
      const x = tf.tensor3d(xv, [3, 16, 6]);
      const y = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      const out = { loss: value.dataSync()[0]!, g: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k.replace(/_\d+(?=\/|$)/g, ''), v.dataSync().slice()])) };
      model.dispose();
      return out;
    });
  };
  const w = await onBackend('wasm', run);
  const c = await onBackend('cpu', run);
  assert.ok(Math.abs(w.loss - c.loss) < 1e-5);
  const names = Object.keys(c.g);
  assert.ok(names.length >= 10, `expected all weights to get gradients, got ${names.join(',')}`);
  for (const k of names) {
    const wk = Object.keys(w.g).find((n) => n === k);
    assert.ok(wk !== undefined, `missing gradient ${k} on wasm`);
    const d = maxAbsDiff(w.g[wk]!, c.g[k]!);
    assert.ok(d < 1e-5, `${k}: wasm vs cpu gradient max diff ${d}`);
  }
});
