/**
 * extractFeatures / extractAllFeatures: layout, config handling and errors, and end-to-end parity of
 * every block with librosa 0.11 through the one-STFT pipeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerError } from '../../src/errors.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import {
  defaultFeatureConfig,
  extractAllFeatures,
  extractFeatures,
  featureColumns,
  featureConfigHash,
  normalizeFeatureConfig,
  type FeatureConfig,
} from '../../src/features/index.js';
import { fixtureFrameMajor, fixtureNames, fixtureScalar, isFixtureError, loadFixture, maxAbs, maxAbsDiff } from './fixtures.js';

function ok(cond: unknown, message = 'assertion failed'): asserts cond {
  assert.ok(cond, message);
}
const code = (c: string) => (e: unknown) => e instanceof SerError && e.code === c;

/** Columns [c0, c0 + w) of a frame-major matrix. */
function slice(m: Matrix, c0: number, w: number): Matrix {
  const out = new Float32Array(m.rows * w);
  for (let t = 0; t < m.rows; t++) out.set(m.data.subarray(t * m.cols + c0, t * m.cols + c0 + w), t * w);
  return { rows: m.rows, cols: w, data: out };
}

test('default config: 227 columns in the documented order', () => {
  const cols = featureColumns();
  assert.equal(cols.length, 227);
  assert.equal(cols[0], 'mfcc_0');
  assert.equal(cols[39], 'mfcc_39');
  assert.equal(cols[40], 'mfcc_delta_0');
  assert.equal(cols[80], 'chroma_0');
  assert.equal(cols[92], 'contrast_0');
  assert.equal(cols[98], 'contrast_6');
  assert.equal(cols[99], 'logmel_0');
  assert.equal(cols[226], 'logmel_127');
  assert.equal(new Set(cols).size, 227);
  assert.deepEqual(featureColumns({ blocks: ['rms', 'zcr', 'mfcc'], n_mfcc: 2 }), ['rms', 'zcr', 'mfcc_0', 'mfcc_1']);
});

test('extractFeatures = the librosa blocks side by side (speech at 22050 Hz)', () => {
  const fx = loadFixture('ravdess_angry_a01');
  const f = extractFeatures(fx.y, fx.sr);
  assert.equal(f.cols, 227);
  assert.equal(f.rows, 1 + Math.floor(fx.y.length / 512));
  assert.equal(f.columns.length, 227);
  ok(f.data.every(Number.isFinite), 'non-finite feature');
  const want: Array<[string, number, number, number]> = [
    // block, first column, width, abs tolerance
    ['mfcc', 0, 40, 1e-3],
    ['mfcc_delta', 40, 40, 1e-3],
    ['chroma_stft', 80, 12, 1e-3],
    ['spectral_contrast', 92, 7, 1e-3],
    ['logmel_db', 99, 128, 1e-3],
  ];
  for (const [name, c0, w, tol] of want) {
    const err = maxAbsDiff(slice(f, c0, w), fixtureFrameMajor(fx.json.features[name]));
    ok(err <= tol, `${name}: max |err| ${err}`);
  }
});

for (const name of fixtureNames()) {
  test(`extractAllFeatures matches librosa on every block: ${name}`, (t) => {
    const fx = loadFixture(name);
    const all = extractAllFeatures(fx.y, fx.sr);
    const rel = new Set(['mel_power', 'rms', 'zcr']);
    for (const block of ['mel_power', 'logmel_db', 'mfcc', 'mfcc_delta', 'mfcc_delta2', 'chroma_stft', 'spectral_contrast', 'rms', 'zcr'] as const) {
      const ref = fx.json.features[block];
      const got = all[block];
      if (isFixtureError(ref)) {
        assert.equal(got, null, `${block} should be null where librosa refuses`);
        ok(typeof all.errors[block] === 'string' && /delta_width=9/.test(all.errors[block]!), `${block}: reason given`);
        continue;
      }
      ok(got, `${block} missing`);
      const w = fixtureFrameMajor(ref);
      const err = maxAbsDiff(got, w);
      const tol = rel.has(block) ? 1e-4 * maxAbs(w) : 1e-3;
      t.diagnostic(`${name} ${block}: ${err.toExponential(2)}`);
      ok(err <= tol, `${name} ${block}: max |err| ${err} > ${tol}`);
    }
    const tuning = fixtureScalar(fx.json.features.tuning);
    ok(Math.abs(all.tuning - tuning) < 1e-3, `${name} tuning ${all.tuning} vs ${tuning}`);
  });
}

test('config: normalisation, sample-rate handling, hash', () => {
  const full = normalizeFeatureConfig();
  assert.deepEqual(full, { ...defaultFeatureConfig, blocks: [...defaultFeatureConfig.blocks] });
  assert.equal(featureConfigHash(), featureConfigHash({ n_fft: 2048, hop_length: 512 }));
  assert.equal(featureConfigHash(), featureConfigHash(full));
  assert.match(featureConfigHash(), /^f\d+-[0-9a-f]{16}$/);
  const variants: Partial<FeatureConfig>[] = [{ n_mels: 64 }, { sr: 16000 }, { blocks: ['mfcc'] }, { blocks: [...defaultFeatureConfig.blocks].reverse() }, { top_db: null }];
  const hashes = new Set([featureConfigHash(), ...variants.map((v) => featureConfigHash(v))]);
  assert.equal(hashes.size, variants.length + 1);
  assert.throws(() => normalizeFeatureConfig({ n_mfc: 20 } as unknown as Partial<FeatureConfig>), code('EPARAM'));
  assert.throws(() => normalizeFeatureConfig({ blocks: ['mfcc', 'mfcc'] }), code('EPARAM'));
  assert.throws(() => normalizeFeatureConfig({ blocks: ['pitch' as never] }), code('EPARAM'));
  assert.throws(() => normalizeFeatureConfig({ n_mfcc: 200 }), code('EPARAM'));
  assert.throws(() => normalizeFeatureConfig({ delta_width: 8 }), code('EPARAM'));
  // the sr argument is the samples' rate; a config naming another rate is an error
  const y = new Float32Array(8000).map((_, i) => Math.sin(i / 5));
  const f16 = extractFeatures(y, 16000, { blocks: ['mfcc'] });
  assert.equal(f16.config.sr, 16000);
  assert.throws(() => extractFeatures(y, 16000, { sr: 22050 }), code('ERATE'));
  assert.throws(() => extractFeatures(y, 0), code('EPARAM'));
});

test('bad input: empty, non-finite, too short for deltas (clear SerError, no NaN)', () => {
  assert.throws(() => extractFeatures(new Float32Array(0), 22050), code('EEMPTY'));
  const y = new Float32Array(22050).fill(0.1);
  y[777] = NaN;
  assert.throws(() => extractFeatures(y, 22050), (e: unknown) => code('ENONFINITE')(e) && /777/.test((e as Error).message));
  y[777] = Infinity;
  assert.throws(() => extractFeatures(y, 22050), code('ENONFINITE'));
  const short = new Float32Array(1102).fill(0.1);
  assert.throws(() => extractFeatures(short, 22050), (e: unknown) => code('EPARAM')(e) && /too short/.test((e as Error).message));
  const noDelta = extractFeatures(short, 22050, { blocks: ['mfcc', 'chroma_stft', 'spectral_contrast', 'logmel_db'] });
  assert.equal(noDelta.rows, 3);
  ok(noDelta.data.every(Number.isFinite), 'non-finite values');
  // exactly delta_width frames is enough: 8 hops → 9 frames
  assert.equal(extractFeatures(new Float32Array(8 * 512).fill(0.1), 22050).rows, 9);
});
