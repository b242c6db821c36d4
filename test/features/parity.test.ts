/**
 * Parity with librosa 0.11 on every case of ../shared/fixtures/librosa-0.11: mel_power, logmel_db,
 * mfcc, mfcc_delta, mfcc_delta2, rms, zcr. librosa's (rows, frames) arrays are transposed to the
 * project's frame-major layout before comparing.
 * Tolerances: logmel_db and mfcc* within 1e-3 absolute; mel_power, rms, zcr within
 * 1e-4 × the reference's max |value|.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerError } from '../../src/errors.js';
import { spectrogramPower, stft } from '../../src/dsp/stft.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { melspectrogram, powerToDb, mfcc, delta, rms, zeroCrossingRate } from '../../src/features/index.js';
import { fixtureFrameMajor, fixtureNames, isFixtureError, loadFixture, maxAbs, maxAbsDiff, type Fixture } from './fixtures.js';

type Computed = Record<string, () => Matrix>;

function compute(fx: Fixture): Computed {
  const { y, sr } = fx;
  const cache = new Map<string, Matrix>();
  const memo = (k: string, f: () => Matrix) => () => {
    let v = cache.get(k);
    if (!v) cache.set(k, (v = f()));
    return v;
  };
  const c: Computed = {};
  c.mel_power = memo('mel_power', () => melspectrogram({ y, sr, n_fft: 2048, hop_length: 512, power: 2, n_mels: 128 }));
  c.logmel_db = memo('logmel_db', () => powerToDb(c.mel_power(), { ref: 1, amin: 1e-10, top_db: 80 }));
  c.mfcc = memo('mfcc', () => mfcc({ S: c.logmel_db(), n_mfcc: 40, dct_type: 2, norm: 'ortho' }));
  c.mfcc_delta = memo('mfcc_delta', () => delta(c.mfcc(), { width: 9, order: 1, mode: 'interp' }));
  c.mfcc_delta2 = memo('mfcc_delta2', () => delta(c.mfcc(), { width: 9, order: 2, mode: 'interp' }));
  c.rms = memo('rms', () => rms({ y, frame_length: 2048, hop_length: 512, center: true, pad_mode: 'constant' }));
  c.zcr = memo('zcr', () => zeroCrossingRate(y, { frame_length: 2048, hop_length: 512, center: true }));
  return c;
}

const ABS_TOL: Record<string, number> = { logmel_db: 1e-3, mfcc: 1e-3, mfcc_delta: 1e-3, mfcc_delta2: 1e-3 };
const REL_TOL: Record<string, number> = { mel_power: 1e-4, rms: 1e-4, zcr: 1e-4 };
const FEATURES = ['mel_power', 'logmel_db', 'mfcc', 'mfcc_delta', 'mfcc_delta2', 'rms', 'zcr'];

const names = fixtureNames();
test('fixture set is present and complete', () => {
  assert.ok(names.length >= 8, `expected the librosa fixtures, found ${names.length}`);
});

for (const name of names) {
  test(`librosa parity: ${name}`, async (t) => {
    const fx = loadFixture(name);
    const c = compute(fx);
    for (const feat of FEATURES) {
      const ref = fx.json.features[feat];
      assert.ok(ref, `${name}: fixture lacks ${feat}`);
      await t.test(feat, () => {
        if (isFixtureError(ref)) {
          assert.throws(c[feat], (e: unknown) => e instanceof SerError && e.code === 'EPARAM' && /width/.test(e.message));
          t.diagnostic(`${name} ${feat}: librosa refuses (${ref.error}); we throw SerError`);
          return;
        }
        const want = fixtureFrameMajor(ref);
        const got = c[feat]();
        assert.equal(got.rows, want.rows, `${name} ${feat}: frames`);
        assert.equal(got.cols, want.cols, `${name} ${feat}: rows per frame`);
        for (let i = 0; i < got.data.length; i++) assert.ok(Number.isFinite(got.data[i]), `${name} ${feat}: non-finite value at ${i}`);
        const err = maxAbsDiff(got, want);
        const scale = maxAbs(want);
        const tol = ABS_TOL[feat] ?? REL_TOL[feat] * scale;
        const msg = `${name} ${feat}: max |err| ${err.toExponential(3)} (max |ref| ${scale.toExponential(3)}, tol ${tol.toExponential(2)})`;
        t.diagnostic(msg);
        if (process.env.PARITY_VERBOSE) console.log(msg);
        assert.ok(err <= tol, msg);
      });
    }
  });
}

test('power spectrogram of the STFT matches mel_power through the filterbank (S= path)', () => {
  const fx = loadFixture('tone');
  const S = spectrogramPower(stft(fx.y, { n_fft: 2048, hop_length: 512 }), 2);
  const a = melspectrogram({ S, sr: fx.sr });
  const want = fixtureFrameMajor(fx.json.features.mel_power);
  assert.ok(maxAbsDiff(a, want) <= 1e-4 * maxAbs(want), 'S= path differs from librosa mel_power');
});

test('rms from a rectangular-window spectrogram (S=) equals rms from y (Parseval), any signal', () => {
  const fx = loadFixture('noise');
  for (const n_fft of [2048, 1023]) {
    const S = spectrogramPower(stft(fx.y, { n_fft, hop_length: 512, window: 'ones', center: false }), 1);
    const fromS = rms({ S, frame_length: n_fft });
    const fromY = rms({ y: fx.y, frame_length: n_fft, hop_length: 512, center: false });
    assert.equal(fromS.rows, fromY.rows);
    for (let t = 0; t < fromS.rows; t++) assert.ok(Math.abs(fromS.data[t] - fromY.data[t]) <= 1e-5 * fromY.data[t], `frame ${t} n_fft ${n_fft}`);
  }
});
