// The fused LSTM (src/model/layers/lstm.ts) against tfjs's own LSTM layer and against central
// differences of an independent float64 LSTM; pooling layers against closed forms; serialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/model/backend.js';
import { FusedLSTM, lstmSequence, orthogonalMatrix } from '../../src/model/layers/lstm.js';
import { AttentionPooling, LastTimeStep } from '../../src/model/layers/pooling.js';
import { rand, maxAbsDiff } from './helpers.js';

const B = 2, T = 5, F = 3, H = 4;

/** float64 LSTM, gates [i f g o], sigmoid/tanh. Returns all h (B, T, H) row-major. */
function lstmRef(x: Float64Array, W: Float64Array, U: Float64Array, b: Float64Array, h0: Float64Array, c0: Float64Array): Float64Array {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const out = new Float64Array(B * T * H);
  for (let n = 0; n < B; n++) {
    let h = Array.from(h0.subarray(n * H, n * H + H));
    let c = Array.from(c0.subarray(n * H, n * H + H));
    for (let t = 0; t < T; t++) {
      const z = new Array<number>(4 * H).fill(0);
      for (let j = 0; j < 4 * H; j++) {
        let s = b[j]!;
        for (let f = 0; f < F; f++) s += x[(n * T + t) * F + f]! * W[f * 4 * H + j]!;
        for (let k = 0; k < H; k++) s += h[k]! * U[k * 4 * H + j]!;
        z[j] = s;
      }
      const hn: number[] = [];
      const cn: number[] = [];
      for (let k = 0; k < H; k++) {
        const i = sig(z[k]!), fg = sig(z[H + k]!), g = Math.tanh(z[2 * H + k]!), o = sig(z[3 * H + k]!);
        cn.push(fg * c[k]! + i * g);
        hn.push(o * Math.tanh(cn[k]!));
      }
      h = hn;
      c = cn;
      for (let k = 0; k < H; k++) out[(n * T + t) * H + k] = h[k]!;
    }
  }
  return out;
}

for (const backend of ['wasm', 'cpu'] as const) {
  for (const returnSequences of [true, false]) {
    test(`lstmSequence (${backend}, returnSequences=${returnSequences}): value and all six gradients match float64 central differences`, async () => {
      await initBackend(backend);
      const shapes: [string, number[]][] = [['x', [B, T, F]], ['W', [F, 4 * H]], ['U', [H, 4 * H]], ['b', [4 * H]], ['h0', [B, H]], ['c0', [B, H]]];
      const vals = shapes.map(([, s], i) => rand(s.reduce((p, v) => p * v, 1), 100 + i, 1.6));
      const outSize = returnSequences ? B * T * H : B * H;
      const R = rand(outSize, 99);
      const got = tf.tidy(() => {
        const ts = shapes.map(([, s], i) => tf.tensor(vals[i]!, s));
        const f = (...a: tf.Tensor[]) =>
          tf.sum(tf.mul(lstmSequence(a[0] as tf.Tensor3D, a[1] as tf.Tensor2D, a[2] as tf.Tensor2D, a[3] as tf.Tensor1D, a[4] as tf.Tensor2D, a[5] as tf.Tensor2D, returnSequences), tf.tensor(R, returnSequences ? [B, T, H] : [B, H])));
        const value = lstmSequence(ts[0] as tf.Tensor3D, ts[1] as tf.Tensor2D, ts[2] as tf.Tensor2D, ts[3] as tf.Tensor1D, ts[4] as tf.Tensor2D, ts[5] as tf.Tensor2D, returnSequences);
        const grads = tf.grads(f)(ts);
        return { value: value.dataSync().slice(), grads: grads.map((g) => g.dataSync().slice()) };
      });
      const v64 = vals.map((v) => Float64Array.from(v));
      const lossOf = (v: Float64Array[]) => {
        const all = lstmRef(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!);
        let s = 0;
        for (let n = 0; n < B; n++) {
          for (let t = 0; t < T; t++) {
            if (!returnSequences && t !== T - 1) continue;
            for (let k = 0; k < H; k++) {
              const r = returnSequences ? R[(n * T + t) * H + k]! : R[n * H + k]!;
              s += all[(n * T + t) * H + k]! * r;
            }
          }
        }
        return s;
      };
      const ref = lstmRef(v64[0]!, v64[1]!, v64[2]!, v64[3]!, v64[4]!, v64[5]!);
      const refOut = returnSequences ? ref : Float64Array.from({ length: B * H }, (_, i) => ref[(Math.floor(i / H) * T + T - 1) * H + (i % H)]!);
      assert.ok(maxAbsDiff(got.value, refOut) < 1e-5, `forward ${maxAbsDiff(got.value, refOut)}`);
      const h = 1e-5;
      let worst = 0;
      shapes.forEach(([name], gi) => {
        for (let i = 0; i < v64[gi]!.length; i++) {
          const p = v64.map((a) => a.slice());
          const m = v64.map((a) => a.slice());
          p[gi]![i]! += h;
          m[gi]![i]! -= h;
          const num = (lossOf(p) - lossOf(m)) / (2 * h);
          const err = Math.abs(num - got.grads[gi]![i]!);
          worst = Math.max(worst, err);
          assert.ok(err < 2e-5, `d${name}[${i}]: numeric ${num} vs fused ${got.grads[gi]![i]}`);
        }
      });
    });
  }
}

async function compareWithStock(opts: { returnSequences: boolean; goBackwards: boolean }) {
  await initBackend('wasm');
  const fused = new FusedLSTM({ units: H, returnSequences: opts.returnSequences, goBackwards: opts.goBackwards, seed: 3 });
  const stock = tfl.layers.lstm({ units: H, returnSequences: opts.returnSequences, goBackwards: opts.goBackwards, recurrentActivation: 'sigmoid' });
  const xin = tf.tensor3d(rand(B * T * F, 7, 2), [B, T, F]);
  fused.apply(xin);
  stock.apply(xin);
  stock.setWeights(fused.getWeights());
  const R = tf.tensor(rand(opts.returnSequences ? B * T * H : B * H, 8), opts.returnSequences ? [B, T, H] : [B, H]);
  const run = (layer: tfl.layers.Layer) => {
    const xv = tf.variable(xin);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv) as tf.Tensor, R)) as tf.Scalar, [xv, ...(layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val))]);
    const out = (layer.apply(xin) as tf.Tensor).dataSync().slice();
    const g = [grads[xv.name]!, ...layer.trainableWeights.map((w) => grads[(w as unknown as { val: tf.Variable }).val.name]!)].map((t) => t.dataSync().slice());
    xv.dispose();
    return { out, loss: value.dataSync()[0]!, g };
  };
  const a = run(fused);
  const b = run(stock);
  assert.ok(maxAbsDiff(a.out, b.out) < 1e-5, `outputs differ by ${maxAbsDiff(a.out, b.out)}`);
  assert.equal(a.g.length, 4);
  for (let i = 0; i < 4; i++) assert.ok(maxAbsDiff(a.g[i]!, b.g[i]!) < 1e-5, `gradient ${i} differs by ${maxAbsDiff(a.g[i]!, b.g[i]!)}`);
}

test('FusedLSTM = tf.layers.lstm (same weights): outputs and gradients, returnSequences', () => compareWithStock({ returnSequences: true, goBackwards: false }));
test('FusedLSTM = tf.layers.lstm (same weights): outputs and gradients, last output', () => compareWithStock({ returnSequences: false, goBackwards: false }));
test('FusedLSTM = tf.layers.lstm (same weights): goBackwards', () => compareWithStock({ returnSequences: true, goBackwards: true }));

test('bidirectional FusedLSTM = [forward LSTM, time-reversed output of a backward LSTM]', async () => {
  await initBackend('wasm');
  const bi = new FusedLSTM({ units: H, returnSequences: true, bidirectional: true, seed: 5 });
  const x = tf.tensor3d(rand(B * T * F, 9), [B, T, F]);
  const y = bi.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [B, T, 2 * H]);
  const w = bi.getWeights();
  const f = new FusedLSTM({ units: H, returnSequences: true });
  const bwd = new FusedLSTM({ units: H, returnSequences: true, goBackwards: true });
  f.apply(x);
  bwd.apply(x);
  f.setWeights(w.slice(0, 3));
  bwd.setWeights(w.slice(3, 6));
  const expect = tf.concat([f.apply(x) as tf.Tensor, tf.reverse(bwd.apply(x) as tf.Tensor, 1)], -1);
  assert.ok(maxAbsDiff(y.dataSync(), expect.dataSync()) < 1e-6);
});

test('orthogonalMatrix: rows orthonormal (wide) / columns orthonormal (tall); seeded', async () => {
  await initBackend('cpu');
  for (const [r, c] of [[4, 16], [16, 4], [8, 8]] as const) {
    const q = orthogonalMatrix(r, c, 42);
    const g = r <= c ? tf.matMul(q, q, false, true) : tf.matMul(q, q, true, false);
    const n = Math.min(r, c);
    assert.ok(maxAbsDiff(g.dataSync(), tf.eye(n).dataSync()) < 1e-5);
    assert.deepEqual([...orthogonalMatrix(r, c, 42).dataSync()], [...q.dataSync()]);
    assert.notDeepEqual([...orthogonalMatrix(r, c, 43).dataSync()], [...q.dataSync()]);
  }
});

test('AttentionPooling: equal scores give the time mean; weights are a softmax over time', async () => {
  await initBackend('wasm');
  const att = new AttentionPooling({ units: 3, seed: 1 });
  const x = tf.tensor3d(rand(B * T * F, 4), [B, T, F]);
  att.apply(x);
  const [W, b, v] = att.getWeights();
  // v = 0 → every score is 0 → α = 1/T → mean over time.
  att.setWeights([W!, b!, tf.zeros(v!.shape)]);
  const y = att.apply(x) as tf.Tensor;
  assert.ok(maxAbsDiff(y.dataSync(), tf.mean(x, 1).dataSync()) < 1e-6);
  // A huge score on one step selects that step.
  const xs = tf.tensor3d(rand(1 * T * F, 5), [1, T, F]);
  const a2 = new AttentionPooling({ units: 1 });
  a2.apply(xs);
  // score_t = v·tanh(W x_t + b) with W = 0, b = 0 except via a feature bump at t=2
  const bump = xs.arraySync() as number[][][];
  bump[0]![2]![0] = 50;
  const xb = tf.tensor3d(bump);
  a2.setWeights([tf.tensor2d([[1], [0], [0]]), tf.zeros([1]), tf.tensor2d([[100]])]);
  const y2 = a2.apply(xb) as tf.Tensor;
  assert.ok(maxAbsDiff(y2.dataSync(), bump[0]![2]!) < 1e-4);
});

test('LastTimeStep picks h[:, T-1, :]', async () => {
  await initBackend('wasm');
  const x = tf.tensor3d(rand(B * T * F, 6), [B, T, F]);
  const y = new LastTimeStep().apply(x) as tf.Tensor;
  assert.ok(maxAbsDiff(y.dataSync(), tf.slice(x, [0, T - 1, 0], [B, 1, F]).dataSync()) < 1e-7);
});

test('a model with FusedLSTM + AttentionPooling saves and loads back (tf.io) with identical predictions', async () => {
  await initBackend('wasm');
  const inp = tfl.input({ shape: [T, F] });
  const h = new FusedLSTM({ units: H, returnSequences: true, bidirectional: true, seed: 9 }).apply(inp) as tfl.SymbolicTensor;
  const p = new AttentionPooling({ units: 3, seed: 10 }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(p) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: inp, outputs: out });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  assert.ok(saved !== undefined);
  const json = JSON.stringify(saved!.modelTopology);
  assert.match(json, /SerFusedLSTM/);
  assert.match(json, /SerAttentionPooling/);
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: JSON.parse(json), weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }));
  const x = tf.tensor3d(rand(B * T * F, 11), [B, T, F]);
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.ok(maxAbsDiff(a, b) < 1e-7);
});
