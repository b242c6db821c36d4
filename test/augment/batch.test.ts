import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  augmentBatch,
  describeBatchAugment,
  isIdentityBatchAugment,
  parseBatchAugment,
  sampleBetaSym,
  sampleGamma,
  type AugmentableBatch,
  type BatchAugmentConfig,
} from '../../src/augment/batch.js';
import { SerError } from '../../src/errors.js';
import { Rng } from '../../src/util/random.js';

const B = 6;
const T = 20;
const F = 9;
const K = 6;

/** Batch whose cell values are all distinct and non-zero: value = 1 + i·1000 + t·10 + f/10. */
function makeBatch(): AugmentableBatch {
  const x = new Float32Array(B * T * F);
  for (let i = 0; i < B; i++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) x[(i * T + t) * F + f] = 1 + i * 1000 + t * 10 + f / 10;
  const yOneHot = new Float32Array(B * K);
  for (let i = 0; i < B; i++) yOneHot[i * K + (i % K)] = 1;
  const sampleWeight = Float32Array.from({ length: B }, (_, i) => 1 + i);
  return { x, yOneHot, sampleWeight, b: B, frames: T, features: F, k: K };
}

const cell = (bt: AugmentableBatch, i: number, t: number, f: number) => bt.x[(i * T + t) * F + f];

test('parse / describe: round trip, none, and bad keys are SerErrors naming the problem', () => {
  const c = parseBatchAugment('time:2x12, feat:2x10,shift:10,mixup:0.2,smooth:0.1,p:0.8')!;
  assert.deepEqual(c, { timeMasks: 2, timeMaskWidth: 12, featureMasks: 2, featureMaskWidth: 10, shift: 10, mixup: 0.2, labelSmoothing: 0.1, p: 0.8 });
  assert.deepEqual(parseBatchAugment(describeBatchAugment(c)), c);
  assert.equal(parseBatchAugment('none'), null);
  assert.equal(parseBatchAugment(''), null);
  assert.equal(describeBatchAugment(null), 'none');
  assert.ok(isIdentityBatchAugment({ timeMasks: 3, timeMaskWidth: 0 }));
  assert.ok(!isIdentityBatchAugment({ labelSmoothing: 0.1 }));
  for (const [bad, re] of [
    ['time:2', /NxW/],
    ['wobble:3', /unknown key 'wobble'/],
    ['shift:-1', /shift must be an integer >= 0/],
    ['smooth:1', /label smoothing/],
    ['mixup:abc', /not a number/],
    ['shift', /has no value/],
  ] as const) {
    assert.throws(() => parseBatchAugment(bad), (e: unknown) => e instanceof SerError && e.code === 'EPARAM' && re.test(e.message), bad);
  }
});

test('time masks: only whole frames of at most W consecutive frames become 0, the rest is untouched', () => {
  let masked = 0;
  for (let seed = 0; seed < 20; seed++) {
    const orig = makeBatch();
    const bt = makeBatch();
    augmentBatch(bt, { timeMasks: 1, timeMaskWidth: 5 }, new Rng(seed));
    for (let i = 0; i < B; i++) {
      const zeroFrames: number[] = [];
      for (let t = 0; t < T; t++) {
        let zeros = 0;
        for (let f = 0; f < F; f++) {
          if (cell(bt, i, t, f) === 0) zeros++;
          else assert.equal(cell(bt, i, t, f), cell(orig, i, t, f));
        }
        assert.ok(zeros === 0 || zeros === F, 'a frame is masked whole or not at all');
        if (zeros === F) zeroFrames.push(t);
      }
      assert.ok(zeroFrames.length <= 5);
      if (zeroFrames.length) assert.equal(zeroFrames[zeroFrames.length - 1] - zeroFrames[0], zeroFrames.length - 1, 'contiguous');
      masked += zeroFrames.length;
    }
    assert.deepEqual(bt.yOneHot, orig.yOneHot);
    assert.deepEqual(bt.sampleWeight, orig.sampleWeight);
  }
  // widths uniform in 0..5 → mean 2.5 frames per sample over 120 samples
  assert.ok(masked > 120 * 1.5 && masked < 120 * 3.5, `masked ${masked}`);
});

test('feature masks: contiguous columns of at most W, masked over every frame', () => {
  for (let seed = 0; seed < 20; seed++) {
    const orig = makeBatch();
    const bt = makeBatch();
    augmentBatch(bt, { featureMasks: 1, featureMaskWidth: 3, maskValue: -7 }, new Rng(seed));
    for (let i = 0; i < B; i++) {
      const cols: number[] = [];
      for (let f = 0; f < F; f++) {
        const m = Array.from({ length: T }, (_, t) => cell(bt, i, t, f) === -7);
        assert.ok(m.every(Boolean) || !m.some(Boolean));
        if (m[0]) cols.push(f);
        else for (let t = 0; t < T; t++) assert.equal(cell(bt, i, t, f), cell(orig, i, t, f));
      }
      assert.ok(cols.length <= 3);
      if (cols.length) assert.equal(cols[cols.length - 1] - cols[0], cols.length - 1);
    }
  }
});

test('shift: each sample is a circular rotation of its frames by s, |s| <= S, both directions occur', () => {
  const seen = new Set<number>();
  for (let seed = 0; seed < 10; seed++) {
    const orig = makeBatch();
    const bt = makeBatch();
    augmentBatch(bt, { shift: 3 }, new Rng(seed));
    for (let i = 0; i < B; i++) {
      // frame 0 of the output is original frame (-s mod T)
      const src = Math.round((cell(bt, i, 0, 0) - 1 - i * 1000) / 10);
      const s = src === 0 ? 0 : T - src;
      const sSigned = s > T / 2 ? s - T : s;
      assert.ok(Math.abs(sSigned) <= 3, `shift ${sSigned}`);
      seen.add(sSigned);
      for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) assert.equal(cell(bt, i, t, f), cell(orig, i, (((t - sSigned) % T) + T) % T, f));
    }
  }
  assert.ok([...seen].some((s) => s > 0) && [...seen].some((s) => s < 0), [...seen].join(','));
});

test('p = 0: masks and shift never applied', () => {
  const orig = makeBatch();
  const bt = makeBatch();
  augmentBatch(bt, { timeMasks: 3, timeMaskWidth: 10, shift: 5, p: 0 }, new Rng(1));
  assert.deepEqual(bt.x, orig.x);
});

test('mixup: x, targets and weights are the same convex combination with λ >= 0.5 of a sample and another sample of the batch', () => {
  for (let seed = 0; seed < 10; seed++) {
    const orig = makeBatch();
    const bt = makeBatch();
    augmentBatch(bt, { mixup: 0.4 }, new Rng(seed));
    for (let i = 0; i < B; i++) {
      const lam = bt.yOneHot[i * K + (i % K)]; // labels i % K are distinct in this batch
      assert.ok(lam >= 0.5 - 1e-6 && lam <= 1 + 1e-6, `λ ${lam}`);
      let rowSum = 0;
      for (let q = 0; q < K; q++) rowSum += bt.yOneHot[i * K + q];
      assert.ok(Math.abs(rowSum - 1) < 1e-5);
      // the partner: the other non-zero target (or, at λ = 1, any)
      let j = -1;
      for (let q = 0; q < K; q++) if (q !== i % K && bt.yOneHot[i * K + q] > 1e-6) j = q;
      if (j < 0) {
        assert.ok(Math.abs(lam - 1) < 1e-5);
        continue;
      }
      assert.notEqual(j, i);
      assert.ok(Math.abs(bt.yOneHot[i * K + j] - (1 - lam)) < 1e-5);
      assert.ok(Math.abs(bt.sampleWeight[i] - (lam * orig.sampleWeight[i] + (1 - lam) * orig.sampleWeight[j])) < 1e-4);
      for (let t = 0; t < T; t += 7) for (let f = 0; f < F; f += 4) {
        const want = lam * cell(orig, i, t, f) + (1 - lam) * cell(orig, j, t, f);
        assert.ok(Math.abs(cell(bt, i, t, f) - want) < 1e-3, // λ is read back from float32 targets; cells differ by >= 0.1
          `${cell(bt, i, t, f)} vs ${want}`);
      }
    }
  }
});

test('label smoothing: y = (1 - ε)·onehot + ε/k', () => {
  const bt = makeBatch();
  augmentBatch(bt, { labelSmoothing: 0.12 }, new Rng(0));
  for (let i = 0; i < B; i++) for (let q = 0; q < K; q++) {
    const want = q === i % K ? 1 - 0.12 + 0.12 / K : 0.12 / K;
    assert.ok(Math.abs(bt.yOneHot[i * K + q] - want) < 1e-6);
  }
});

test('same generator state → same batch; another seed → another batch', () => {
  const c: BatchAugmentConfig = { timeMasks: 2, timeMaskWidth: 6, featureMasks: 2, featureMaskWidth: 3, shift: 4, mixup: 0.2 };
  const a = makeBatch();
  const b = makeBatch();
  const d = makeBatch();
  augmentBatch(a, c, new Rng(5));
  augmentBatch(b, c, new Rng(5));
  augmentBatch(d, c, new Rng(6));
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.yOneHot, b.yOneHot);
  assert.notDeepEqual(a.x, d.x);
});

test('Gamma and Beta samplers: closed-form means and variances', () => {
  const rng = new Rng(42);
  for (const a of [0.2, 0.5, 2.5]) {
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = sampleGamma(rng, a);
      s += g;
      s2 += g * g;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    assert.ok(Math.abs(mean - a) < 0.05 * Math.max(1, a), `gamma(${a}) mean ${mean}`); // mean = var = a
    assert.ok(Math.abs(v - a) < 0.1 * Math.max(1, a), `gamma(${a}) var ${v}`);
    let bs = 0;
    let bs2 = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleBetaSym(rng, a);
      assert.ok(x >= 0 && x <= 1);
      bs += x;
      bs2 += x * x;
    }
    const bm = bs / n;
    const bv = bs2 / n - bm * bm;
    assert.ok(Math.abs(bm - 0.5) < 0.01, `beta mean ${bm}`);
    const want = 1 / (4 * (2 * a + 1)); // Beta(a, a) variance
    assert.ok(Math.abs(bv - want) < 0.01, `beta(${a}) var ${bv} vs ${want}`);
  }
});
