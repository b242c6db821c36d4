import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { EarlyStopping, ReduceLrOnPlateau } from '../../src/model/callbacks.js';
import {
  train,
  weightedCategoricalCrossentropy,
  snapshotWeights,
  withUnseededDropout,
  formatTrainProgress,
  type BatchTrainer,
  type Batch,
  type TrainProgress,
} from '../../src/model/train.js';
import { SerError } from '../../src/errors.js';
import { Rng } from '../../src/util/random.js';

await tf.setBackend('cpu');

// ---------- callbacks: pure logic on synthetic metric sequences ----------

test('EarlyStopping: stops after `patience` epochs without improvement, remembers the best epoch', () => {
  const es = new EarlyStopping({ patience: 3 });
  const seq = [1.0, 0.8, 0.85, 0.7, 0.75, 0.71, 0.72];
  const out = seq.map((v, i) => es.update(i, v));
  assert.deepEqual(
    out.map((d) => d.improved),
    [true, true, false, true, false, false, false],
  );
  assert.deepEqual(
    out.map((d) => d.stop),
    [false, false, false, false, false, false, true],
  );
  assert.equal(es.bestEpoch, 3);
  assert.equal(es.best, 0.7);
});

test('EarlyStopping: max mode for accuracy monitors, minDelta, NaN never improves', () => {
  const es = new EarlyStopping({ patience: 2, monitor: 'val_acc', minDelta: 0.05 });
  assert.equal(es.update(0, 0.5).improved, true);
  assert.equal(es.update(1, 0.52).improved, false); // within minDelta
  assert.equal(es.update(2, 0.6).improved, true);
  assert.equal(es.update(3, NaN).improved, false);
  assert.equal(es.update(4, 0.3).stop, true);
  assert.equal(es.bestEpoch, 2);
  assert.throws(() => new EarlyStopping({ patience: -1 }), SerError);
});

test('ReduceLrOnPlateau: halves after `patience` flat epochs, restarts the wait, floors at minLr', () => {
  const r = new ReduceLrOnPlateau({ factor: 0.5, patience: 2, minLr: 0.2 });
  let lr = 1;
  const lrs: number[] = [];
  for (const v of [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9]) {
    lr = r.update(v, lr);
    lrs.push(lr);
  }
  // best 0.9 at step 1; no improvement at 2,3 → reduce after step 3; again after 5
  // 0.8 improves at 6; flat at 7,8 → 0.25 → floored to 0.2; then no further reduction
  assert.deepEqual(lrs, [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]);
  assert.throws(() => new ReduceLrOnPlateau({ factor: 1 }), SerError);
});

test('ReduceLrOnPlateau: cooldown suspends counting after a reduction', () => {
  const r = new ReduceLrOnPlateau({ factor: 0.1, patience: 1, cooldown: 2, minLr: 0 });
  let lr = 1;
  const lrs: number[] = [];
  for (const v of [1, 1, 1, 1, 1, 1]) {
    lr = r.update(v, lr);
    lrs.push(lr);
  }
  // Keras: reduce at step 1 (counter := 2); step 2 decrements to 1 and skips; step 3 decrements
  // to 0 and counts again → reduce; same pattern at steps 4, 5
  assert.deepEqual(lrs.map((x) => +x.toPrecision(6)), [1, 0.1, 0.1, 0.01, 0.01, 0.001]);
});

// ---------- loss ----------

test('weighted categorical cross-entropy = mean(w · ce) (Keras semantics)', () => {
  const y = tf.tensor2d([1, 0, 0, 0, 1, 0], [2, 3]);
  const p = tf.tensor2d([0.7, 0.2, 0.1, 0.3, 0.6, 0.1], [2, 3]);
  const w = tf.tensor1d([2, 0.5]);
  const l = weightedCategoricalCrossentropy(y, p, w);
  const expected = (2 * -Math.log(0.7) + 0.5 * -Math.log(0.6)) / 2;
  assert.ok(Math.abs(l.dataSync()[0] - expected) < 1e-6);
  tf.dispose([y, p, w, l]);
});

// ---------- the loop, with a real tiny model ----------

const FRAMES = 8;
const FEATS = 4;
const K = 3;

function tinyModel(seed: number, dropout = 0.3): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv1d({ inputShape: [FRAMES, FEATS], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.globalAveragePooling1d());
  m.add(tfl.layers.dropout({ rate: dropout, seed: 99 }));
  m.add(tfl.layers.dense({ units: K, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

/** Separable synthetic data: class c has mean offset on feature c. */
function data(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * FRAMES * FEATS);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    y[i] = c;
    for (let f = 0; f < FRAMES; f++) for (let j = 0; j < FEATS; j++) x[(i * FRAMES + f) * FEATS + j] = rng.normal() * 0.5 + (j === c ? 1.5 : 0);
  }
  return { x, y };
}

test('same seed + same data → identical history; another seed → another history', async () => {
  const tr = data(40, 1);
  const va = data(15, 2);
  const run = async (seed: number) => {
    const model = tinyModel(7);
    const r = await train({ model, xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, epochs: 4, batchSize: 8, learningRate: 0.01, seed });
    const w = snapshotWeights(model).data.map((d) => Array.from(d));
    model.dispose();
    return { h: r.history.map(({ ms: _ms, ...rest }) => rest), w };
  };
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  assert.deepEqual(a.h, b.h);
  assert.deepEqual(a.w, b.w);
  assert.notDeepEqual(a.h, c.h);
});

test('training learns separable data; history has every field; no tensors leak', async () => {
  const tr = data(60, 11);
  const va = data(30, 12);
  const model = tinyModel(5, 0);
  const before = tf.memory().numTensors;
  const progress: TrainProgress[] = [];
  const epochs: number[] = [];
  const r = await train({
    model,
    xTrain: tr.x,
    yTrain: tr.y,
    xVal: va.x,
    yVal: va.y,
    classWeights: [1, 1, 1],
    epochs: 15,
    batchSize: 16,
    learningRate: 0.03,
    seed: 1,
    onProgress: (p) => progress.push(p),
    onEpoch: (e) => void epochs.push(e.epoch),
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.history.length, epochs.length);
  const last = r.history[r.history.length - 1];
  for (const key of ['epoch', 'loss', 'acc', 'uar', 'val_loss', 'val_acc', 'val_uar', 'lr'] as const) assert.equal(typeof last[key], 'number', key);
  assert.ok(r.history[0].loss > Math.min(...r.history.map((h) => h.loss)));
  assert.ok(Math.max(...r.history.map((h) => h.val_acc!)) >= 0.9, JSON.stringify(r.history.map((h) => h.val_acc)));
  // progress: 4 batches per epoch (60 / 16), ETA reaches 0 at the end
  assert.equal(progress[0].batches, 4);
  assert.equal(progress[progress.length - 1].etaMs, 0);
  assert.match(formatTrainProgress(progress[0]), /^epoch 1\/15  batch 1\/4  loss \d+\.\d{4}  acc \d+\.\d%  elapsed \d+:\d\d  ETA \d+:\d\d$/);
  model.dispose();
});

// ---------- the loop with a scripted trainer (controls the loss sequence exactly) ----------

/**
 * A trainer whose "update" at epoch e sets the single dense kernel so that the model predicts
 * with a chosen confidence: val loss per epoch is then known in closed form.
 */
function denseModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [1, 1] }));
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax', useBias: true, kernelInitializer: 'zeros' }));
  return m;
}

/** Sets the bias to [b, -b]: every input gets p(class 0) = sigmoid(2b). */
function scriptedTrainer(model: tfl.LayersModel, biasPerEpoch: number[], batchesPerEpoch: number, lrs: number[]): BatchTrainer {
  let calls = 0;
  return {
    async trainBatch(batch: Batch) {
      const e = Math.floor(calls / batchesPerEpoch);
      calls++;
      const b = biasPerEpoch[Math.min(e, biasPerEpoch.length - 1)];
      const [kern, bias] = model.getWeights();
      const nb = tf.tensor1d([b, -b]);
      model.setWeights([kern, nb]);
      nb.dispose();
      void bias;
      return { loss: 1 / (1 + e), acc: 0.5, pred: new Int32Array(batch.shape[0]) };
    },
    setLearningRate(lr: number) {
      lrs.push(lr);
    },
  };
}

test('early stopping restores the best epoch’s weights; reduce-LR shows in the history', async () => {
  const model = denseModel();
  const x = new Float32Array([1, 2, 3, 4]);
  const y = new Int32Array([0, 0, 0, 0]);
  // val loss = -log(sigmoid(2b)): lowest at the largest bias (epoch 2), then worse
  const biases = [0.1, 0.5, 2.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5];
  const lrs: number[] = [];
  const checkpoints: number[] = [];
  const r = await train({
    model,
    xTrain: x,
    yTrain: y,
    xVal: x,
    yVal: y,
    epochs: 20,
    batchSize: 4,
    learningRate: 0.1,
    earlyStopping: { patience: 4 },
    reduceLrOnPlateau: { patience: 2, factor: 0.5, minLr: 0.01 },
    trainer: scriptedTrainer(model, biases, 1, lrs),
    checkpoint: async (epoch) => void checkpoints.push(epoch),
  });
  assert.equal(r.stoppedBy, 'early_stopping');
  assert.equal(r.history.length, 7); // best at epoch 2, then 4 epochs without improvement
  assert.equal(r.bestEpoch, 2);
  assert.deepEqual(checkpoints, [0, 1, 2]);
  const expectVal = biases.slice(0, 7).map((b) => Math.log(1 + Math.exp(-2 * b)));
  r.history.forEach((h, i) => assert.ok(Math.abs(h.val_loss! - expectVal[i]) < 1e-5, `epoch ${i}: ${h.val_loss} vs ${expectVal[i]}`));
  // lr halves after 2 epochs without improvement (after epochs 4 and 6)
  assert.deepEqual(r.history.map((h) => h.lr), [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]);
  assert.deepEqual(lrs, [0.1, 0.05, 0.025]);
  assert.ok(r.restoredBestWeights);
  const bias = model.getWeights()[1].dataSync();
  assert.ok(Math.abs(bias[0] - 2.0) < 1e-6 && Math.abs(bias[1] + 2.0) < 1e-6, `bias ${bias}`);
  model.dispose();
});

test('abort stops cleanly after the current batch and keeps the best weights', async () => {
  const model = denseModel();
  const x = new Float32Array([1, 2, 3, 4]);
  const y = new Int32Array([0, 0, 0, 0]);
  const ac = new AbortController();
  const r = await train({
    model,
    xTrain: x,
    yTrain: y,
    xVal: x,
    yVal: y,
    epochs: 50,
    batchSize: 2,
    trainer: scriptedTrainer(model, [0.3, 1.5, 0.2, 0.1], 2, []),
    onEpoch: (e) => {
      if (e.epoch === 2) ac.abort();
    },
    signal: ac.signal,
  });
  assert.equal(r.stoppedBy, 'abort');
  assert.equal(r.history.length, 3);
  assert.equal(r.bestEpoch, 1);
  assert.ok(Math.abs(model.getWeights()[1].dataSync()[0] - 1.5) < 1e-6);
  model.dispose();
});

test('without validation data the monitors fall back to the training loss', async () => {
  const model = denseModel();
  const r = await train({
    model,
    xTrain: new Float32Array([1, 2]),
    yTrain: new Int32Array([0, 1]),
    epochs: 3,
    trainer: scriptedTrainer(model, [0], 1, []),
  });
  assert.equal(r.monitor, 'loss');
  assert.equal(r.history[0].val_loss, null);
  assert.deepEqual(r.history.map((h) => h.loss), [1, 1 / 2, 1 / 3]);
  model.dispose();
});

test('bad inputs are SerErrors naming the problem', async () => {
  const model = denseModel();
  const ok = { model, xTrain: new Float32Array([1, 2]), yTrain: new Int32Array([0, 1]), epochs: 1 };
  await assert.rejects(train({ ...ok, yTrain: new Int32Array([0, 2]) }), (e: unknown) => e instanceof SerError && /label 2/.test(e.message));
  await assert.rejects(train({ ...ok, xTrain: new Float32Array(3) }), (e: unknown) => e instanceof SerError && /values/.test(e.message));
  await assert.rejects(train({ ...ok, xTrain: new Float32Array([1, NaN]) }), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE');
  await assert.rejects(train({ ...ok, classWeights: [1] }), SerError);
  await assert.rejects(train({ ...ok, epochs: 0 }), SerError);
  await assert.rejects(train({ ...ok, xTrain: new Float32Array(0), yTrain: new Int32Array(0) }), /empty/);
  model.dispose();
});

test('seeded Dropout layers get a fresh mask at every step (tfjs would repeat one mask), deterministically', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.dropout({ inputShape: [64], rate: 0.5, seed: 42 }));
  const x = tf.ones([1, 64]);
  const mask = () => Array.from((m.apply(x, { training: true }) as tf.Tensor).dataSync());
  // plain tfjs: the seed makes every call drop the same units
  assert.deepEqual(mask(), mask());
  const rng = new Rng(1);
  const saved = Math.random;
  Math.random = () => rng.uniform();
  let a: number[], b: number[];
  try {
    [a, b] = withUnseededDropout(m, () => [mask(), mask()]);
  } finally {
    Math.random = saved;
  }
  assert.notDeepEqual(a, b);
  assert.equal((m.layers[0] as unknown as { seed: number }).seed, 42, 'seed restored (it is part of the saved config)');
  const rng2 = new Rng(1);
  Math.random = () => rng2.uniform();
  try {
    assert.deepEqual(withUnseededDropout(m, () => [mask(), mask()]), [a, b]);
  } finally {
    Math.random = saved;
  }
  x.dispose();
  m.dispose();
});

test('determinism with the project model (batch norm, fused LSTM, seeded dropout) on the default backend', async () => {
  const { initBackend } = await import('../../src/model/backend.js');
  const { buildModel } = await import('../../src/model/build.js');
  const backend = await initBackend('wasm').catch(() => initBackend('cpu'));
  try {
    const tr = data(24, 21);
    const va = data(9, 22);
    const cfg = { conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4, bidirectional: false, layers: 1 }, dense: [4], dropout: 0.3 };
    const run = async () => {
      const model = buildModel(cfg as never, [FRAMES, FEATS], K, 3);
      const r = await train({ model, xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, epochs: 3, batchSize: 8, learningRate: 0.01, seed: 5 });
      model.dispose();
      return r.history.map(({ ms: _ms, ...rest }) => rest);
    };
    const a = await run();
    assert.deepEqual(await run(), a, `backend ${backend}`);
    assert.ok(a.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.val_loss!)));
  } finally {
    await tf.setBackend('cpu');
  }
});

test('a non-finite loss fails with ENONFINITE and leaves the best weights in the model', async () => {
  const model = denseModel();
  const x = new Float32Array([1, 2, 3, 4]);
  const y = new Int32Array([0, 0, 0, 0]);
  const inner = scriptedTrainer(model, [0.2, 1.2, 0.4, 0.3], 1, []);
  let calls = 0;
  const trainer: BatchTrainer = {
    ...inner,
    async trainBatch(b) {
      const r = await inner.trainBatch(b);
      return ++calls === 4 ? { ...r, loss: NaN } : r;
    },
  };
  await assert.rejects(
    train({ model, xTrain: x, yTrain: y, xVal: x, yVal: y, epochs: 10, batchSize: 4, trainer }),
    (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && /epoch 4/.test(e.message),
  );
  assert.ok(Math.abs(model.getWeights()[1].dataSync()[0] - 1.2) < 1e-6, 'best epoch (1) restored');
  model.dispose();
});

test('batchAugment: the trainer receives masked / smoothed batches, validation is not augmented, same seed → same batches', async () => {
  const tr = data(16, 21);
  const va = data(6, 22);
  const run = async (batchAugment: Parameters<typeof train>[0]['batchAugment'], seed = 0) => {
    const model = tinyModel(3);
    const seen: { x: Float32Array; y: Float32Array }[] = [];
    let valX: Float32Array | null = null;
    const trainer: BatchTrainer = {
      async trainBatch(batch: Batch) {
        seen.push({ x: batch.x.slice(), y: batch.yOneHot.slice() });
        return { loss: 1, acc: 0, pred: new Int32Array(batch.shape[0]) };
      },
      setLearningRate() {},
    };
    const xVal = va.x.slice();
    await train({ model, xTrain: tr.x, yTrain: tr.y, xVal, yVal: va.y, epochs: 2, batchSize: 4, seed, batchAugment, trainer });
    valX = xVal;
    model.dispose();
    return { seen, valX };
  };
  const plain = await run(null);
  // without augmentation a batch is exactly rows of xTrain with one-hot targets
  assert.ok(plain.seen.every((s) => s.x.every((v) => v !== 0)));
  assert.ok(plain.seen.every((s) => s.y.every((v) => v === 0 || v === 1)));
  const aug = { timeMasks: 1, timeMaskWidth: FRAMES, labelSmoothing: 0.3 };
  const a = await run(aug);
  const b = await run(aug);
  const c = await run(aug, 1);
  // some whole frames are zeroed (the synthetic data has no exact zeros)
  let zeroFrames = 0;
  for (const s of a.seen) for (let r = 0; r < s.x.length / FEATS; r++) if (s.x.subarray(r * FEATS, (r + 1) * FEATS).every((v) => v === 0)) zeroFrames++;
  assert.ok(zeroFrames > 0);
  // smoothed targets: 1 - 0.3 + 0.1 and 0.1
  assert.ok(a.seen.every((s) => s.y.every((v) => Math.abs(v - 0.8) < 1e-6 || Math.abs(v - 0.1) < 1e-6)));
  assert.deepEqual(a.valX, va.x);
  assert.deepEqual(a.seen, b.seen);
  assert.notDeepEqual(a.seen, c.seen);
  await assert.rejects(run({ labelSmoothing: 2 }), (e: unknown) => e instanceof SerError && /label smoothing/.test(e.message));
});
