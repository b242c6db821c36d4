/**
 * piptrack / pitch_tuning / estimate_tuning / chroma filterbank / chroma_stft against librosa 0.11:
 * the fixtures in ../shared/fixtures/librosa-0.11, librosa's own documented examples, and
 * closed-form signals.
 *
 * What the fixtures hold (verified case by case): `tuning` is librosa.estimate_tuning(y=y, sr=sr),
 * i.e. piptrack on the MAGNITUDE spectrogram; `chroma_stft` is chroma_stft(y=y, sr=sr) with
 * tuning=None, whose internal estimate runs piptrack on the POWER spectrogram and can differ from
 * `tuning` (e.g. speech_synth: −0.38 vs −0.25). So estimateTuning is checked on |S| against
 * `tuning`, and chroma is checked with its own internal estimate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stft, spectrogramPower } from '../../src/dsp/stft.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { piptrack, pitchTuning, estimateTuning } from '../../src/features/tuning.js';
import { chromaBackend, chromaFilterbank, chromaStft } from '../../src/features/chroma.js';
import { wasmChromaBank } from '../../src/dsp/stft-wasm.js';
import { fixtureFrameMajor, fixtureNames, fixtureScalar, isFixtureError, loadFixture, maxAbs, maxAbsDiff, throwsSer } from './fixtures.js';

function spectra(y: Float32Array): { P: Matrix; M: Matrix } {
  const X = stft(y, { n_fft: 2048, hop_length: 512, center: true, pad_mode: 'constant' });
  return { P: spectrogramPower(X, 2), M: spectrogramPower(X, 1) };
}

function sine(freqs: number[], sr: number, n: number, amp = 0.5): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const f of freqs) s += amp * Math.sin((2 * Math.PI * f * i) / sr);
    y[i] = s;
  }
  return y;
}

const NAMES = fixtureNames();

test('fixtures are present', () => {
  assert.ok(NAMES.length >= 8, `expected the librosa fixtures, found ${NAMES.length}`);
});

for (const name of NAMES) {
  test(`librosa parity: ${name} (tuning, chroma_stft)`, (t) => {
    const fx = loadFixture(name);
    const { P, M } = spectra(fx.y);
    const feats = fx.json.features;

    // estimate_tuning(y=y, sr=sr) == piptrack on the magnitude spectrogram.
    const want = fixtureScalar(feats.tuning);
    const got = estimateTuning({ S: M, sr: fx.sr, n_fft: 2048 });
    t.diagnostic(`${name}: tuning ${got.toFixed(4)} (librosa ${want.toFixed(4)}, |err| ${Math.abs(got - want).toExponential(2)})`);
    assert.ok(Math.abs(got - want) <= 1e-3, `${name}: tuning ${got} vs librosa ${want}`);

    const ref = feats.chroma_stft;
    assert.ok(ref && !isFixtureError(ref), `${name}: fixture has no chroma_stft`);
    const R = fixtureFrameMajor(ref);
    const C = chromaStft({ S: P, sr: fx.sr, n_fft: 2048 });
    assert.equal(C.rows, R.rows, `${name}: frames`);
    assert.equal(C.cols, 12);
    assert.equal(R.cols, 12);
    const err = maxAbsDiff(C, R);
    const tol = 1e-4 * maxAbs(R);
    const tuningP = estimateTuning({ S: P, sr: fx.sr, n_fft: 2048 });
    t.diagnostic(`${name}: chroma_stft worst |err| ${err.toExponential(2)} (tol ${tol.toExponential(2)}, max ${maxAbs(R)}), internal tuning ${tuningP.toFixed(2)}`);
    assert.ok(err <= tol, `${name}: chroma_stft error ${err} > ${tol}`);

    // The same chroma with the tuning passed in explicitly (the path extractFeatures may take).
    const C2 = chromaStft({ S: P, sr: fx.sr, n_fft: 2048, tuning: tuningP });
    assert.equal(maxAbsDiff(C2, C), 0);

    // Both projections (WebAssembly SIMD when available, and the sparse JavaScript loop).
    const backend = chromaBackend();
    chromaBackend(false);
    try {
      const Cj = chromaStft({ S: P, sr: fx.sr, n_fft: 2048 });
      const errJ = maxAbsDiff(Cj, R);
      t.diagnostic(`${name}: chroma_stft (js projection) worst |err| ${errJ.toExponential(2)}; default backend ${backend}`);
      assert.ok(errJ <= tol, `${name}: chroma_stft (js) error ${errJ} > ${tol}`);
    } finally {
      chromaBackend(true);
    }
  });
}

test('chroma with a wrong tuning is detectably different (the parity test can fail)', () => {
  const fx = loadFixture('speech_synth');
  const { P } = spectra(fx.y);
  const R = fixtureFrameMajor(fx.json.features.chroma_stft);
  const tuningP = estimateTuning({ S: P, sr: fx.sr });
  const off = chromaStft({ S: P, sr: fx.sr, tuning: tuningP + 0.1 });
  assert.ok(maxAbsDiff(off, R) > 1e-2);
});

test('chroma filterbank matches librosa.filters.chroma documented values (sr 22050, n_fft 4096)', () => {
  // librosa's docstring examples (printed before base_c became the default, i.e. base_c=False).
  const cases: { opts: { n_chroma?: number; octwidth?: null }; rows: Record<number, number[]> }[] = [
    { opts: {}, rows: { 0: [1.689e-5, 3.024e-4, 4.639e-17, 5.327e-17], 1: [1.716e-5, 2.652e-4, 2.674e-25, 3.176e-25], 10: [1.578e-5, 3.619e-4, 8.577e-6, 9.205e-6], 11: [1.643e-5, 3.355e-4, 1.474e-10, 1.636e-10] } },
    { opts: { n_chroma: 24 }, rows: { 0: [1.194e-5, 2.138e-4, 6.297e-64, 1.115e-63], 1: [1.206e-5, 2.009e-4, 1.546e-79, 2.929e-79], 22: [1.162e-5, 2.372e-4, 6.417e-38, 9.923e-38], 23: [1.18e-5, 2.26e-4, 4.697e-50, 7.772e-50] } },
    { opts: { octwidth: null }, rows: { 0: [3.036e-1, 2.604e-1, 2.445e-16, 2.809e-16], 1: [3.084e-1, 2.283e-1, 1.409e-24, 1.675e-24], 10: [2.836e-1, 3.116e-1, 4.52e-5, 4.854e-5], 11: [2.953e-1, 2.888e-1, 7.768e-10, 8.629e-10] } },
  ];
  for (const { opts, rows } of cases) {
    const fb = chromaFilterbank({ sr: 22050, n_fft: 4096, base_c: false, ...opts });
    assert.equal(fb.rows, opts.n_chroma ?? 12);
    assert.equal(fb.cols, 2049);
    for (const [r, vals] of Object.entries(rows)) {
      const cols = [0, 1, fb.cols - 2, fb.cols - 1];
      vals.forEach((v, i) => {
        const got = fb.data[Number(r) * fb.cols + cols[i]];
        if (v < 1e-37) assert.ok(got < 1e-36, `row ${r} col ${cols[i]}: ${got} should underflow like ${v}`); // below float32 range
        else assert.ok(Math.abs(got - v) <= 6e-4 * v, `row ${r} col ${cols[i]}: ${got} vs ${v} (${JSON.stringify(opts)})`);
      });
    }
    // base_c=true is the same bank rolled by −3 rows (row 0 = C, row 9 = A).
    const n = fb.rows;
    const fbc = chromaFilterbank({ sr: 22050, n_fft: 4096, ...opts });
    const sh = 3 * Math.floor(n / 12);
    for (let c = 0; c < n; c++) {
      for (let k = 0; k < fb.cols; k++) assert.equal(fbc.data[c * fb.cols + k], fb.data[((c + sh) % n) * fb.cols + k]);
    }
  }
});

test('chroma filterbank: closed-form column norms and pitch-class peaks, with tuning', () => {
  const sr = 22050;
  const n_fft = 2048;
  for (const tuning of [0, 0.25, -0.4]) {
    const fb = chromaFilterbank({ sr, n_fft, tuning });
    const A = 440 * 2 ** (tuning / 12);
    for (let k = 1; k < fb.cols; k++) {
      const f = (k * sr) / n_fft;
      const oct = Math.log2(f / (A / 16));
      let ss = 0;
      let arg = 0;
      for (let c = 0; c < 12; c++) {
        const w = fb.data[c * fb.cols + k];
        ss += w * w;
        if (w > fb.data[arg * fb.cols + k]) arg = c;
      }
      // columns are L2-normalised, then scaled by the octave weight exp(-((oct - 5) / 2)^2 / 2)
      const octw = Math.exp(-0.5 * ((oct - 5) / 2) ** 2);
      assert.ok(Math.abs(Math.sqrt(ss) - octw) <= 1e-6 * octw + 1e-30, `tuning ${tuning} bin ${k}: norm ${Math.sqrt(ss)} vs ${octw}`);
      // Where bins are narrower than a semitone the peak is the nearest pitch class (A = 9 with base C).
      if (f > 600) {
        const semis = 12 * Math.log2(f / A);
        const frac = semis - Math.floor(semis);
        if (Math.abs(frac - 0.5) > 0.05) assert.equal(arg, (((Math.round(semis) + 9) % 12) + 12) % 12, `tuning ${tuning} bin ${k} (${f} Hz)`);
      }
    }
  }
});

test('chroma of a pure tone peaks at its pitch class; silence gives zeros and tuning 0', () => {
  const sr = 22050;
  // C5 = 523.25 Hz, +0.2 semitone: estimate_tuning finds ≈ +0.2 and chroma peaks on C (index 0).
  // (Parabolic interpolation of a Hann peak is biased by up to ~0.1 FFT bin ≈ 0.035 semitone here.)
  const f = 523.2511 * 2 ** (0.2 / 12);
  const { P } = spectra(sine([f], sr, sr));
  const tun = estimateTuning({ S: P, sr });
  assert.ok(Math.abs(tun - 0.2) <= 0.05, `tuning ${tun}`);
  const C = chromaStft({ S: P, sr });
  for (let t = 2; t < C.rows - 2; t++) {
    const row = C.data.subarray(t * 12, t * 12 + 12);
    assert.equal(row[0], 1, `frame ${t} peak`);
    for (let c = 1; c < 12; c++) assert.ok(row[c] < 0.5, `frame ${t} chroma ${c} = ${row[c]}`);
  }
  const z = spectra(new Float32Array(4096)).P;
  assert.equal(estimateTuning({ S: z, sr }), 0);
  const Cz = chromaStft({ S: z, sr });
  assert.equal(Cz.rows, z.rows);
  assert.ok(Cz.data.every((v) => v === 0));
  // un-normalised output is the raw projection
  const Cn = chromaStft({ S: P, sr, norm: null, tuning: 0.2 });
  assert.ok(maxAbs(Cn) > 1);
});

test('piptrack: one interpolated peak per frame at a sine frequency, limited to [fmin, fmax)', () => {
  const sr = 22050;
  const n_fft = 2048;
  const f0 = 1000.7;
  const { M, P } = spectra(sine([f0], sr, sr));
  for (const S of [M, P]) {
    const { pitches, magnitudes } = piptrack({ S, sr, n_fft });
    assert.equal(pitches.rows, S.rows);
    assert.equal(pitches.cols, 1025);
    assert.equal(magnitudes.cols, 1025);
    for (let t = 3; t < S.rows - 3; t++) {
      const nz: number[] = [];
      for (let k = 0; k < 1025; k++) if (pitches.data[t * 1025 + k] > 0) nz.push(k);
      assert.equal(nz.length, 1, `frame ${t}: peaks at ${nz}`);
      const k = nz[0];
      assert.equal(k, Math.round((f0 * n_fft) / sr));
      // parabolic interpolation moves the estimate to within a fraction of a bin (10.8 Hz)
      assert.ok(Math.abs(pitches.data[t * 1025 + k] - f0) < 0.3 * (sr / n_fft), `frame ${t}: ${pitches.data[t * 1025 + k]}`);
      // and the interpolated magnitude is at least the bin's own value (a peak's parabola top)
      assert.ok(magnitudes.data[t * 1025 + k] >= S.data[t * 1025 + k] * (1 - 1e-6));
    }
    const none = piptrack({ S, sr, n_fft, fmin: 1100 });
    assert.ok(none.pitches.data.every((v) => v === 0));
    const none2 = piptrack({ S, sr, n_fft, fmax: 900 });
    assert.ok(none2.pitches.data.every((v) => v === 0));
    // an absolute ref above every value selects nothing
    const none3 = piptrack({ S, sr, n_fft, ref: 1e30 });
    assert.ok(none3.magnitudes.data.every((v) => v === 0));
  }
});

test('pitch_tuning: librosa documented example and edge cases', () => {
  // librosa docs: pitch_tuning(cqt_frequencies(24, fmin=55, tuning=0.25)) == 0.25
  const freqs = Array.from({ length: 24 }, (_, k) => 55 * 2 ** (0.25 / 12) * 2 ** (k / 12));
  assert.ok(Math.abs(pitchTuning(freqs) - 0.25) < 1e-9);
  // shifted by −0.355 bin: residual −0.105 falls in the bin [−0.11, −0.10)
  assert.ok(Math.abs(pitchTuning(Float64Array.from(freqs.map((f) => f * 2 ** (-0.355 / 12)))) - -0.11) < 1e-9);
  // a deviation of +0.6 bin is −0.4 from the next tone up
  assert.ok(Math.abs(pitchTuning([440 * 2 ** (0.605 / 12)]) - -0.4) < 1e-9);
  // coarser resolution: bins of 0.1
  assert.ok(Math.abs(pitchTuning(freqs, { resolution: 0.1 }) - 0.2) < 1e-9);
  // quarter-tone grid: 24 bins per octave → the same frequencies are 0.5 bin off... i.e. +0.5 wraps to −0.5
  assert.ok(Math.abs(pitchTuning(freqs, { bins_per_octave: 24 }) - -0.5) < 1e-9);
  // no positive frequency → 0
  assert.equal(pitchTuning([]), 0);
  assert.equal(pitchTuning([0, -5]), 0);
  // majority wins
  assert.ok(Math.abs(pitchTuning([440 * 2 ** (0.105 / 12), 220 * 2 ** (0.105 / 12), 330 * 2 ** (-0.205 / 12)]) - 0.1) < 1e-9);
  // frequencies below 27.5 Hz (negative octave numbers) wrap correctly
  assert.ok(Math.abs(pitchTuning([13.75 * 2 ** (0.155 / 12)]) - 0.15) < 1e-9);
});

test('bad input gives one clear SerError', () => {
  const sr = 22050;
  const S: Matrix = { rows: 3, cols: 1025, data: new Float32Array(3 * 1025) };
  throwsSer(() => estimateTuning({ S, sr, n_fft: 1024 }), 'EPARAM', /n_fft=1024/);
  throwsSer(() => piptrack({ S, sr: 0 }), 'EPARAM', /sample rate/);
  throwsSer(() => chromaStft({ S, sr: -1 }), 'EPARAM', /sample rate/);
  throwsSer(() => chromaStft({ S: { rows: 2, cols: 1025, data: new Float32Array(10) }, sr }), 'EPARAM', /data length/);
  throwsSer(() => chromaStft({ S, sr, n_chroma: 0 }), 'EPARAM', /n_chroma/);
  throwsSer(() => chromaStft({ S, sr, tuning: NaN }), 'EPARAM', /tuning/);
  throwsSer(() => pitchTuning([440], { resolution: 0 }), 'EPARAM', /resolution/);
  throwsSer(() => pitchTuning([440], { resolution: 1.5 }), 'EPARAM', /resolution/);
  throwsSer(() => pitchTuning([NaN]), 'ENONFINITE');
  throwsSer(() => chromaFilterbank({ sr, n_fft: 1 }), 'EPARAM', /n_fft/);
  const bad = new Float32Array(3 * 1025);
  bad[1025 + 40] = NaN;
  throwsSer(() => chromaStft({ S: { rows: 3, cols: 1025, data: bad }, sr, tuning: 0 }), 'ENONFINITE', /frame 1/);
  // a projection beyond float32's range (the last, unpaired frame of the kernel), on both paths
  const huge = new Float32Array(3 * 1025);
  huge.fill(3e38, 2 * 1025);
  for (const on of [true, false]) {
    chromaBackend(on);
    try {
      throwsSer(() => chromaStft({ S: { rows: 3, cols: 1025, data: huge }, sr, tuning: 0 }), 'ENONFINITE', /frame 2/);
    } finally {
      chromaBackend(true);
    }
  }
});

test('chroma_stft projection (segmented 8-chroma windows in the SIMD kernel, sparse JS loop) equals the dense float64 product to float32 level, several tunings and n_fft', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (const n_fft of [2048, 1024, 4096]) {
    const nb = n_fft / 2 + 1;
    const T = 9; // odd: the kernel's frame pairs and its single last frame
    const S: Matrix = { rows: T, cols: nb, data: new Float32Array(T * nb) };
    for (let t = 0; t < T; t++)
      for (let k = 0; k < nb; k++) {
        // broadband noise over a wide range, single loud high bins (where only a few weights count), silence
        const v = t === 2 ? 0 : t % 3 === 1 ? (k === nb - 1 - 37 * t ? 1e3 : 1e-6 * rnd()) : rnd() ** 6 * 10 ** (4 * rnd() - 2);
        S.data[t * nb + k] = v;
      }
    for (const tuning of [0, -0.5, 0.23, 0.49]) {
      const fb = chromaFilterbank({ sr: 22050, n_fft, tuning });
      const want = new Float64Array(T * 12);
      for (let t = 0; t < T; t++) {
        let mx = 0;
        for (let c = 0; c < 12; c++) {
          let s = 0;
          for (let k = 0; k < nb; k++) s += fb.data[c * nb + k] * S.data[t * nb + k];
          want[t * 12 + c] = s;
          mx = Math.max(mx, s);
        }
        for (let c = 0; c < 12; c++) want[t * 12 + c] = mx > 0 ? want[t * 12 + c] / mx : 0;
      }
      for (const on of [true, false]) {
        chromaBackend(on);
        try {
          const got = chromaStft({ S, sr: 22050, n_fft, tuning });
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want[i]));
          assert.ok(worst <= 2e-6, `n_fft ${n_fft} tuning ${tuning} ${chromaBackend()}: max |chroma − dense float64| ${worst}`);
        } finally {
          chromaBackend(true);
        }
      }
    }
  }
});

/** librosa.filters.chroma written plainly (fmod-based %, Math.pow): the reference for the fast builders. */
function naiveChromaBank(sr: number, n_fft: number, n: number, tuning: number): { frq: Float64Array; width: Float64Array; half: number; W: Float32Array } {
  const ref = (440.0 * Math.pow(2.0, tuning / n)) / 16;
  const frq = new Float64Array(n_fft);
  for (let k = 1; k < n_fft; k++) frq[k] = n * Math.log2((k * (sr / n_fft)) / ref);
  frq[0] = frq[1] - 1.5 * n;
  const width = new Float64Array(n_fft);
  for (let k = 0; k < n_fft - 1; k++) width[k] = Math.max(frq[k + 1] - frq[k], 1.0);
  width[n_fft - 1] = 1;
  const half = n % 2 === 0 ? n / 2 : Math.floor(n / 2) % 2 === 0 ? Math.floor(n / 2) : Math.floor(n / 2) + 1; // rint(n / 2)
  const nOut = Math.floor(1 + n_fft / 2);
  const W = new Float32Array(n * nOut);
  const col = new Float64Array(n);
  for (let k = 0; k < nOut; k++) {
    let s = 0;
    for (let c = 0; c < n; c++) {
      let r = (frq[k] - c + half + 10 * n) % n;
      if (r !== 0 && r < 0) r += n;
      const z = (2 * (r - half)) / width[k];
      col[c] = Math.exp(-0.5 * z * z);
      s += Math.pow(Math.abs(col[c]), 2);
    }
    const len = Math.sqrt(s);
    const u = (frq[k] / n - 5.0) / 2;
    const oct = Math.exp(-0.5 * u * u);
    for (let c = 0; c < n; c++) W[c * nOut + k] = (col[(c + 3 * Math.floor(n / 12)) % n] / len) * oct;
  }
  return { frq, width, half, W };
}

test('chroma filterbank builders: chromaFilterbank and the kernel builder (wasmChromaBank, fdlibm exp) give the plain formula\'s float32 weights bit for bit', () => {
  for (const [sr, n_fft, n] of [
    [22050, 2048, 12],
    [16000, 1024, 12],
    [44100, 4096, 24],
    [22050, 2048, 7],
    [8000, 16, 12],
  ]) {
    for (const tuning of [-0.5, -0.37, 0, 0.01, 0.26, 0.49]) {
      const ref = naiveChromaBank(sr, n_fft, n, tuning);
      const nOut = Math.floor(1 + n_fft / 2);
      const fb = chromaFilterbank({ sr, n_fft, n_chroma: n, tuning });
      assert.deepEqual(fb.data, ref.W, `chromaFilterbank sr ${sr} n_fft ${n_fft} n_chroma ${n} tuning ${tuning}`);
      const w = wasmChromaBank(ref.frq, ref.width, nOut, n, ref.half, 5.0, 2, 3 * Math.floor(n / 12));
      if (!w) continue; // no WebAssembly SIMD here
      const binMajor = new Float32Array(n * nOut);
      for (let c = 0; c < n; c++) for (let k = 0; k < nOut; k++) binMajor[k * n + c] = ref.W[c * nOut + k];
      assert.deepEqual(w, binMajor, `wasmChromaBank sr ${sr} n_fft ${n_fft} n_chroma ${n} tuning ${tuning}`);
    }
  }
});
