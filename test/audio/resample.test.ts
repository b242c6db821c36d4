import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resample, resampledLength } from '../../src/dsp/resample.js';
import { decodeAudioSync } from '../../src/audio/index.js';
import { realFft } from '../../src/dsp/fft.js';
import { SerError } from '../../src/errors.js';
import { LIBROSA, RAVDESS, hasRavdess, rng, sine } from './helpers.js';

/** Least-squares amplitude and phase of a sinusoid of frequency f (Hz) in y[a, b). */
function fitSine(y: Float32Array, sr: number, f: number, a: number, b: number): { amp: number; phase: number; resid: number } {
  let ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
  for (let i = a; i < b; i++) {
    const w = 2 * Math.PI * f * (i / sr);
    const s = Math.sin(w), c = Math.cos(w);
    ss += s * s; sc += s * c; cc += c * c; ys += y[i] * s; yc += y[i] * c;
  }
  const det = ss * cc - sc * sc;
  const A = (ys * cc - yc * sc) / det; // coefficient of sin
  const B = (yc * ss - ys * sc) / det; // coefficient of cos
  let r = 0;
  for (let i = a; i < b; i++) {
    const w = 2 * Math.PI * f * (i / sr);
    r += (y[i] - A * Math.sin(w) - B * Math.cos(w)) ** 2;
  }
  return { amp: Math.hypot(A, B), phase: Math.atan2(B, A), resid: Math.sqrt(r / (b - a)) };
}

function rms(y: Float32Array, a: number, b: number): number {
  let s = 0;
  for (let i = a; i < b; i++) s += y[i] * y[i];
  return Math.sqrt(s / (b - a));
}

const db = (x: number) => 20 * Math.log10(x);

test('equal rates return an identical copy', () => {
  const y = sine(1000, 16000, 440);
  const z = resample(y, 16000, 16000);
  assert.notEqual(z, y);
  assert.deepEqual(Array.from(z), Array.from(y));
});

test('output length is ceil(n · target / orig), as librosa/soxr', () => {
  const cases: [number, number, number][] = [
    [185786, 48000, 22050], [196997, 48000, 22050], [176176, 48000, 16000], [1, 48000, 22050], [7, 44100, 22050],
    [1000, 22050, 48000], [12345, 16000, 44100], [999, 8000, 22050], [5, 3, 7],
  ];
  for (const [n, o, t] of cases) {
    const want = Number((BigInt(n) * BigInt(t) + BigInt(o) - 1n) / BigInt(o));
    assert.equal(resampledLength(n, o, t), want, `${n} ${o}->${t}`);
    assert.equal(resample(new Float32Array(n), o, t).length, want);
  }
  // Arbitrary ratio: librosa's int(np.ceil(n * target / orig)).
  const orig = 22050 / 2 ** (-3 / 12);
  assert.equal(resample(new Float32Array(10000), orig, 22050).length, Math.ceil(10000 * (22050 / orig)));
  assert.equal(resample(new Float32Array(0), 48000, 22050).length, 0);
});

// Passband: a tone keeps its amplitude (±0.02 dB) and its timing: output sample m sits at time
// m / target_sr, so the fitted phase equals the input phase.
const passCases: [string, number, number, number][] = [
  ['48000→22050', 48000, 22050, 1000],
  ['48000→22050 near the band edge', 48000, 22050, 0.85 * 11025],
  ['48000→16000', 48000, 16000, 3000],
  ['44100→22050', 44100, 22050, 7000],
  ['22050→48000 (upsampling)', 22050, 48000, 5000],
  ['16000→44100', 16000, 44100, 250],
  ['pitch shift: 22050/2^(-2/12)→22050 (arbitrary ratio)', 22050 / 2 ** (-2 / 12), 22050, 2000],
  ['pitch shift: 22050/2^(3/12)→22050 (arbitrary ratio)', 22050 / 2 ** (3 / 12), 22050, 4000],
];
for (const [name, o, t, f] of passCases) {
  for (const n of [3000, 60000]) {
    test(`passband tone ${f.toFixed(0)} Hz, ${name}, n=${n}: amplitude and phase preserved`, () => {
      const y = sine(n, o, f, 0.5, 0.3);
      const z = resample(y, o, t);
      const m = z.length;
      const edge = Math.ceil(0.1 * m);
      const fit = fitSine(z, t, f, edge, m - edge);
      assert.ok(Math.abs(db(fit.amp / 0.5)) < 0.02, `gain ${db(fit.amp / 0.5).toFixed(4)} dB`);
      assert.ok(Math.abs(fit.phase - 0.3) < 1e-3, `phase ${fit.phase}`);
      assert.ok(fit.resid < 0.5 * 10 ** (-90 / 20), `residual ${db(fit.resid / 0.5).toFixed(1)} dB`);
    });
  }
}

test('a tone above the new Nyquist frequency is attenuated by at least 90 dB (no aliasing)', () => {
  const cases: [number, number, number][] = [
    [48000, 16000, 10000], [48000, 16000, 8200], [48000, 22050, 11200], [48000, 22050, 20000], [44100, 22050, 15000],
    [22050 / 2 ** (-4 / 12), 22050, 11100],
  ];
  for (const [o, t, f] of cases) {
    for (const n of [4000, 50000]) {
      const z = resample(sine(n, o, f, 1), o, t);
      const edge = Math.ceil(0.1 * z.length);
      const att = -db(rms(z, edge, z.length - edge) / Math.SQRT1_2);
      assert.ok(att >= 90, `${o}->${t} tone ${f} Hz, n=${n}: only ${att.toFixed(1)} dB`);
    }
  }
});

test('upsampling leaves no image of a tone above the old Nyquist frequency (≥ 90 dB down)', () => {
  const o = 16000, t = 48000, f = 3000;
  const z = resample(sine(40000, o, f, 0.5), o, t);
  const edge = Math.ceil(0.1 * z.length);
  const fit = fitSine(z, t, f, edge, z.length - edge);
  assert.ok(-db(fit.resid / 0.5) >= 90, `image/residual level ${db(fit.resid / 0.5).toFixed(1)} dB`);
});

test('single-stage and two-stage paths give the same signal (within -90 dB)', () => {
  const r = rng(7);
  const y = new Float32Array(50000);
  for (let i = 0; i < y.length; i++) y[i] = r() * 2 - 1;
  for (const [o, t] of [[48000, 22050], [48000, 16000], [22050, 44100], [22050 / 2 ** (-1 / 12), 22050]] as const) {
    const a = resample(y, o, t, { twoStage: true });
    const b = resample(y, o, t, { twoStage: false });
    assert.equal(a.length, b.length);
    let e = 0, s = 0;
    for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; s += b[i] ** 2; }
    assert.ok(10 * Math.log10(s / e) > 90, `${o}->${t}: ${10 * Math.log10(s / e)} dB`);
  }
});

test('bad rates are SerError EPARAM', () => {
  for (const [o, t] of [[0, 22050], [48000, -1], [NaN, 16000], [48000, Infinity]]) {
    assert.throws(() => resample(new Float32Array(10), o, t), (e: unknown) => e instanceof SerError && e.code === 'EPARAM');
  }
});

/** Energy-weighted SNR of b against ref over FFT bins below `edge` × Nyquist (Hann-windowed middle segment). */
function inBandSnr(ref: Float32Array, b: Float32Array, nfft: number, edge: number): number {
  const start = Math.floor((ref.length - nfft) / 2);
  const fft = realFft(nfft);
  const spec = (x: Float32Array) => {
    const frame = new Float64Array(nfft);
    for (let i = 0; i < nfft; i++) frame[i] = x[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nfft));
    const re = new Float64Array(fft.nBins), im = new Float64Array(fft.nBins);
    fft.forward(frame, re, im);
    return { re, im };
  };
  const R = spec(ref), B = spec(b);
  let s = 0, e = 0;
  const kmax = Math.floor(edge * (nfft / 2));
  for (let k = 0; k < kmax; k++) {
    s += R.re[k] ** 2 + R.im[k] ** 2;
    e += (R.re[k] - B.re[k]) ** 2 + (R.im[k] - B.im[k]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

// The librosa fixtures' RAVDESS inputs were made with scipy.signal.resample_poly from the FLACs
// (checked: identical to resample_poly of 03-01-05-02-01-01-01 / 03-01-04-01-02-02-12). scipy's
// filter (Kaiser β=5, cut-off at Nyquist) differs from ours above ~0.9 × Nyquist, so compare below
// 0.85 × Nyquist, where both must be flat.
for (const [fx, src, sr] of [
  ['ravdess_angry_a01', 'Actor_01/03-01-05-02-01-01-01.flac', 22050],
  ['ravdess_sad_a12_16k', 'Actor_12/03-01-04-01-02-02-12.flac', 16000],
] as const) {
  test(`RAVDESS 48 kHz → ${sr} Hz matches scipy resample_poly (fixture ${fx}) to ≥ 55 dB in band`, (t) => {
    if (!hasRavdess) return t.skip('../shared/data/ravdess not present');
    const x = decodeAudioSync(readFileSync(RAVDESS + src), src);
    const ref = decodeAudioSync(readFileSync(LIBROSA + fx + '.wav'), fx).channels[0];
    const y = resample(x.channels[0], 48000, sr);
    assert.equal(y.length, ref.length);
    const snr = inBandSnr(ref, y, 32768, 0.85);
    assert.ok(snr >= 55, `in-band SNR ${snr.toFixed(1)} dB`);
  });
}

// Independent reference: SoX's `rate -h` (the SoX resampler at 20-bit quality — the engine family of
// soxr_hq, librosa's default). Runs when the sox binary is installed (CI installs it), else skips.
test('agrees with `sox rate -h` to ≥ 65 dB SNR on a speech-band synthetic signal (48k → 22050 / 16000)', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { encodeWav } = await import('../../src/audio/wav-write.js');
  if (spawnSync('sox', ['--version']).status !== 0) return t.skip('sox not installed');
  // Speech-like spectrum: 40 random partials below 7 kHz (inside the passband of both targets: 8 kHz
  // is the 16-kHz target's Nyquist, where the two designs legitimately differ), a chirp, and
  // noise at -40 dB.
  const r = rng(2024);
  const sr = 48000, n = 48000 * 2;
  const x = new Float32Array(n);
  const parts = Array.from({ length: 40 }, () => [50 + r() * 6950, r() * 0.02, r() * 6.283]);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const [f, a, p] of parts) v += a * Math.sin(2 * Math.PI * f * (i / sr) + p);
    v += 0.1 * Math.sin(2 * Math.PI * (100 * (i / sr) + 1500 * (i / sr) ** 2));
    x[i] = v + 0.01 * (r() * 2 - 1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ser-sox-'));
  try {
    writeFileSync(join(dir, 'in.wav'), encodeWav(x, sr));
    for (const target of [22050, 16000]) {
      const out = join(dir, `out${target}.wav`);
      const p = spawnSync('sox', [join(dir, 'in.wav'), '-e', 'floating-point', '-b', '32', out, 'rate', '-h', String(target)]);
      assert.equal(p.status, 0, String(p.stderr));
      const ref = decodeAudioSync(readFileSync(out), out).channels[0];
      const y = resample(x, sr, target);
      // sox may round the length down by one sample; compare away from the edges.
      let e = 0, s = 0;
      for (let i = 500; i < Math.min(ref.length, y.length) - 500; i++) {
        e += (y[i] - ref[i]) ** 2;
        s += ref[i] ** 2;
      }
      const snr = 10 * Math.log10(s / e);
      t.diagnostic(`48000→${target}: SNR vs sox rate -h ${snr.toFixed(1)} dB`);
      assert.ok(snr >= 65, `48000→${target}: SNR vs sox ${snr.toFixed(1)} dB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
