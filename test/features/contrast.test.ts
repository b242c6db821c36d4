/**
 * spectral_contrast against librosa 0.11: the fixtures in ../shared/fixtures/librosa-0.11
 * (magnitude spectrogram, fmin 200, 6 bands, quantile 0.02, dB), closed-form spectra, and a
 * literal transcription of librosa's band / sort / mean procedure on random spectra with
 * random parameters (fast-check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stft, spectrogramPower } from '../../src/dsp/stft.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { contrastBackend, spectralContrast } from '../../src/features/contrast.js';
import { fixtureFrameMajor, fixtureNames, isFixtureError, loadFixture, maxAbs, maxAbsDiff, throwsSer } from './fixtures.js';

const NAMES = fixtureNames();

test('fixtures are present', () => {
  assert.ok(NAMES.length >= 8, `expected the librosa fixtures, found ${NAMES.length}`);
});

for (const name of NAMES) {
  test(`librosa parity: ${name} (spectral_contrast)`, (t) => {
    const fx = loadFixture(name);
    const ref = fx.json.features.spectral_contrast;
    assert.ok(ref && !isFixtureError(ref), `${name}: fixture has no spectral_contrast`);
    const R = fixtureFrameMajor(ref);
    const X = stft(fx.y, { n_fft: 2048, hop_length: 512, center: true, pad_mode: 'constant' });
    const M = spectrogramPower(X, 1);
    const C = spectralContrast({ S: M, sr: fx.sr, n_fft: 2048 });
    assert.equal(C.rows, R.rows, `${name}: frames`);
    assert.equal(C.cols, 7);
    assert.equal(R.cols, 7);
    const err = maxAbsDiff(C, R);
    const tol = 1e-4 * maxAbs(R);
    t.diagnostic(`${name}: spectral_contrast worst |err| ${err.toExponential(2)} (tol ${tol.toExponential(2)}, max ${maxAbs(R).toFixed(3)}), backend ${contrastBackend()}`);
    assert.ok(err <= tol, `${name}: spectral_contrast error ${err} > ${tol}`);
    // The JavaScript path gives bit-identical results to the WebAssembly one.
    contrastBackend(false);
    try {
      assert.equal(maxAbsDiff(spectralContrast({ S: M, sr: fx.sr, n_fft: 2048 }), C), 0, `${name}: js and wasm paths differ`);
    } finally {
      contrastBackend(true);
    }
  });
}

/** librosa 0.11's spectral_contrast written out literally: boolean band masks, full sorts. */
function reference(S: Matrix, sr: number, n_fft: number, fmin: number, n_bands: number, quantile: number, linear: boolean): Float64Array {
  const nb = S.cols;
  const freq = Array.from({ length: nb }, (_, k) => k * (1 / (n_fft * (1 / sr))));
  const octa = [0, ...Array.from({ length: n_bands + 1 }, (_, i) => fmin * 2 ** i)];
  const peak = new Float64Array(S.rows * (n_bands + 1));
  const valley = new Float64Array(S.rows * (n_bands + 1));
  for (let k = 0; k <= n_bands; k++) {
    const band = freq.map((f) => f >= octa[k] && f <= octa[k + 1]);
    const idx = band.flatMap((b, i) => (b ? [i] : []));
    if (k > 0) band[idx[0] - 1] = true;
    if (k === n_bands) for (let i = idx[idx.length - 1] + 1; i < nb; i++) band[i] = true;
    let sel = band.flatMap((b, i) => (b ? [i] : []));
    const count = sel.length;
    if (k < n_bands) sel = sel.slice(0, -1);
    const r = quantile * count;
    let q = Math.round(r);
    if (Math.abs(r - Math.trunc(r)) === 0.5) q = 2 * Math.round(r / 2); // round half to even
    q = Math.max(q, 1);
    for (let t = 0; t < S.rows; t++) {
      const v = sel.map((i) => S.data[t * nb + i]).sort((a, b) => a - b);
      const lo = v.slice(0, q);
      const hi = v.slice(Math.max(v.length - q, 0));
      valley[t * (n_bands + 1) + k] = lo.reduce((a, b) => a + b, 0) / lo.length;
      peak[t * (n_bands + 1) + k] = hi.reduce((a, b) => a + b, 0) / hi.length;
    }
  }
  if (linear) return peak.map((p, i) => p - valley[i]);
  const db = (x: Float64Array) => {
    const d = x.map((v) => 10 * Math.log10(Math.max(1e-10, v)));
    const m = Math.max(...d);
    return d.map((v) => Math.max(v, m - 80));
  };
  const dp = db(peak);
  const dv = db(valley);
  return dp.map((p, i) => p - dv[i]);
}

test('matches a literal transcription of librosa on random spectra and parameters', () => {
  fc.assert(
    fc.property(
      fc.record({
        sr: fc.constantFrom(8000, 16000, 22050, 44100),
        n_fft: fc.constantFrom(256, 512, 1024, 2048),
        frames: fc.integer({ min: 1, max: 6 }),
        fmin: fc.double({ min: 50, max: 400, noNaN: true }),
        n_bands: fc.integer({ min: 1, max: 6 }),
        quantile: fc.double({ min: 0.005, max: 0.6, noNaN: true }),
        linear: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1e9 }),
        zeros: fc.boolean(),
      }),
      (p) => {
        // keep the bands below Nyquist and wide enough to contain a bin (librosa refuses otherwise)
        if (p.fmin * 2 ** (p.n_bands - 1) >= p.sr / 2) return;
        if (p.fmin < (2 * p.sr) / p.n_fft) return;
        const nb = p.n_fft / 2 + 1;
        let s = p.seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
        const data = new Float32Array(p.frames * nb);
        for (let i = 0; i < data.length; i++) data[i] = p.zeros && rnd() < 0.3 ? 0 : rnd() ** 3 * (1 + (i % nb) / 10);
        const S: Matrix = { rows: p.frames, cols: nb, data };
        const got = spectralContrast({ S, sr: p.sr, n_fft: p.n_fft, fmin: p.fmin, n_bands: p.n_bands, quantile: p.quantile, linear: p.linear });
        contrastBackend(false);
        try {
          const js = spectralContrast({ S, sr: p.sr, n_fft: p.n_fft, fmin: p.fmin, n_bands: p.n_bands, quantile: p.quantile, linear: p.linear });
          assert.equal(maxAbsDiff(js, got), 0, 'js and wasm paths differ');
        } finally {
          contrastBackend(true);
        }
        const want = reference(S, p.sr, p.n_fft, p.fmin, p.n_bands, p.quantile, p.linear);
        assert.equal(got.rows, p.frames);
        assert.equal(got.cols, p.n_bands + 1);
        for (let i = 0; i < want.length; i++) {
          assert.ok(Math.abs(got.data[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${JSON.stringify(p)} @${i}: ${got.data[i]} vs ${want[i]}`);
        }
      },
    ),
    { numRuns: 150, seed: 20261126 },
  );
});

test('closed-form spectra: flat → 0; a known peak/valley ratio → its dB value; top_db floor', () => {
  const sr = 22050;
  const nb = 1025;
  // flat spectrum: every band's peak equals its valley
  const flat: Matrix = { rows: 2, cols: nb, data: new Float32Array(2 * nb).fill(0.3) };
  const c0 = spectralContrast({ S: flat, sr });
  assert.ok(c0.data.every((v) => v === 0));
  // Top band (bins 594..1024, 431 bins → q = rint(8.62) = 9): nine bins at 100, nine at 1, rest 10.
  const d = new Float32Array(nb).fill(10);
  for (let i = 0; i < 9; i++) {
    d[600 + 7 * i] = 100;
    d[601 + 7 * i] = 1;
  }
  const c1 = spectralContrast({ S: { rows: 1, cols: nb, data: d }, sr });
  assert.ok(Math.abs(c1.data[6] - 20) < 1e-4, `top band ${c1.data[6]}`); // 10·log10(100/1) = 20 dB
  const lin = spectralContrast({ S: { rows: 1, cols: nb, data: d }, sr, linear: true });
  assert.ok(Math.abs(lin.data[6] - 99) < 1e-4);
  // top_db: power_to_db floors each array (peaks, valleys) at its own max over all bands and
  // frames − 80 dB. Top band: peak = mean of its 9 largest = (1 + 8e-12)/9 → −9.54 dB; every
  // valley is 1e-12 → amin 1e-10 → −100 dB. Other bands' peaks (1e-12 → −100 dB) are floored to
  // −89.54 dB, so their contrast is 10.46 dB instead of 0.
  const e = new Float32Array(nb).fill(1e-12);
  e[700] = 1;
  const c2 = spectralContrast({ S: { rows: 1, cols: nb, data: e }, sr });
  const peakDb = 10 * Math.log10(1 / 9);
  assert.ok(Math.abs(c2.data[6] - (peakDb + 100)) < 1e-4, `top band ${c2.data[6]}`);
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(c2.data[k] - (peakDb - 80 + 100)) < 1e-4, `band ${k}: ${c2.data[k]}`);
});

test('bad input gives one clear SerError', () => {
  const S: Matrix = { rows: 2, cols: 1025, data: new Float32Array(2 * 1025).fill(1) };
  throwsSer(() => spectralContrast({ S, sr: 8000 }), 'EPARAM', /Nyquist/);
  throwsSer(() => spectralContrast({ S, sr: 22050, quantile: 0 }), 'EPARAM', /quantile/);
  throwsSer(() => spectralContrast({ S, sr: 22050, quantile: 1 }), 'EPARAM', /quantile/);
  throwsSer(() => spectralContrast({ S, sr: 22050, n_bands: 0 }), 'EPARAM', /n_bands/);
  throwsSer(() => spectralContrast({ S, sr: 22050, n_bands: 2.5 }), 'EPARAM', /n_bands/);
  throwsSer(() => spectralContrast({ S, sr: 22050, fmin: 0 }), 'EPARAM', /fmin/);
  throwsSer(() => spectralContrast({ S, sr: 0 }), 'EPARAM', /sample rate/);
  throwsSer(() => spectralContrast({ S, sr: 22050, n_fft: 1024 }), 'EPARAM', /n_fft=1024/);
  throwsSer(() => spectralContrast({ S: { rows: 2, cols: 1025, data: new Float32Array(5) }, sr: 22050 }), 'EPARAM', /data length/);
  // a band narrower than one FFT bin (tiny n_fft)
  throwsSer(() => spectralContrast({ S: { rows: 1, cols: 5, data: new Float32Array(5) }, sr: 22050, fmin: 100, n_bands: 3 }), 'EPARAM', /no (usable )?FFT bin/);
  for (const enable of [true, false]) {
    contrastBackend(enable);
    for (const at of [3, 40, 700]) {
      const bad = new Float32Array(2 * 1025).fill(1);
      bad[1025 + at] = NaN;
      throwsSer(() => spectralContrast({ S: { rows: 2, cols: 1025, data: bad }, sr: 22050 }), 'ENONFINITE', /frame 1/);
    }
  }
  contrastBackend(true);
});
