import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  trim,
  padOrCrop,
  padOrCropOffset,
  clipLength,
  fitZScore,
  applyZScore,
  ZScoreAccumulator,
  zscoreToJSON,
  zscoreFromJSON,
  LabelEncoder,
  oneHot,
  classWeights,
} from '../../src/data/preprocess.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR, readFloatWav } from '../features/fixtures.js';

/** librosa 0.11 trim boundaries, made by test/fixtures/data/make_trim_fixture.py. */
const TRIM_REF = JSON.parse(readFileSync(new URL('../fixtures/data/trim-librosa-0.11.json', import.meta.url), 'utf8')) as {
  files: { case: string; n: number; top_db: number; frame_length: number; hop_length: number; start: number; end: number }[];
  synthetic: { n: number; a: number; b: number; amp: number; f: number; top_db: number; start: number; end: number }[];
};
import { SerError } from '../../src/errors.js';

// ---------------------------------------------------------------------------- trim

/**
 * Silence – tone – silence, with closed-form expected boundaries. A tone of amplitude A covering
 * samples [a, b) gives frame t (original samples [512t − 1024, 512t + 1024)) an energy of
 * ≈ A²·k/2 where k is the overlap, so its level relative to a fully covered frame is
 * 10·log10(k / 2048) dB; a frame is kept when that exceeds −top_db. The cases below are chosen
 * with every boundary frame at least 1.5 dB away from the threshold, so the sinusoid's ripple
 * cannot flip it.
 */
function silenceToneSilence(n: number, a: number, b: number, amp = 0.5, f = 440, sr = 22050): Float32Array {
  const y = new Float32Array(n);
  for (let i = a; i < b; i++) y[i] = amp * Math.sin((2 * Math.PI * f * (i - a)) / sr + 0.3);
  return y;
}

function expectedBounds(n: number, a: number, b: number, top_db: number, fl = 2048, hop = 512): { start: number; end: number; margin: number } {
  const nFrames = 1 + Math.floor(n / hop);
  let first = -1;
  let last = -1;
  let margin = Infinity;
  for (let t = 0; t < nFrames; t++) {
    const lo = Math.max(a, t * hop - fl / 2);
    const hi = Math.min(b, t * hop + fl / 2);
    const k = Math.max(0, hi - lo);
    const db = k > 0 ? 10 * Math.log10(k / fl) : -Infinity;
    if (k > 0) margin = Math.min(margin, Math.abs(db + top_db));
    if (db > -top_db) {
      if (first < 0) first = t;
      last = t;
    }
  }
  return { start: first * hop, end: Math.min(n, (last + 1) * hop), margin };
}

test('trim: silence–tone–silence boundaries match the closed form (top_db 60, 20, 10)', () => {
  const n = 22050;
  for (const [a, b] of [
    [5000, 15000],
    [3000, 20100],
    [700, 9800],
  ]) {
    for (const top_db of [60, 20, 10]) {
      const exp = expectedBounds(n, a, b, top_db);
      if (exp.margin < 1.5) continue; // boundary too close to call from the closed form
      const y = silenceToneSilence(n, a, b);
      const r = trim(y, { top_db });
      assert.equal(r.start, exp.start, `start a=${a} b=${b} top_db=${top_db}`);
      assert.equal(r.end, exp.end, `end a=${a} b=${b} top_db=${top_db}`);
      assert.equal(r.y.length, r.end - r.start);
      assert.equal(r.y[0], y[r.start]);
    }
  }
  // a concrete case worked by hand: tone on [5000, 15000), top_db 60 → frames 8..31 are kept
  // (frame 8 spans [3072, 5120): 120 tone samples, −12.3 dB; frame 7 none; frame 31 spans
  // [14848, 16896): 152 tone samples, −11.3 dB; frame 32 none) → samples [4096, 16384)
  const r = trim(silenceToneSilence(n, 5000, 15000));
  assert.deepEqual([r.start, r.end], [8 * 512, 32 * 512]);
  // top_db 10: frame 8 (−12.3 dB) is silence, frame 9 (632 samples: −5.1 dB) is not
  const r10 = trim(silenceToneSilence(n, 5000, 15000), { top_db: 10 });
  assert.equal(r10.start, 9 * 512);
});

test('trim: identical to librosa 0.11 on silence–tone–silence signals (reference values)', () => {
  for (const c of TRIM_REF.synthetic) {
    const y = new Float32Array(c.n);
    for (let i = c.a; i < c.b; i++) y[i] = c.amp * Math.sin((2 * Math.PI * c.f * (i - c.a)) / 22050 + 0.3);
    const r = trim(y, { top_db: c.top_db });
    assert.deepEqual([r.start, r.end], [c.start, c.end], JSON.stringify(c));
    // and librosa agrees with the closed form used above
    const exp = expectedBounds(c.n, c.a, c.b, c.top_db);
    assert.deepEqual([exp.start, exp.end], [c.start, c.end]);
  }
});

test('trim: identical to librosa 0.11 on the shared fixture inputs (speech, RAVDESS, tones, noise, silence, short)', (t) => {
  if (!existsSync(FIXTURE_DIR)) return t.skip('shared/fixtures/librosa-0.11 is absent');
  const cache = new Map<string, Float32Array>();
  let checked = 0;
  for (const c of TRIM_REF.files) {
    let y = cache.get(c.case);
    if (!y) {
      y = readFloatWav(join(FIXTURE_DIR, `${c.case}.wav`)).y;
      cache.set(c.case, y);
    }
    assert.equal(y.length, c.n, c.case);
    const r = trim(y, { top_db: c.top_db, frame_length: c.frame_length, hop_length: c.hop_length });
    assert.deepEqual([r.start, r.end], [c.start, c.end], JSON.stringify(c));
    checked++;
  }
  assert.equal(checked, 80);
});

test('trim: librosa edge behaviour (all-zero signal kept whole, loud signal untouched, fixed ref)', () => {
  // all zeros: every frame equals the (floored) reference → 0 dB → nothing trimmed
  const z = trim(new Float32Array(3000));
  assert.deepEqual([z.start, z.end], [0, 3000]);
  // a tone filling the signal: nothing to trim
  const full = silenceToneSilence(8000, 0, 8000);
  const f = trim(full);
  assert.deepEqual([f.start, f.end], [0, 8000]);
  // a fixed reference far above the signal makes everything silence → empty
  const e = trim(silenceToneSilence(8000, 2000, 6000, 1e-4), { ref: 1, top_db: 60 });
  assert.deepEqual([e.start, e.end, e.y.length], [0, 0, 0]);
  // the end never exceeds the signal length
  const tail = trim(silenceToneSilence(5000, 1000, 5000));
  assert.equal(tail.end, 5000);
  assert.throws(() => trim(full, { hop_length: 0 }), SerError);
});

// ---------------------------------------------------------------------------- pad / crop

test('padOrCrop: centre and start modes, exact lengths, offsets', () => {
  const y = Float32Array.from({ length: 10 }, (_, i) => i + 1);
  assert.deepEqual(Array.from(padOrCrop(y, 4)), [4, 5, 6, 7]); // (10−4)/2 = 3 cut before
  assert.deepEqual(Array.from(padOrCrop(y, 5)), [3, 4, 5, 6, 7]); // floor(5/2) = 2 cut before
  assert.deepEqual(Array.from(padOrCrop(y, 4, { mode: 'start' })), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(padOrCrop(y.subarray(0, 3), 6)), [0, 1, 2, 3, 0, 0]);
  assert.deepEqual(Array.from(padOrCrop(y.subarray(0, 3), 6, { mode: 'start' })), [1, 2, 3, 0, 0, 0]);
  assert.equal(padOrCrop(y, 0).length, 0);
  assert.equal(clipLength(22050), 66150);
  assert.equal(clipLength(16000, 2.5), 40000);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.constantFrom('center', 'start'), (n, len, mode) => {
      const x = Float32Array.from({ length: n }, (_, i) => i + 1);
      const out = padOrCrop(x, len, { mode: mode as 'center' | 'start' });
      if (out.length !== len) return false;
      const off = padOrCropOffset(n, len, mode as 'center' | 'start');
      for (let j = 0; j < len; j++) {
        const src = j - off;
        const want = src >= 0 && src < n ? x[src] : 0;
        if (out[j] !== want) return false;
      }
      return true;
    }),
  );
});

// ---------------------------------------------------------------------------- z-score

function randMatrix(rows: number, cols: number, seed: number, offset = 0, scale = 1): Matrix {
  let s = seed >>> 0;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = offset + (i % cols) * 3 + scale * (s / 4294967296 - 0.5);
  }
  return { rows, cols, data };
}

/** Independent reference: two-pass mean / population std over the concatenation, float64. */
function referenceStats(ms: Matrix[]): { mean: number[]; std: number[] } {
  const cols = ms[0].cols;
  const mean = new Array(cols).fill(0);
  let n = 0;
  for (const m of ms) for (let r = 0; r < m.rows; r++) for (let c = 0; c < cols; c++) mean[c] += m.data[r * cols + c];
  for (const m of ms) n += m.rows;
  for (let c = 0; c < cols; c++) mean[c] /= n;
  const v = new Array(cols).fill(0);
  for (const m of ms) for (let r = 0; r < m.rows; r++) for (let c = 0; c < cols; c++) v[c] += (m.data[r * cols + c] - mean[c]) ** 2;
  return { mean, std: v.map((x) => Math.sqrt(x / n)) };
}

test('fitZScore: equals the two-pass statistics of the concatenated frames (uneven matrices, large offset)', () => {
  for (const offset of [0, 1e4]) {
    const ms = [randMatrix(7, 5, 1, offset), randMatrix(1, 5, 2, offset), randMatrix(130, 5, 3, offset, 4), randMatrix(0, 5, 4), randMatrix(33, 5, 5, offset, 0.01)];
    const ref = referenceStats(ms);
    const st = fitZScore(ms);
    assert.equal(st.count, 171);
    for (let c = 0; c < 5; c++) {
      assert.ok(Math.abs(st.mean[c] - ref.mean[c]) <= 1e-6 * Math.max(1, Math.abs(ref.mean[c])), `mean ${c}`);
      assert.ok(Math.abs(st.std[c] - ref.std[c]) <= 1e-5 * ref.std[c], `std ${c}: ${st.std[c]} vs ${ref.std[c]}`);
    }
    // streaming accumulator in any order gives the same
    const acc = new ZScoreAccumulator();
    for (const m of [...ms].reverse()) acc.add(m);
    const st2 = acc.finish();
    for (let c = 0; c < 5; c++) assert.ok(Math.abs(st2.std[c] - st.std[c]) <= 1e-5 * st.std[c]);
    // applied to the training frames: mean ≈ 0, std ≈ 1 per column
    const z = ms.map((m) => applyZScore(m, st));
    const zs = referenceStats(z);
    for (let c = 0; c < 5; c++) {
      assert.ok(Math.abs(zs.mean[c]) < 1e-3, `z mean ${zs.mean[c]}`);
      assert.ok(Math.abs(zs.std[c] - 1) < 1e-3, `z std ${zs.std[c]}`);
    }
  }
});

test('z-score: constant column → std 1, JSON round trip, malformed JSON and shape errors', () => {
  const m: Matrix = { rows: 3, cols: 2, data: Float32Array.from([5, 1, 5, 2, 5, 3]) };
  const st = fitZScore([m]);
  assert.equal(st.std[0], 1);
  assert.equal(st.mean[0], 5);
  assert.ok(Math.abs(st.std[1] - Math.sqrt(2 / 3)) < 1e-6);
  const back = zscoreFromJSON(JSON.parse(JSON.stringify(zscoreToJSON(st))));
  assert.deepEqual(Array.from(back.mean), Array.from(st.mean));
  assert.deepEqual(Array.from(back.std), Array.from(st.std));
  assert.equal(back.count, 3);
  assert.throws(() => zscoreFromJSON({ kind: 'zscore', mean: [1], std: [0] }), (e: unknown) => e instanceof SerError && e.code === 'EMODEL');
  assert.throws(() => zscoreFromJSON({ mean: [1], std: [1] }), SerError);
  assert.throws(() => applyZScore({ rows: 1, cols: 3, data: new Float32Array(3) }, st), SerError);
  assert.throws(() => fitZScore([]), (e: unknown) => e instanceof SerError && e.code === 'EDATA');
  assert.throws(() => fitZScore([m, { rows: 1, cols: 3, data: new Float32Array(3) }]), SerError);
  assert.throws(() => fitZScore([{ rows: 1, cols: 1, data: Float32Array.from([NaN]) }]), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE');
  // the first non-finite value in row-major order is named, the rows before it are not merged
  const bad = new Float32Array(4 * 3).fill(1);
  bad[2 * 3 + 1] = Infinity;
  bad[3 * 3 + 0] = NaN;
  const acc = new ZScoreAccumulator(3);
  assert.throws(() => acc.add({ rows: 4, cols: 3, data: bad }), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && /row 2, column 1/.test(e.message));
  assert.equal(acc.count, 0);
  acc.add({ rows: 4, cols: 3, data: bad }, 0, 2);
  assert.equal(acc.count, 2);
});

// ---------------------------------------------------------------------------- labels

test('LabelEncoder keeps the given order; oneHot; errors', () => {
  const enc = new LabelEncoder(['calm', 'happy', 'fearful']);
  assert.equal(enc.encode('happy'), 1);
  assert.deepEqual(Array.from(enc.encodeAll(['fearful', 'calm'])), [2, 0]);
  assert.equal(enc.decode(2), 'fearful');
  assert.throws(() => enc.encode('sad'), (e: unknown) => e instanceof SerError && /'sad'/.test(e.message));
  assert.throws(() => new LabelEncoder(['a', 'a']), SerError);
  assert.deepEqual(LabelEncoder.fromJSON(JSON.parse(JSON.stringify(enc))).classes, ['calm', 'happy', 'fearful']);
  const oh = oneHot([2, 0, 1], 3);
  assert.deepEqual([oh.rows, oh.cols], [3, 3]);
  assert.deepEqual(Array.from(oh.data), [0, 0, 1, 1, 0, 0, 0, 1, 0]);
  assert.throws(() => oneHot([3], 3), SerError);
});

test("classWeights = sklearn 'balanced' n / (k · count)", () => {
  // sklearn: compute_class_weight('balanced', classes=[a,b,c], y=[a,a,a,a,b,b,c]) = 7/(3·[4,2,1])
  const w = classWeights(['a', 'a', 'a', 'a', 'b', 'b', 'c'], ['a', 'b', 'c']);
  const want = [7 / 12, 7 / 6, 7 / 3];
  w.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12));
  // balanced data → all ones; property: Σ count_c · w_c = n
  assert.deepEqual(classWeights(['x', 'y', 'x', 'y'], ['x', 'y']), [1, 1]);
  fc.assert(
    fc.property(fc.array(fc.constantFrom('p', 'q', 'r'), { minLength: 1, maxLength: 200 }), (labels) => {
      const classes = [...new Set(labels)];
      const ws = classWeights(labels, classes);
      const sum = classes.reduce((s, c, i) => s + labels.filter((l) => l === c).length * ws[i], 0);
      return Math.abs(sum - labels.length) < 1e-9;
    }),
  );
  assert.throws(() => classWeights(['a'], ['a', 'b']), (e: unknown) => e instanceof SerError && /'b' has no/.test(e.message));
  assert.throws(() => classWeights(['z'], ['a']), SerError);
});
