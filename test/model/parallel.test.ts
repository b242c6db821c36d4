// Data-parallel trainer (src/model/parallel.ts): 2 replicas = 1 replica on the whole batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { validateModelConfig } from '../../src/model/config.js';
import { createParallelTrainer } from '../../src/model/parallel.js';
import type { Batch } from '../../src/model/train.js';
import { rand } from './helpers.js';

function batch(B: number, T: number, F: number, K: number, seed: number): Batch {
  const labels = Int32Array.from({ length: B }, (_, i) => (i * 7 + seed) % K);
  const y = new Float32Array(B * K);
  labels.forEach((l, i) => (y[i * K + l] = 1));
  return { x: rand(B * T * F, seed), shape: [B, T, F], yOneHot: y, sampleWeight: Float32Array.from({ length: B }, (_, i) => 1 + (i % 3) * 0.5), labels };
}

test('2 replicas (main + worker thread) take the same steps as 1 replica on the whole batch, and stay bit-identical', async () => {
  await initBackend('wasm');
  // No batch norm and no dropout: then the split batch must give the whole-batch gradient.
  const cfg = validateModelConfig({ conv: [{ filters: 4, kernel_size: 3 }], batch_norm: false, lstm: { units: 5 }, dense: [6], dropout: 0, l2: 1e-3 });
  const T = 12, F = 5, K = 3;
  const m1 = buildModel(cfg, [T, F], K, 3);
  const m2 = buildModel(cfg, [T, F], K, 3);
  const t1 = await createParallelTrainer({ model: m1, workers: 1, learningRate: 0.01 });
  const t2 = await createParallelTrainer({ model: m2, workers: 2, learningRate: 0.01 });
  try {
    for (let s = 0; s < 4; s++) {
      const b = batch(7, T, F, K, 10 + s);
      const r1 = await t1.trainBatch(b);
      const r2 = await t2.trainBatch(batch(7, T, F, K, 10 + s));
      assert.ok(Math.abs(r1.loss - r2.loss) < 1e-5, `step ${s}: loss ${r1.loss} vs ${r2.loss}`);
      assert.deepEqual([...r1.pred!], [...r2.pred!]);
    }
    t2.setLearningRate(0.005);
    t1.setLearningRate(0.005);
    const b = batch(8, T, F, K, 99);
    await t1.trainBatch(b);
    await t2.trainBatch(batch(8, T, F, K, 99));
    const w1 = await t1.getWeights();
    const w2 = await t2.getWeights();
    const ww = (await t2.workerWeights())!;
    let worst = 0;
    w1.forEach((a, i) => a.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - w2[i]![j]!)))));
    assert.ok(worst < 1e-5, `weights differ by ${worst}`);
    w2.forEach((a, i) => assert.deepEqual(a, ww[i], `replica weight ${i} not bit-identical`));
    // the loss went down on a repeated batch
    const p = t2.predict(b.x, 8);
    assert.equal(p.length, 8 * K);
  } finally {
    t1.dispose();
    t2.dispose();
    m1.dispose();
    m2.dispose();
  }
});

test('parallel trainer with batch norm: moving statistics are averaged into the main model on sync', async () => {
  await initBackend('wasm');
  const cfg = validateModelConfig({ conv: [{ filters: 4, kernel_size: 3 }], lstm: { units: 5 }, dense: [6], dropout: 0.2 });
  const m = buildModel(cfg, [12, 5], 3, 4);
  const t = await createParallelTrainer({ model: m, workers: 2, learningRate: 0.01, seed: 1 });
  try {
    for (let s = 0; s < 3; s++) {
      const r = await t.trainBatch(batch(6, 12, 5, 3, s));
      assert.ok(Number.isFinite(r.loss));
    }
    await t.syncToModel!();
    const main = m.weights.map((w) => w.read().dataSync().slice());
    const other = (await t.workerWeights())!;
    main.forEach((a, i) => assert.deepEqual(Array.from(a), Array.from(other[i]!), `weight ${m.weights[i]!.name}`));
    const moving = m.weights.findIndex((w) => /moving_mean/.test(w.name));
    assert.ok(moving >= 0);
    assert.ok(main[moving]!.some((v) => v !== 0), 'moving mean was updated');
  } finally {
    t.dispose();
    m.dispose();
  }
  void tf;
});

test('parallel trainer: bad options → SerError', async () => {
  await initBackend('wasm');
  const m = buildModel(validateModelConfig({ conv: [{ filters: 2, kernel_size: 3 }], lstm: { units: 2 }, dense: [2] }), [8, 3], 2, 1);
  await assert.rejects(createParallelTrainer({ model: m, workers: 3 as never }), /workers must be 1 or 2/);
  await assert.rejects(createParallelTrainer({ model: m, workerShare: 1 }), /workerShare/);
  m.dispose();
});
