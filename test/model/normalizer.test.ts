import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SpeakerStatsAccumulator,
  blendSpeakerStats,
  createNormalizer,
  modeNormalize,
  normalizationProblem,
  speakerPriorFrom,
  utteranceStats,
  type BundleNormalization,
} from '../../src/model/normalizer.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { SerError } from '../../src/errors.js';
import { Rng } from '../../src/util/random.js';

/** A (rows, cols) matrix of N(offset_j, scale_j²) values. */
function randMatrix(rng: Rng, rows: number, cols: number, offset = 0, scale = 1): Matrix {
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) data[r * cols + j] = offset + j + scale * (1 + j) * rng.normal();
  return { rows, cols, data };
}

/** Naive float64 per-column mean and population variance over all rows of the matrices. */
function naive(ms: Matrix[]): { mean: number[]; variance: number[]; n: number } {
  const cols = ms[0].cols;
  const mean = new Array(cols).fill(0);
  let n = 0;
  for (const m of ms) for (let r = 0; r < m.rows; r++, n++) for (let j = 0; j < cols; j++) mean[j] += m.data[r * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= n;
  const variance = new Array(cols).fill(0);
  for (const m of ms) for (let r = 0; r < m.rows; r++) for (let j = 0; j < cols; j++) variance[j] += (m.data[r * cols + j] - mean[j]) ** 2;
  for (let j = 0; j < cols; j++) variance[j] /= n;
  return { mean, variance, n };
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('SpeakerStatsAccumulator: chunked adds, row ranges and merges equal the naive two-pass statistics', () => {
  const rng = new Rng(3);
  const ms = [randMatrix(rng, 37, 5, 1000), randMatrix(rng, 1, 5, 1000), randMatrix(rng, 120, 5, 1000, 3)];
  const ref = naive(ms);
  const acc = new SpeakerStatsAccumulator();
  for (const m of ms) acc.add(m);
  assert.equal(acc.count, 158);
  const mo = acc.moments();
  for (let j = 0; j < 5; j++) {
    close(mo.mean[j], ref.mean[j], 1e-12, `mean ${j}`);
    close(mo.variance[j], ref.variance[j], 1e-9, `variance ${j}`);
  }
  // rows [10, 30) of the first matrix = a matrix of those rows
  const part = new SpeakerStatsAccumulator(5).add(ms[0], 10, 30).moments();
  const sub = naive([{ rows: 20, cols: 5, data: ms[0].data.slice(50, 150) }]);
  for (let j = 0; j < 5; j++) close(part.mean[j], sub.mean[j], 1e-12, `range mean ${j}`);
  // merge of two halves = one accumulator
  const a = new SpeakerStatsAccumulator().add(ms[0]);
  const b = new SpeakerStatsAccumulator().add(ms[1]).add(ms[2]);
  const merged = a.merge(b).moments();
  for (let j = 0; j < 5; j++) close(merged.variance[j], ref.variance[j], 1e-9, `merged variance ${j}`);
  const st = acc.stats();
  for (let j = 0; j < 5; j++) close(st.std[j], Math.sqrt(ref.variance[j]), 1e-6, `std ${j}`);
  assert.throws(() => acc.add(randMatrix(rng, 2, 4)), (e: Error) => e instanceof SerError && /4 columns, expected 5/.test(e.message));
  assert.throws(() => new SpeakerStatsAccumulator().stats(), (e: Error) => e instanceof SerError && e.code === 'EDATA');
  const nan: Matrix = { rows: 1, cols: 5, data: new Float32Array([0, 0, NaN, 0, 0]) };
  assert.throws(() => new SpeakerStatsAccumulator().add(nan), (e: Error) => e instanceof SerError && e.code === 'ENONFINITE');
});

test('a constant column gets std 1 (as sklearn StandardScaler), so it normalises to 0, never NaN', () => {
  const m: Matrix = { rows: 4, cols: 2, data: new Float32Array([5, 1, 5, 2, 5, 3, 5, 4]) };
  const s = utteranceStats(m);
  assert.equal(s.std[0], 1);
  close(s.std[1], Math.sqrt(1.25), 1e-7, 'std');
  const u = modeNormalize('utterance', m);
  for (let r = 0; r < 4; r++) assert.equal(u.data[r * 2], 0);
});

test('the prior is the mean of the speakers\' means and √ of the mean of their variances', () => {
  // speaker A: column values {0, 2} → mean 1, var 1; speaker B: {10, 16} → mean 13, var 9
  const A = new SpeakerStatsAccumulator().add({ rows: 2, cols: 1, data: new Float32Array([0, 2]) });
  const B = new SpeakerStatsAccumulator().add({ rows: 2, cols: 1, data: new Float32Array([10, 16]) });
  const p = speakerPriorFrom([A, B, new SpeakerStatsAccumulator()], 7);
  assert.deepEqual(p.mean, [7]);
  close(p.std[0], Math.sqrt(5), 1e-12, 'prior std');
  assert.equal(p.speakers, 2, 'an empty accumulator is not a speaker');
  assert.equal(p.pseudo_count, 7);
  assert.throws(() => speakerPriorFrom([], 1), (e: Error) => e instanceof SerError && e.code === 'EDATA');
});

test('blending = pooling the speaker\'s frames with pseudo_count frames of prior mean and variance', () => {
  const rng = new Rng(9);
  const cols = 3;
  const frames = randMatrix(rng, 25, cols, 4, 2);
  const prior = { mean: [1, -2, 0.5], std: [2, 0.5, 3], speakers: 4, pseudo_count: 10 };
  // pseudo_count frames at mean ± std (5 each) have exactly the prior's mean and variance
  const pseudo = new Float32Array(10 * cols);
  for (let r = 0; r < 10; r++) for (let j = 0; j < cols; j++) pseudo[r * cols + j] = prior.mean[j] + (r % 2 ? 1 : -1) * prior.std[j];
  const ref = naive([frames, { rows: 10, cols, data: pseudo }]);
  const got = blendSpeakerStats(new SpeakerStatsAccumulator().add(frames), prior);
  for (let j = 0; j < cols; j++) {
    close(got.mean[j], ref.mean[j], 1e-6, `mean ${j}`);
    close(got.std[j], Math.sqrt(ref.variance[j]), 1e-6, `std ${j}`);
  }
  // no frames: the prior itself
  const none = blendSpeakerStats(null, prior);
  assert.deepEqual(Array.from(none.mean), prior.mean.map(Math.fround));
  assert.deepEqual(Array.from(none.std), prior.std.map(Math.fround));
  // lots of frames: the speaker's own statistics dominate
  const many = new SpeakerStatsAccumulator();
  for (let i = 0; i < 400; i++) many.add(frames);
  const own = many.stats();
  const big = blendSpeakerStats(many, prior);
  for (let j = 0; j < cols; j++) close(big.mean[j], own.mean[j], 2e-3, `dominated mean ${j}`);
});

const cols = 2;
const global: BundleNormalization = { kind: 'zscore', mode: 'global', mean: [1, 2], std: [2, 4], count: 10 };

test('createNormalizer: global, utterance and speaker modes compose the mode stage with the global z-score', () => {
  const m: Matrix = { rows: 3, cols, data: new Float32Array([1, 2, 3, 6, 5, 10]) };
  // global: (x − mean) / std
  assert.deepEqual(Array.from(createNormalizer(global).apply(m).data), [0, 0, 1, 1, 2, 2]);
  // utterance: each column by its own frames: [1, 3, 5] → mean 3, std √(8/3); then global
  const u = createNormalizer({ ...global, mode: 'utterance' }).apply(m);
  const s = Math.sqrt(8 / 3);
  const col0 = [-2 / s, 0, 2 / s].map((v) => (v - 1) / 2);
  for (let r = 0; r < 3; r++) close(u.data[r * cols], col0[r], 1e-6, `utterance row ${r}`);
  // speaker: with given statistics, or the prior without
  const prior = { mean: [3, 6], std: [1, 2], speakers: 2, pseudo_count: 5 };
  const sp = createNormalizer({ ...global, mode: 'speaker', speaker_prior: prior });
  assert.equal(sp.mode, 'speaker');
  const byPrior = sp.apply(m);
  // row 1 = [3, 6] = the prior mean → 0 after the speaker stage → (0 − 1) / 2, (0 − 2) / 4
  assert.deepEqual(Array.from(byPrior.data.slice(2, 4)), [-0.5, -0.5]);
  const given = sp.apply(m, { mean: Float32Array.from([1, 2]), std: Float32Array.from([1, 1]), count: 3 });
  assert.deepEqual(Array.from(given.data.slice(0, 2)), [-0.5, -0.5]);
  assert.deepEqual(Array.from(sp.speakerStats(null).mean), [3, 6]);
  assert.throws(() => createNormalizer(global).speakerStats(null), (e: Error) => e instanceof SerError && /only used in normalisation mode 'speaker'/.test(e.message));
});

test('apply (one pass, optional destination) is bit-identical to the mode stage stored as float32 and then the global z-score', () => {
  const rng = new Rng(11);
  const C = 9;
  const m = randMatrix(rng, 40, C, 3, 2);
  const g: BundleNormalization = { kind: 'zscore', mean: Array.from({ length: C }, (_, j) => j - 4), std: Array.from({ length: C }, (_, j) => 0.5 + j), count: 100, mode: 'global' };
  const prior = { mean: Array.from({ length: C }, (_, j) => j + 1), std: Array.from({ length: C }, (_, j) => 1 + j / 3), speakers: 3, pseudo_count: 7 };
  const spk = { mean: Float64Array.from({ length: C }, (_, j) => j * 0.9), std: Float64Array.from({ length: C }, (_, j) => 1.5 + j / 4), count: 40 };
  for (const mode of ['global', 'utterance', 'speaker'] as const) {
    const n = createNormalizer({ ...g, mode, ...(mode === 'speaker' ? { speaker_prior: prior } : {}) });
    // reference: stage 1 into a Float32Array (modeNormalize), then the global stage by hand
    const s1 = modeNormalize(mode, m, mode === 'speaker' ? spk : undefined);
    const ref = new Float32Array(m.data.length);
    for (let i = 0; i < ref.length; i++) ref[i] = (s1.data[i] - g.mean[i % C]) / g.std[i % C];
    const got = n.apply(m, mode === 'speaker' ? spk : undefined);
    assert.deepEqual(Array.from(got.data), Array.from(ref), mode);
    const dest = new Float32Array(m.data.length + 5).fill(NaN);
    const into = n.apply(m, mode === 'speaker' ? spk : undefined, dest);
    assert.equal(into.data.buffer, dest.buffer, `${mode}: written into the destination`);
    assert.deepEqual(Array.from(into.data), Array.from(ref), `${mode} into dest`);
  }
  assert.throws(() => createNormalizer(g).apply(m, undefined, new Float32Array(3)), (e: Error) => e instanceof SerError && /destination holds 3/.test(e.message));
});

test('normalizationProblem: unknown modes, a speaker mode without prior, mismatched columns', () => {
  assert.equal(normalizationProblem(global, 2), null);
  assert.match(normalizationProblem({ ...global, mode: 'per-channel' })!, /mode "per-channel" is not supported.*global, utterance, speaker/);
  assert.match(normalizationProblem({ ...global, mode: 'speaker' })!, /needs normalization.speaker_prior/);
  assert.match(normalizationProblem(global, 3)!, /2 columns, input_shape has 3/);
  const prior = { mean: [0, 0], std: [1, 1], speakers: 2, pseudo_count: 5 };
  assert.equal(normalizationProblem({ ...global, mode: 'speaker', speaker_prior: prior }, 2), null);
  assert.match(normalizationProblem({ ...global, mode: 'speaker', speaker_prior: { ...prior, std: [1, 0] } })!, /speaker_prior.std/);
  assert.match(normalizationProblem({ ...global, mode: 'speaker', speaker_prior: { ...prior, mean: [0] } })!, /speaker_prior/);
  assert.match(normalizationProblem({ ...global, mode: 'speaker', speaker_prior: { ...prior, pseudo_count: -1 } })!, /pseudo_count/);
  assert.match(normalizationProblem({ ...global, speaker_prior: prior })!, /only meaningful for mode 'speaker'/);
  assert.throws(() => createNormalizer({ ...global, mode: 'bogus' as never }), (e: Error) => e instanceof SerError && e.code === 'EMODEL');
});
