import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.js';

test('xoshiro128** matches the reference output for state {1,2,3,4}', () => {
  const r = Rng.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 6 }, () => r.nextUint32());
  // First outputs of the C reference implementation (prng.di.unimi.it/xoshiro128starstar.c).
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('same seed → same sequence; different seeds → different sequences', () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const sa = Array.from({ length: 20 }, () => a.uniform());
  const sb = Array.from({ length: 20 }, () => b.uniform());
  const sc = Array.from({ length: 20 }, () => c.uniform());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.deepEqual(Array.from({ length: 5 }, () => new Rng('x').normal()), Array.from({ length: 5 }, () => new Rng('x').normal()));
  assert.notEqual(new Rng(2 ** 40).uniform(), new Rng(0).uniform());
});

test('uniform in [0,1) with mean 1/2 and variance 1/12', () => {
  const r = new Rng(1);
  const N = 200000;
  let s = 0, s2 = 0;
  for (let i = 0; i < N; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
    s2 += u * u;
  }
  const m = s / N;
  assert.ok(Math.abs(m - 0.5) < 0.005, `mean ${m}`);
  assert.ok(Math.abs(s2 / N - m * m - 1 / 12) < 0.002);
});

test('normal has mean 0, variance 1, and ~68.3 % within one sigma', () => {
  const r = new Rng(3);
  const N = 200000;
  let s = 0, s2 = 0, in1 = 0;
  for (let i = 0; i < N; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
    if (Math.abs(v) < 1) in1++;
  }
  assert.ok(Math.abs(s / N) < 0.01);
  assert.ok(Math.abs(s2 / N - 1) < 0.015);
  assert.ok(Math.abs(in1 / N - 0.6827) < 0.005);
});

test('int(n) stays in range and is roughly uniform; bad n throws', () => {
  const r = new Rng(5);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => r.int(2.5), RangeError);
});

test('shuffle returns a permutation and every position is reachable', () => {
  const r = new Rng(11);
  const seenFirst = new Set<number>();
  for (let k = 0; k < 200; k++) {
    const a = r.shuffle([0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...a].sort(), [0, 1, 2, 3, 4, 5]);
    seenFirst.add(a[0]);
  }
  assert.equal(seenFirst.size, 6);
  const f = r.shuffle(new Float32Array([1, 2, 3]));
  assert.deepEqual(Array.from(f).sort(), [1, 2, 3]);
});

test('fork gives independent, reproducible streams', () => {
  const a = new Rng(9).fork('noise'), b = new Rng(9).fork('noise'), c = new Rng(9).fork('split');
  const x = a.uniform();
  assert.equal(x, b.uniform());
  assert.notEqual(x, c.uniform());
});
