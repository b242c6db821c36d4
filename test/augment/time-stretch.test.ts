import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveFixtures, timeStretchCases } from './helpers.js';
import { timeStretch } from '../../src/augment/effects.js';
import { istft, windowSumSquare } from '../../src/dsp/istft.js';
import { getWindow } from '../../src/dsp/stft.js';
import { stft } from '../../src/dsp/stft.js';
import { phaseVocoder, phaseVocoderFrames } from '../../src/dsp/phase-vocoder.js';
import { inverseRealFft } from '../../src/dsp/ifft.js';
import { realFft } from '../../src/dsp/fft.js';
import { SerError } from '../../src/errors.js';

/** Python's round(): ties to even (22050 / 0.8 = 27562.5 → 27562). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function maxAbs(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]));
  return m;
}

// Every fixture case that carries librosa's time_stretch output, at each rate it has.
const cases = timeStretchCases();

test('fixtures with time_stretch outputs are present (both rates, ≥ 3 cases)', { skip: !haveFixtures && 'shared fixtures absent' }, () => {
  assert.ok(cases.filter((c) => c.rate === 0.8).length >= 3);
  assert.ok(cases.filter((c) => c.rate === 1.25).length >= 3);
});

for (const c of cases) {
  test(`timeStretch matches librosa 0.11 on ${c.name} at rate ${c.rate} (1e-4 × max|y|, same length)`, () => {
    const got = timeStretch(c.y, c.rate);
    assert.equal(got.length, c.want.length);
    assert.equal(got.length, pyRound(c.y.length / c.rate));
    const tol = 1e-4 * maxAbs(c.y);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < c.want.length; i++) {
      const e = Math.abs(got[i] - c.want[i]);
      if (!(e <= worst)) {
        worst = e;
        at = i;
      }
    }
    assert.ok(worst <= tol, `max error ${worst} at sample ${at} exceeds ${tol}`);
  });
}

test('inverse real FFT inverts the forward FFT (power-of-two and other sizes)', () => {
  for (const n of [4, 8, 2048, 6, 15]) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(1.3 * i * i + 0.2) + (i % 3) - 1;
    const fwd = realFft(n);
    const re = new Float64Array(fwd.nBins);
    const im = new Float64Array(fwd.nBins);
    fwd.forward(x.slice(), re, im, 0);
    const back = new Float64Array(n);
    inverseRealFft(n).inverse(re, im, 0, back);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(back[i] - x[i]) < 1e-12, `n=${n} i=${i}: ${back[i]} vs ${x[i]}`);
  }
});

test('inverse real FFT ignores the imaginary parts of the DC and Nyquist bins (as irfft)', () => {
  for (const n of [16, 10]) {
    const nb = (n >> 1) + 1;
    const re = new Float64Array(nb).map((_, k) => Math.cos(k));
    const im = new Float64Array(nb).map((_, k) => Math.sin(k + 1));
    const a = new Float64Array(n);
    inverseRealFft(n).inverse(re, im, 0, a);
    const im2 = im.slice();
    im2[0] = 0;
    im2[nb - 1] = 0;
    const b = new Float64Array(n);
    inverseRealFft(n).inverse(re, im2, 0, b);
    // closed form: x[t] = (1/n)(X0 + 2 Σ_{0<k<n/2} Re(X_k e^{2πikt/n}) + X_{n/2}(−1)^t)
    for (let t = 0; t < n; t++) {
      let s = re[0] + re[nb - 1] * (t % 2 ? -1 : 1);
      for (let k = 1; k < nb - 1; k++) s += 2 * (re[k] * Math.cos((2 * Math.PI * k * t) / n) - im[k] * Math.sin((2 * Math.PI * k * t) / n));
      assert.ok(Math.abs(a[t] - s / n) < 1e-12);
      assert.ok(Math.abs(b[t] - s / n) < 1e-12);
    }
  }
});

test('istft(stft(y)) reconstructs y (centred, length given and not)', () => {
  const n = 9000;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 * Math.sin(0.05 * i) + 0.2 * Math.cos(0.31 * i + 1) + (i % 97 === 0 ? 0.3 : 0);
  for (const [n_fft, hop] of [[2048, 512], [512, 128], [400, 100]] as const) {
    const S = stft(y, { n_fft, hop_length: hop });
    const back = istft(S, { length: n });
    assert.equal(back.length, n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(back[i] - y[i]) < 1e-5, `n_fft=${n_fft} i=${i}`);
    const free = istft(S);
    assert.equal(free.length, hop * (S.nFrames - 1));
    for (let i = 0; i < free.length && i < n; i++) assert.ok(Math.abs(free[i] - y[i]) < 1e-5);
    // a longer length zero-pads past the last frame
    const longer = istft(S, { length: n + 5000 });
    assert.equal(longer.length, n + 5000);
    for (let i = n + 2 * n_fft; i < longer.length; i++) assert.equal(longer[i], 0);
  }
});

test('windowSumSquare equals the frame-by-frame sum of squared windows', () => {
  for (const [n_fft, hop, wl, frames] of [[2048, 512, 2048, 50], [512, 128, 400, 7], [400, 160, 400, 3], [16, 5, 16, 9], [64, 64, 64, 4], [32, 48, 32, 5], [16, 4, 16, 1]]) {
    const win = getWindow('hann', wl, n_fft);
    const got = windowSumSquare(win, hop, frames);
    const want = new Float64Array(n_fft + hop * (frames - 1));
    for (let t = 0; t < frames; t++) for (let i = 0; i < n_fft; i++) want[t * hop + i] += win[i] * win[i];
    assert.equal(got.length, want.length);
    for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) < 1e-12, `n_fft ${n_fft} hop ${hop} j ${j}: ${got[j]} vs ${want[j]}`);
  }
  assert.equal(windowSumSquare(getWindow('hann', 16), 4, 0).length, 0);
});

test('istft inverts uncentred frames and windows shorter than n_fft', () => {
  const n = 6000;
  const y = new Float32Array(n).map((_, i) => Math.sin(0.013 * i * (1 + i / 9000)));
  // center=false: the first and last n_fft − hop samples lack full window overlap but are still
  // exact where the window sum is non-zero; compare the fully covered interior.
  const S = stft(y, { n_fft: 512, hop_length: 128, center: false });
  const back = istft(S, { center: false });
  assert.equal(back.length, 512 + 128 * (S.nFrames - 1));
  for (let i = 512; i < back.length - 512; i++) assert.ok(Math.abs(back[i] - y[i]) < 1e-5, `i=${i}`);
  const W = stft(y, { n_fft: 512, hop_length: 100, win_length: 400 });
  const back2 = istft(W, { win_length: 400, length: n });
  for (let i = 0; i < n; i++) assert.ok(Math.abs(back2[i] - y[i]) < 1e-5, `win 400, i=${i}`);
  assert.throws(() => istft(S, { n_fft: 1024 }), SerError);
  assert.throws(() => istft(S, { length: -1 }), SerError);
});

test('phaseVocoder equals a direct transcription of librosa 0.11 (incl. accumulators beyond 2^20·π/2)', () => {
  // Direct transcription with Math.atan2/cos/sin, float32 angles and accumulator, zero frames appended.
  function reference(re: Float32Array, im: Float32Array, nFrames: number, nBins: number, n_fft: number, hop: number, rate: number) {
    const steps: number[] = [];
    for (let i = 0; ; i++) {
      const s = i * rate;
      if (!(s < nFrames)) break;
      steps.push(s);
    }
    const ang = (t: number, k: number) => (t < nFrames ? Math.fround(Math.atan2(im[t * nBins + k], re[t * nBins + k])) : 0);
    const mag = (t: number, k: number) => (t < nFrames ? Math.fround(Math.hypot(re[t * nBins + k], im[t * nBins + k])) : 0);
    const acc = new Float32Array(nBins).map((_, k) => ang(0, k));
    const oRe = new Float32Array(steps.length * nBins);
    const oIm = new Float32Array(steps.length * nBins);
    steps.forEach((step, t) => {
      const i0 = Math.floor(step);
      const alpha = step - Math.floor(step);
      for (let k = 0; k < nBins; k++) {
        const m = (1 - alpha) * mag(i0, k) + alpha * mag(i0 + 1, k);
        oRe[t * nBins + k] = Math.cos(acc[k]) * m;
        oIm[t * nBins + k] = Math.sin(acc[k]) * m;
        const phi = (hop * 2 * Math.PI * k) / n_fft;
        let d = Math.fround(ang(i0 + 1, k) - ang(i0, k)) - phi;
        const x = d / (2 * Math.PI);
        let r = Math.round(x);
        if (r - x === 0.5 && r % 2 !== 0) r -= 1;
        d -= 2 * Math.PI * r;
        acc[k] = acc[k] + (phi + d);
      }
    });
    return { re: oRe, im: oIm, n: steps.length };
  }
  const n_fft = 256, hop = 256, nBins = 129, nFrames = 2100; // top-bin phase reaches 256·π·2100 ≈ 1.7e6 rad
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) | 0) >>> 0) / 2 ** 32 - 0.5;
  const re = new Float32Array(nFrames * nBins).map(rnd);
  const im = new Float32Array(nFrames * nBins).map(rnd);
  for (const rate of [0.8, 1.25]) {
    const got = phaseVocoder({ nFrames, nBins, n_fft, hop_length: hop, re, im }, { rate });
    const want = reference(re, im, nFrames, nBins, n_fft, hop, rate);
    assert.equal(got.nFrames, want.n);
    let worst = 0;
    for (let i = 0; i < want.re.length; i++) worst = Math.max(worst, Math.abs(got.re[i] - want.re[i]), Math.abs(got.im[i] - want.im[i]));
    // (bit-identical when written; a float32 accumulator that drifted by one ulp would show ≥ 1e-3)
    assert.ok(worst < 1e-6, `rate ${rate}: worst difference ${worst}`);
  }
});

test('phase vocoder frame count is ceil(nFrames / rate); rate 1 keeps a sinusoid', () => {
  assert.equal(phaseVocoderFrames(10, 0.8), 13);
  assert.equal(phaseVocoderFrames(10, 1.25), 8);
  assert.equal(phaseVocoderFrames(10, 1), 10);
  const sr = 16000;
  const y = new Float32Array(sr).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr));
  const S = stft(y);
  const P = phaseVocoder(S, { rate: 1 });
  assert.equal(P.nFrames, S.nFrames);
  const back = istft(P, { length: y.length });
  for (let i = 2048; i < y.length - 2048; i++) assert.ok(Math.abs(back[i] - y[i]) < 1e-3);
});

test('time-stretched tone keeps its frequency and scales its duration', () => {
  const sr = 22050;
  const n = sr;
  const f0 = 330;
  const y = new Float32Array(n).map((_, i) => 0.5 * Math.sin((2 * Math.PI * f0 * i) / sr));
  for (const rate of [0.5, 0.8, 1.25, 2]) {
    const out = timeStretch(y, rate);
    assert.equal(out.length, pyRound(n / rate));
    // zero crossings (rising) over the steady middle half
    const a = Math.floor(out.length / 4);
    const b = Math.floor((3 * out.length) / 4);
    let first = -1;
    let last = -1;
    let count = 0;
    for (let i = a; i < b; i++) {
      if (out[i - 1] < 0 && out[i] >= 0) {
        const x = i - 1 + out[i - 1] / (out[i - 1] - out[i]);
        if (first < 0) first = x;
        else count++;
        last = x;
      }
    }
    const f = (count * sr) / (last - first);
    assert.ok(Math.abs(f / f0 - 1) < 0.005, `rate ${rate}: measured ${f} Hz`);
  }
});

test('output length uses Python rounding (ties to even)', () => {
  assert.equal(timeStretch(new Float32Array(22050), 0.8).length, 27562);
  assert.equal(timeStretch(new Float32Array(22051), 0.8).length, 27564); // 27563.75
  assert.equal(timeStretch(new Float32Array(5), 2).length, 2); // 2.5 → 2
  assert.equal(timeStretch(new Float32Array(7), 2).length, 4); // 3.5 → 4
});

test('bad rates are refused with SerError', () => {
  const y = new Float32Array(4096);
  for (const r of [0, -1, NaN, Infinity, 1e-9]) assert.throws(() => timeStretch(y, r), SerError);
  assert.equal(timeStretch(new Float32Array(0), 0.5).length, 0);
});
