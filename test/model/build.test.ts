// ModelConfig validation and buildModel (src/model/config.ts, src/model/build.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { defaultModelConfig, validateModelConfig, type ModelConfig } from '../../src/model/config.js';
import { SerError } from '../../src/errors.js';

test('initBackend: wasm by default, idempotent, switches to cpu and back; rejects unknown names', async () => {
  assert.equal(await initBackend(), 'wasm');
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(await initBackend('cpu'), 'cpu');
  assert.equal(await initBackend('wasm'), 'wasm');
  await assert.rejects(initBackend('webgl' as never), (e: unknown) => e instanceof SerError && e.code === 'EPARAM' && /webgl/.test(e.message));
});

test('default config = the recipe (torch_cnn_lstm.py shape) and survives JSON', () => {
  assert.deepEqual(defaultModelConfig.conv, [
    { filters: 64, kernel_size: 5, pool: 2 },
    { filters: 128, kernel_size: 5, pool: 2 },
  ]);
  assert.equal(defaultModelConfig.batch_norm, true);
  assert.deepEqual(defaultModelConfig.lstm, { units: 128, bidirectional: false, layers: 1 });
  assert.equal(defaultModelConfig.dropout, 0.3);
  assert.deepEqual(defaultModelConfig.dense, [64]);
  assert.deepEqual(validateModelConfig(JSON.parse(JSON.stringify(defaultModelConfig))), defaultModelConfig);
  assert.deepEqual(validateModelConfig({}), defaultModelConfig);
  assert.deepEqual(validateModelConfig({ conv: [{ filters: 8 }] }).conv, [{ filters: 8, kernel_size: 5, pool: 2 }]);
});

test('validateModelConfig: one SerError EPARAM naming the file and the bad field', () => {
  const bad: [unknown, RegExp][] = [
    [[], /JSON object/],
    [{ conv: [{ filters: 0 }] }, /conv\[0\]\.filters/],
    [{ conv: [{ filters: 8, kernel_size: 2.5 }] }, /conv\[0\]\.kernel_size/],
    [{ conv: 'x' }, /'conv'/],
    [{ lstm: { units: -1 } }, /lstm\.units/],
    [{ lstm: { layers: 99 } }, /lstm\.layers/],
    [{ pooling: 'max' }, /'pooling'/],
    [{ dropout: 1 }, /'dropout'/],
    [{ dense: [64, 0] }, /dense\[1\]/],
    [{ transformer: { layers: 1, heads: 3, d_model: 64 } }, /multiple of heads/],
    [{ l2: -1 }, /'l2'/],
    [{ lsmt: {} }, /unknown field 'lsmt'/],
  ];
  for (const [cfg, re] of bad) {
    assert.throws(() => validateModelConfig(cfg, 'model.json'), (e: unknown) => {
      assert.ok(e instanceof SerError, String(e));
      assert.equal(e.code, 'EPARAM');
      assert.match(e.message, /^model\.json: model config: /);
      assert.match(e.message, re);
      return true;
    });
  }
});

/** Parameter count of the recipe, from the layer formulas (not from tfjs). */
function expectedParams(F: number, C: number, c: ModelConfig): number {
  let n = 0;
  let ch = F;
  for (const b of c.conv) {
    n += b.kernel_size * ch * b.filters + (c.batch_norm ? 4 * b.filters : b.filters); // BN: gamma, beta, moving mean, moving var
    ch = b.filters;
  }
  const dirs = c.lstm.bidirectional ? 2 : 1;
  for (let l = 0; l < c.lstm.layers; l++) {
    const H = c.lstm.units;
    n += dirs * (4 * H * (ch + H) + 4 * H);
    ch = dirs * H;
  }
  for (const u of c.dense) {
    n += ch * u + u;
    ch = u;
  }
  return n + ch * C + C;
}

test('buildModel(default): output (batch, classes) softmax, parameter count from the formulas', async () => {
  await initBackend('wasm');
  const m = buildModel(defaultModelConfig, [130, 227], 6);
  assert.deepEqual(m.outputs[0]!.shape, [null, 6]);
  assert.equal(m.countParams(), expectedParams(227, 6, defaultModelConfig));
  const y = m.predict(tf.randomNormal([3, 130, 227], 0, 1, 'float32', 1)) as tf.Tensor;
  assert.deepEqual(y.shape, [3, 6]);
  const rows = y.arraySync() as number[][];
  for (const r of rows) assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  m.dispose();
});

test('buildModel: same seed → identical weights; another seed → different', async () => {
  await initBackend('wasm');
  const cfg = validateModelConfig({ conv: [{ filters: 4, kernel_size: 3 }], lstm: { units: 6 }, dense: [5] });
  const w = (seed: number) => {
    const m = buildModel(cfg, [12, 7], 3, seed);
    const out = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return out;
  };
  const a = w(7);
  assert.deepEqual(w(7), a);
  const b = w(8);
  assert.equal(b.length, a.length);
  // every randomly initialised kernel differs (biases/BN start at constants)
  assert.ok(a.some((v, i) => JSON.stringify(v) !== JSON.stringify(b[i])));
});

test('buildModel: variants (stock LSTM, bidirectional, 2 layers, attention/mean pooling, transformer) build, run and train a step', async () => {
  await initBackend('wasm');
  const variants: unknown[] = [
    { fused_lstm: false },
    { lstm: { units: 6, bidirectional: true, layers: 2 }, pooling: 'attention' },
    { lstm: { units: 6, layers: 0 }, pooling: 'mean' },
    { lstm: { units: 6, layers: 1 }, transformer: { layers: 2, heads: 2, d_model: 8 }, pooling: 'attention' },
    { batch_norm: false, l2: 1e-3 },
  ];
  for (const v of variants) {
    // dropout 0: tfjs draws dropout masks from Math.random (unseeded), so with dropout the losses
    // before and after the steps are measured under different random masks and need not decrease
    // (seen in CI: the transformer variant once went 1.12 → 1.17); training with dropout is
    // exercised by the trainer's tests, which seed the masks
    const cfg = validateModelConfig({ conv: [{ filters: 4, kernel_size: 3 }], lstm: { units: 6 }, dense: [5], dropout: 0, ...(v as object) });
    const m = buildModel(cfg, [12, 7], 3, 1);
    const x = tf.randomNormal([4, 12, 7], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const opt = tf.train.adam(0.01);
    const loss = () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const l0 = tf.tidy(() => loss().dataSync()[0]!);
    for (let i = 0; i < 5; i++) tf.dispose(opt.minimize(loss, true));
    const l1 = tf.tidy(() => loss().dataSync()[0]!);
    assert.ok(Number.isFinite(l1), JSON.stringify(v));
    assert.ok(l1 < l0, `${JSON.stringify(v)}: loss did not decrease (${l0} → ${l1})`);
    m.dispose();
    opt.dispose();
  }
});

test('buildModel: bad shapes → SerError', () => {
  assert.throws(() => buildModel(defaultModelConfig, [3, 227], 6), (e: unknown) => e instanceof SerError && /too few/.test(e.message));
  assert.throws(() => buildModel(defaultModelConfig, [130, 227], 1), (e: unknown) => e instanceof SerError && /nClasses/.test(e.message));
  assert.throws(() => buildModel(defaultModelConfig, [130] as never, 6), (e: unknown) => e instanceof SerError && /inputShape/.test(e.message));
});
