import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCurve, fitHistory, polyfit, type QuadraticFit } from '../../src/report/fit.js';
import { Rng } from '../../src/util/random.js';
import { CURVES, syntheticHistory } from './helpers.js';

const close = (actual: number | null, expected: number, tol: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
};

/** Independent least squares: 3×3 normal equations solved by Cramer's rule (float64). */
function normalEquationsFit(x: number[], y: number[]): [number, number, number] {
  const S = (p: number) => x.reduce((u, v) => u + v ** p, 0);
  const T = (p: number) => x.reduce((u, v, i) => u + v ** p * y[i], 0);
  const M = [
    [S(4), S(3), S(2)],
    [S(3), S(2), S(1)],
    [S(2), S(1), S(0)],
  ];
  const r = [T(2), T(1), T(0)];
  const det = (m: number[][]) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(M);
  const col = (j: number) => det(M.map((row, i) => row.map((v, k) => (k === j ? r[i] : v))));
  return [col(0) / d, col(1) / d, col(2) / d];
}

function assertNoNaN(f: QuadraticFit) {
  for (const [k, v] of Object.entries(f)) if (typeof v === 'number') assert.ok(Number.isFinite(v), `${f.name}.${k} = ${v}`);
  assert.ok(!/NaN|undefined|Infinity/.test(f.reading), f.reading);
}

test('exact quadratic: coefficients, R², vertex and initial value reproduced to 1e-9', () => {
  const { a, b, c } = { a: 0.0125, b: -0.6, c: 3.1 }; // vertex at 24
  const x = Array.from({ length: 40 }, (_, i) => i + 1);
  const y = x.map((v) => a * v * v + b * v + c);
  const f = fitCurve('val loss', x, y, 'minimise');
  close(f.a, a, 1e-9, 'a');
  close(f.b, b, 1e-9, 'b');
  close(f.c, c, 1e-9, 'c');
  close(f.r2, 1, 1e-12, 'R²');
  assert.equal(f.degree, 2);
  assert.equal(f.concavity, 'concave up');
  close(f.vertexEpoch, 24, 1e-9, 'vertex epoch');
  close(f.vertexValue, c - (b * b) / (4 * a), 1e-9, 'vertex value');
  assert.equal(f.vertexInRange, true);
  assert.equal(f.initialEpoch, 1);
  close(f.initial, a + b + c, 1e-9, 'initial (fit at epoch 1)');
  close(f.final, a * 1600 + b * 40 + c, 1e-9, 'final');
  assert.match(f.reading, /^val loss: concave up, vertex at epoch 24\.0 — decreasing at a slowing rate, bottoming out near epoch 24/);
  assertNoNaN(f);
});

test('exact quadratic far from the origin (epochs 500–560) stays exact (QR on centred epochs)', () => {
  const { a, b, c } = { a: -2e-4, b: 0.21, c: -50 };
  const x = Array.from({ length: 61 }, (_, i) => 500 + i);
  const y = x.map((v) => a * v * v + b * v + c);
  const f = fitCurve('val accuracy', x, y, 'maximise');
  close(f.a, a, 1e-12, 'a');
  close(f.b, b, 1e-9, 'b');
  close(f.c, c, 1e-6, 'c'); // c is an extrapolation 500 epochs back: relative 2e-8
  close(f.vertexEpoch, -b / (2 * a), 1e-6, 'vertex');
});

test('noisy quadratic: matches an independent normal-equations solution and the true curve within tolerance', () => {
  const rng = new Rng(42);
  const { a, b, c } = { a: -0.0004, b: 0.03, c: 0.3 };
  const x = Array.from({ length: 60 }, (_, i) => i + 1);
  const sigma = 0.005;
  const y = x.map((v) => a * v * v + b * v + c + sigma * rng.normal());
  const f = fitCurve('train accuracy', x, y, 'maximise');
  const [ra, rb, rc] = normalEquationsFit(x, y);
  close(f.a, ra, 1e-12, 'a vs normal equations');
  close(f.b, rb, 1e-10, 'b vs normal equations');
  close(f.c, rc, 1e-9, 'c vs normal equations');
  // Least squares: residuals orthogonal to 1, x, x².
  const res = x.map((v, i) => y[i] - (f.a! * v * v + f.b! * v + f.c!));
  for (let p = 0; p <= 2; p++) {
    const dot = res.reduce((u, r, i) => u + r * x[i] ** p, 0);
    const scale = x.reduce((u, v) => u + v ** (2 * p), 0) ** 0.5 * sigma;
    assert.ok(Math.abs(dot) < 1e-9 * scale * 1e3, `residuals · x^${p} = ${dot}`);
  }
  close(f.a, a, 3e-5, 'a vs truth');
  close(f.b, b, 2e-3, 'b vs truth');
  close(f.c, c, 2e-2, 'c vs truth');
  assert.ok(f.r2! > 0.95 && f.r2! < 1, `R² ${f.r2}`);
  assert.equal(f.concavity, 'concave down');
  assert.equal(f.vertexInRange, true); // true vertex at 37.5
  close(f.vertexEpoch, 37.5, 3, 'vertex');
  assertNoNaN(f);
});

test('polyfit degrees 0 and 1 are the mean and the least-squares line', () => {
  assert.deepEqual(polyfit([1, 2, 3], [2, 4, 9], 0).map((v) => +v.toFixed(12)), [0, 0, 5]);
  const [a, b, c] = polyfit([1, 2, 3, 4], [1, 3, 5, 7], 1);
  assert.equal(a, 0);
  close(b, 2, 1e-12, 'slope');
  close(c, -1, 1e-12, 'intercept');
});

test('readings: accuracy improving and levelling off beyond the last epoch; overfitting val loss', () => {
  const x = Array.from({ length: 30 }, (_, i) => i + 1);
  const acc = fitCurve('train accuracy', x, x.map((v) => -0.0005 * v * v + 0.04 * v + 0.2), 'maximise'); // vertex 40
  assert.equal(acc.concavity, 'concave down');
  assert.equal(acc.vertexInRange, false);
  assert.match(acc.reading, /^train accuracy: concave down, vertex at epoch 40\.0 — improving at a slowing rate; the fit would level off near epoch 40, after the last epoch \(30\)/);
  const vl = fitCurve('val loss', x, x.map((v) => 0.004 * v * v - 0.12 * v + 2.2), 'minimise'); // vertex 15
  assert.match(vl.reading, /bottoming out near epoch 15 .*then increasing until epoch 30 .*overfitting/);
  const worse = fitCurve('train loss', x, x.map((v) => 0.001 * v * v + 0.01 * v + 1), 'minimise'); // vertex −5
  assert.equal(worse.vertexInRange, false);
  assert.match(worse.reading, /increasing \(getting worse\) at a growing rate/);
});

test('linear curve (tiny curvature) → linear, no vertex, slope in the reading', () => {
  const x = Array.from({ length: 20 }, (_, i) => i + 1);
  const f = fitCurve('train loss', x, x.map((v) => 2 - 0.05 * v + 1e-7 * v * v), 'minimise');
  assert.equal(f.concavity, 'linear');
  assert.equal(f.vertexEpoch, null);
  assert.equal(f.vertexValue, null);
  assert.match(f.reading, /^train loss: linear — decreasing steadily/);
  const flat = fitCurve('val accuracy', x, x.map(() => 0.5), 'maximise');
  assert.equal(flat.concavity, 'linear');
  assert.equal(flat.r2, 1);
  assert.match(flat.reading, /flat at about 50\.0%/);
  assertNoNaN(f);
  assertNoNaN(flat);
});

test('fewer than 3 epochs: a line through 2, a constant for 1, nulls for 0 — never NaN', () => {
  const two = fitCurve('val loss', [1, 2], [1.5, 1.2], 'minimise');
  assert.equal(two.degree, 1);
  assert.equal(two.a, 0);
  close(two.b, -0.3, 1e-12, 'slope');
  close(two.c, 1.8, 1e-12, 'intercept');
  assert.equal(two.concavity, 'linear');
  assert.equal(two.r2, 1);
  assert.equal(two.vertexEpoch, null);
  assert.match(two.reading, /only 2 epochs.*not enough epochs/);
  const one = fitCurve('val loss', [1], [1.5], 'minimise');
  assert.equal(one.degree, 0);
  assert.equal(one.c, 1.5);
  assert.match(one.reading, /not enough epochs/);
  const none = fitCurve('val loss', [1, 2, 3], [null, null, NaN], 'minimise');
  assert.equal(none.degree, -1);
  assert.equal(none.a, null);
  assert.equal(none.n, 0);
  assert.match(none.reading, /no data/);
  for (const f of [two, one, none]) assertNoNaN(f);
  // JSON round trip: no NaN turned into null behind our back.
  assert.doesNotMatch(JSON.stringify(two), /NaN/);
});

test('null / non-finite points are skipped', () => {
  const x = [1, 2, 3, 4, 5];
  const f = fitCurve('val loss', x, [1, null, 0.5, NaN, 0.6], 'minimise');
  assert.equal(f.n, 3);
  // exact quadratic through (1,1), (3,0.5), (5,0.6): solve independently
  const [a, b, c] = normalEquationsFit([1, 3, 5], [1, 0.5, 0.6]);
  close(f.a, a, 1e-12, 'a');
  close(f.b, b, 1e-12, 'b');
  close(f.c, c, 1e-12, 'c');
});

test('fitHistory fits the four curves against the 1-based epoch', () => {
  const fits = fitHistory(syntheticHistory(30));
  for (const [key, curve] of [
    ['train_loss', CURVES.loss],
    ['val_loss', CURVES.val_loss],
    ['train_acc', CURVES.acc],
    ['val_acc', CURVES.val_acc],
  ] as const) {
    const f = fits[key];
    close(f.a, curve.a, 1e-9, `${key}.a`);
    close(f.b, curve.b, 1e-9, `${key}.b`);
    close(f.c, curve.c, 1e-9, `${key}.c`);
    assert.equal(f.firstEpoch, 1);
    assert.equal(f.lastEpoch, 30);
  }
  assert.equal(fits.train_loss.name, 'train loss');
  assert.equal(fits.val_acc.goal, 'maximise');
});
