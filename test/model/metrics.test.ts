import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateMetrics, confusionMatrix, uar, argmaxRows } from '../../src/model/metrics.js';
import { SerError } from '../../src/errors.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('hand-computed 3-class confusion matrix', () => {
  // true:  a a a b b c ; pred: a a b b c c
  const m = evaluateMetrics(Int32Array.from([0, 0, 0, 1, 1, 2]), Int32Array.from([0, 0, 1, 1, 2, 2]), ['a', 'b', 'c']);
  assert.deepEqual(m.confusion, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  assert.equal(m.n, 6);
  close(m.accuracy, 4 / 6);
  // precision a = 2/2, b = 1/2, c = 1/2 ; recall a = 2/3, b = 1/2, c = 1/1
  close(m.per_class.a.precision, 1);
  close(m.per_class.b.precision, 0.5);
  close(m.per_class.c.precision, 0.5);
  close(m.per_class.a.recall, 2 / 3);
  close(m.per_class.b.recall, 0.5);
  close(m.per_class.c.recall, 1);
  close(m.per_class.a.f1, 0.8);
  close(m.per_class.b.f1, 0.5);
  close(m.per_class.c.f1, 2 / 3);
  assert.deepEqual(
    Object.values(m.per_class).map((c) => c.support),
    [3, 2, 1],
  );
  close(m.uar, (2 / 3 + 1 / 2 + 1) / 3);
  close(m.macro_f1, (0.8 + 0.5 + 2 / 3) / 3);
});

test('classes with zero support or zero predictions give 0, never NaN', () => {
  // labels a b c d ; true a a b b ; pred a c b b  -> c predicted but never true, d neither
  const m = evaluateMetrics(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 2, 1, 1]), ['a', 'b', 'c', 'd']);
  assert.deepEqual(m.per_class.c, { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.deepEqual(m.per_class.d, { precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.per_class.a.precision, 1);
  close(m.per_class.a.recall, 0.5);
  close(m.per_class.a.f1, 2 / 3);
  close(m.per_class.b.f1, 1);
  close(m.accuracy, 3 / 4);
  // UAR over classes present in yTrue (a, b); macro-F1 over classes in yTrue or yPred (a, b, c)
  close(m.uar, (0.5 + 1) / 2);
  close(m.macro_f1, (2 / 3 + 1 + 0) / 3);
});

test('empty input gives zeros, not NaN', () => {
  const m = evaluateMetrics(new Int32Array(0), new Int32Array(0), ['x', 'y']);
  assert.equal(m.n, 0);
  assert.equal(m.accuracy, 0);
  assert.equal(m.uar, 0);
  assert.equal(m.macro_f1, 0);
  assert.deepEqual(m.confusion, [
    [0, 0],
    [0, 0],
  ]);
});

test('perfect and all-wrong predictions', () => {
  const y = Int32Array.from([0, 1, 2, 2, 1, 0]);
  const p = evaluateMetrics(y, y, ['a', 'b', 'c']);
  assert.equal(p.accuracy, 1);
  assert.equal(p.uar, 1);
  assert.equal(p.macro_f1, 1);
  const w = evaluateMetrics(y, y.map((v) => (v + 1) % 3), ['a', 'b', 'c']);
  assert.equal(w.accuracy, 0);
  assert.equal(w.uar, 0);
  assert.equal(w.macro_f1, 0);
});

test('bad input is a SerError', () => {
  assert.throws(() => evaluateMetrics(Int32Array.from([0]), Int32Array.from([0, 1]), ['a', 'b']), SerError);
  assert.throws(() => evaluateMetrics(Int32Array.from([2]), Int32Array.from([0]), ['a', 'b']), SerError);
  assert.throws(() => evaluateMetrics(Int32Array.from([0]), Int32Array.from([-1]), ['a', 'b']), SerError);
  assert.throws(() => evaluateMetrics(Int32Array.from([0]), Int32Array.from([0]), []), SerError);
  assert.throws(() => evaluateMetrics(Int32Array.from([0]), Int32Array.from([0]), ['a', 'a']), SerError);
});

test('properties: counts add up, accuracy = trace / n, all figures finite in [0, 1]', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }).chain((k) =>
        fc.tuple(fc.constant(k), fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 })), { maxLength: 60 })),
      ),
      ([k, pairs]) => {
        const labels = Array.from({ length: k }, (_, i) => `c${i}`);
        const yt = Int32Array.from(pairs.map((p) => p[0]));
        const yp = Int32Array.from(pairs.map((p) => p[1]));
        const m = evaluateMetrics(yt, yp, labels);
        const total = m.confusion.flat().reduce((a, b) => a + b, 0);
        assert.equal(total, pairs.length);
        const trace = m.confusion.reduce((s, r, i) => s + r[i], 0);
        assert.equal(m.accuracy, pairs.length ? trace / pairs.length : 0);
        for (const v of [m.accuracy, m.uar, m.macro_f1, ...Object.values(m.per_class).flatMap((c) => [c.precision, c.recall, c.f1])]) {
          assert.ok(Number.isFinite(v) && v >= 0 && v <= 1);
        }
        close(uar(yt, yp, k), m.uar);
        assert.deepEqual(confusionMatrix(yt, yp, k), m.confusion);
      },
    ),
    { numRuns: 200 },
  );
});

test('argmaxRows picks the first maximum of each row', () => {
  assert.deepEqual(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0, 0, 0, 1], 3, 3)), [1, 0, 2]);
});
