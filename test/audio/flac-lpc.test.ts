// FLAC LPC synthesis (lpcRestore) against a BigInt reference of the spec's arithmetic
// (x[i] = residual[i] + ((Σ c_j·x[i−1−j]) >> shift)), on both its int32 and float64 paths and every
// order 1–32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lpcRestore } from '../../src/audio/flac.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Spec reference in BigInt; returns null when a sample leaves the sbps-bit range (invalid stream). */
function reference(res: Int32Array, coefs: Int32Array, shift: number, sbps: number): Int32Array | null {
  const n = res.length;
  const x: bigint[] = Array.from(res, (v) => BigInt(v));
  const lim = 1n << BigInt(sbps - 1);
  for (let i = coefs.length; i < n; i++) {
    let s = 0n;
    for (let j = 0; j < coefs.length; j++) s += BigInt(coefs[j]) * x[i - 1 - j];
    x[i] += s >> BigInt(shift);
    if (x[i] >= lim || x[i] < -lim) return null;
  }
  return Int32Array.from(x, (v) => Number(v));
}

/**
 * A random stable-ish predictor: coefficients of `precision` bits whose prediction stays in range,
 * and the residual that makes a given in-range signal (a noisy sinusoid).
 */
function makeCase(r: () => number, order: number, precision: number, sbps: number, n: number) {
  const shift = Math.max(0, precision - 2);
  const cmax = 2 ** (precision - 1) - 1;
  const coefs = new Int32Array(order);
  // A smoothing predictor (sum of coefficients ≈ 2^shift) with random perturbations.
  for (let j = 0; j < order; j++) coefs[j] = Math.max(-cmax, Math.min(cmax, Math.round(((j === 0 ? 1 : 0) + (r() - 0.5) * 0.2) * 2 ** shift)));
  const amp = 2 ** (sbps - 1) * 0.45;
  const sig = new Int32Array(n);
  for (let i = 0; i < n; i++) sig[i] = Math.round(amp * Math.sin(i * 0.05 + 0.3) + (r() - 0.5) * amp * 0.1);
  // residual = sig − prediction(sig), computed exactly.
  const res = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (i < order) {
      res[i] = sig[i];
      continue;
    }
    let s = 0n;
    for (let j = 0; j < order; j++) s += BigInt(coefs[j]) * BigInt(sig[i - 1 - j]);
    res[i] = Number(BigInt(sig[i]) - (s >> BigInt(shift)));
  }
  return { coefs, shift, res, sig };
}

test('lpcRestore equals the BigInt spec arithmetic: int32 path (12-bit coefficients, 16-bit audio), orders 1–32', () => {
  const r = rng(1);
  for (let order = 1; order <= 32; order++) {
    const { coefs, shift, res, sig } = makeCase(r, order, 12, 16, 700);
    let sumAbs = 0;
    for (const c of coefs) sumAbs += Math.abs(c);
    if (order <= 12) assert.ok(sumAbs * 2 ** 15 < 2 ** 31, `order ${order}: case should take the int32 path`);
    const x = res.slice();
    lpcRestore(x, x.length, coefs, shift, 16);
    assert.deepEqual(x, reference(res, coefs, shift, 16));
    assert.deepEqual(x, sig);
  }
});

test('lpcRestore equals the BigInt spec arithmetic: float64 path (15-bit coefficients, 24-bit audio), orders 1–32', () => {
  const r = rng(2);
  for (let order = 1; order <= 32; order++) {
    const { coefs, shift, res, sig } = makeCase(r, order, 15, 24, 700);
    let sumAbs = 0;
    for (const c of coefs) sumAbs += Math.abs(c);
    assert.ok(sumAbs * 2 ** 23 >= 2 ** 31, `order ${order}: case should take the float64 path`);
    const x = res.slice();
    lpcRestore(x, x.length, coefs, shift, 24);
    assert.deepEqual(x, reference(res, coefs, shift, 24));
    assert.deepEqual(x, sig);
  }
});

test('negative predictions round toward −∞ (arithmetic shift), on both paths', () => {
  // x[1] = res + ((c·x[0]) >> shift) with c·x[0] = −5, shift 1 → −3 (not −2).
  for (const sbps of [16, 24]) {
    const coefs = Int32Array.of(sbps === 16 ? -5 : -5 * 2 ** 12);
    const shift = sbps === 16 ? 1 : 13;
    const x = Int32Array.of(1, 0, 0);
    lpcRestore(x, 3, coefs, shift, sbps);
    assert.deepEqual(Array.from(x), [1, -3, Math.floor((-5 * -3) / 2)]);
  }
});
