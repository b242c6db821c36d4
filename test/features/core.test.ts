/**
 * Closed-form and property checks of the feature core (independent of the librosa fixtures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerError } from '../../src/errors.js';
import { realFft } from '../../src/dsp/fft.js';
import { powerAndMagnitude, powerSpectrogram, spectrogramPower, stft } from '../../src/dsp/stft.js';
import { setWasmMatrixChunkFloats, setWasmStftChunkSamples, setWasmStftDisabled, wasmStftAvailable } from '../../src/dsp/stft-wasm.js';
import {
  applyFilterbank,
  dctMatrix,
  delta,
  fftFrequencies,
  hzToMel,
  maxOf,
  melFilterbank,
  melFilterbankSparse,
  melFrequencies,
  melToHz,
  mfcc,
  powerToDb,
  rms,
  savgolWeights,
  zeroCrossingRate,
} from '../../src/features/index.js';
import type { Matrix } from '../../src/dsp/matrix.js';

/** assert.ok with a message always (a message-less failure makes node's assert parse the transpiled source, which can hang). */
function ok(cond: unknown, message = 'assertion failed'): asserts cond {
  assert.ok(cond, message);
}

const isParamError = (e: unknown) => e instanceof SerError && e.code === 'EPARAM';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function naiveDft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const K = Math.floor(n / 2) + 1;
  const re = new Float64Array(K);
  const im = new Float64Array(K);
  for (let k = 0; k < K; k++)
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      re[k] += x[t] * Math.cos(a);
      im[k] += x[t] * Math.sin(a);
    }
  return { re, im };
}

test('realFft matches a direct DFT for power-of-two and other sizes', () => {
  const r = rng(1);
  for (const n of [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 6, 7, 100]) {
    const x = Float64Array.from({ length: n }, r);
    const f = realFft(n);
    assert.equal(f.nBins, Math.floor(n / 2) + 1);
    const re = new Float64Array(f.nBins);
    const im = new Float64Array(f.nBins);
    const p = new Float64Array(f.nBins);
    const copy = x.slice();
    f.forward(x, re, im);
    f.forwardPower(x, p);
    assert.deepEqual(x, copy, 'input must not be modified');
    const ref = naiveDft(x);
    for (let k = 0; k < f.nBins; k++) {
      ok(Math.abs(re[k] - ref.re[k]) < 1e-9 * n && Math.abs(im[k] - ref.im[k]) < 1e-9 * n, `n=${n} bin ${k}`);
      ok(Math.abs(p[k] - (ref.re[k] ** 2 + ref.im[k] ** 2)) < 1e-9 * n * n, `n=${n} power bin ${k}`);
    }
  }
});

test('realFft: a cosine at bin k puts n/2 at ±k only; offset writes in place', () => {
  const n = 512;
  const k0 = 37;
  const x = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * k0 * t) / n));
  const f = realFft(n);
  const re = new Float32Array(2 * f.nBins);
  const im = new Float32Array(2 * f.nBins);
  f.forward(x, re, im, f.nBins);
  for (let k = 0; k < f.nBins; k++) {
    ok(Math.abs(re[f.nBins + k] - (k === k0 ? n / 2 : 0)) < 1e-9 * n);
    ok(Math.abs(im[f.nBins + k]) < 1e-9 * n);
    assert.equal(re[k], 0);
  }
});

test('powerSpectrogram equals |stft|² and |stft| (power 1), incl. win_length < n_fft', () => {
  const r = rng(2);
  const y = Float32Array.from({ length: 5000 }, r);
  for (const opts of [{ n_fft: 1024, hop_length: 256 }, { n_fft: 512, hop_length: 100, win_length: 300 }, { n_fft: 256, center: false }]) {
    const S = stft(y, opts);
    const p2 = spectrogramPower(S, 2);
    const q2 = powerSpectrogram(y, opts);
    const q1 = powerSpectrogram(y, { ...opts, power: 1 });
    assert.equal(q2.rows, S.nFrames);
    assert.equal(q2.cols, S.nBins);
    const mx = maxOf(p2);
    for (let i = 0; i < q2.data.length; i++) {
      ok(Math.abs(q2.data[i] - p2.data[i]) <= 1e-5 * mx);
      ok(Math.abs(q1.data[i] - Math.sqrt(q2.data[i])) <= 1e-6 * Math.sqrt(mx));
    }
  }
});

test('Slaney mel scale: linear below 1 kHz, log above; inverse; HTK formula', () => {
  assert.equal(hzToMel(0), 0);
  ok(Math.abs(hzToMel(200 / 3) - 1) < 1e-12);
  ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
  ok(Math.abs(hzToMel(6400) - 42) < 1e-9); // 15 + 27 · log(6.4)/log(6.4)
  for (const f of [0, 10, 440, 999.9, 1000, 4000, 11025]) {
    ok(Math.abs(melToHz(hzToMel(f)) - f) < 1e-9 * Math.max(1, f));
    ok(Math.abs(melToHz(hzToMel(f, true), true) - f) < 1e-9 * Math.max(1, f));
  }
  ok(Math.abs(hzToMel(700, true) - 2595 * Math.log10(2)) < 1e-9);
  const mf = melFrequencies(10, 0, 8000);
  assert.equal(mf[0], 0);
  ok(Math.abs(mf[9] - 8000) < 1e-9);
  const ff = fftFrequencies(16000, 512);
  assert.equal(ff.length, 257);
  assert.equal(ff[256], 8000);
});

test('mel filterbank: triangles with unit area (Slaney norm), ≤ 2 bands per bin, sparse = dense', () => {
  const sr = 22050;
  const n_fft = 2048;
  const fb = melFilterbank({ sr, n_fft, n_mels: 40 });
  assert.equal(fb.rows, 40);
  assert.equal(fb.cols, 1025);
  const df = sr / n_fft;
  for (let b = 5; b < 40; b++) {
    let area = 0;
    for (let k = 0; k < fb.cols; k++) area += fb.data[b * fb.cols + k] * df;
    ok(Math.abs(area - 1) < 0.02, `band ${b} area ${area}`);
  }
  for (let k = 0; k < fb.cols; k++) {
    let nz = 0;
    for (let b = 0; b < fb.rows; b++) if (fb.data[b * fb.cols + k] > 0) nz++;
    ok(nz <= 2, `bin ${k} in ${nz} bands`);
  }
  // norm=null: peak height ≤ 1; norm=Infinity: every non-empty band peaks at exactly 1.
  const raw = melFilterbank({ sr, n_fft, n_mels: 40, norm: null });
  ok(maxOf(raw) <= 1);
  const inf = melFilterbank({ sr, n_fft, n_mels: 40, norm: Infinity });
  for (let b = 0; b < 40; b++) ok(Math.abs(maxOf({ rows: 1, cols: 1025, data: inf.data.subarray(b * 1025, (b + 1) * 1025) }) - 1) < 1e-6);
  // sparse application equals the dense product
  const r = rng(3);
  const S: Matrix = { rows: 3, cols: 1025, data: Float32Array.from({ length: 3 * 1025 }, () => Math.abs(r())) };
  const sp = applyFilterbank(S, melFilterbankSparse({ sr, n_fft, n_mels: 40 }));
  for (let t = 0; t < 3; t++)
    for (let b = 0; b < 40; b++) {
      let acc = 0;
      for (let k = 0; k < 1025; k++) acc += fb.data[b * 1025 + k] * S.data[t * 1025 + k];
      ok(Math.abs(sp.data[t * 40 + b] - acc) <= 1e-5 * Math.max(1e-6, acc));
    }
  assert.throws(() => melFilterbank({ sr, n_fft, fmin: 5000, fmax: 4000 }), isParamError);
  assert.throws(() => applyFilterbank({ rows: 1, cols: 513, data: new Float32Array(513) }, melFilterbankSparse({ sr, n_fft })), isParamError);
});

test('powerToDb: 10·log10, amin floor, ref, top_db relative to the max of the whole input', () => {
  const S: Matrix = { rows: 2, cols: 3, data: Float32Array.from([1, 10, 100, 1e-12, 1e-6, 0]) };
  const d = powerToDb(S, { top_db: null });
  assert.deepEqual(Array.from(d.data).map((v) => Math.round(v * 1e4) / 1e4), [0, 10, 20, -100, -60, -100]);
  const c = powerToDb(S); // top_db 80 below the global max (20 dB) → floor −60, even in the quiet frame
  assert.deepEqual(Array.from(c.data).map((v) => Math.round(v * 1e4) / 1e4), [0, 10, 20, -60, -60, -60]);
  const r = powerToDb(S, { ref: maxOf, top_db: 30 });
  ok(Math.abs(maxOf(r)) < 1e-6);
  ok(Math.abs(Math.min(...r.data) + 30) < 1e-5);
  const r10 = powerToDb(S, { ref: 10, top_db: null });
  ok(Math.abs(r10.data[2] - 10) < 1e-5);
  assert.throws(() => powerToDb(S, { amin: 0 }), isParamError);
  assert.throws(() => powerToDb(S, { top_db: -1 }), isParamError);
});

test('mfcc: DCT-II ortho is orthonormal; a flat log-mel gives only c0 = v·√n', () => {
  const n = 32;
  const D = dctMatrix(n, n, 'ortho');
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += D[a * n + j] * D[b * n + j];
      ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
    }
  const S: Matrix = { rows: 2, cols: n, data: new Float32Array(2 * n).fill(-7) };
  const m = mfcc({ S, n_mfcc: 13 });
  assert.equal(m.rows, 2);
  assert.equal(m.cols, 13);
  ok(Math.abs(m.data[0] + 7 * Math.sqrt(n)) < 1e-4);
  for (let k = 1; k < 13; k++) ok(Math.abs(m.data[k]) < 1e-4);
  assert.throws(() => mfcc({ S, n_mfcc: 33 }), isParamError);
});

function fill(n: number, F: number, f: (t: number, j: number) => number): Matrix {
  const data = new Float32Array(n * F);
  for (let t = 0; t < n; t++) for (let j = 0; j < F; j++) data[t * F + j] = f(t, j);
  return { rows: n, cols: F, data };
}

test('delta: exact on polynomials, at every frame including the interp edges', () => {
  for (const width of [3, 5, 9, 11]) {
    const n = 20;
    const lin = delta(fill(n, 2, (t, j) => (j + 1) * 0.5 * t - 3), { width });
    for (let t = 0; t < n; t++) for (let j = 0; j < 2; j++) ok(Math.abs(lin.data[t * 2 + j] - (j + 1) * 0.5) < 1e-5, `w${width} t${t}`);
    const quad = fill(n, 1, (t) => 0.25 * t * t - t + 2);
    const d2 = delta(quad, { width, order: 2 });
    for (let t = 0; t < n; t++) ok(Math.abs(d2.data[t] - 0.5) < 1e-4, `d2 w${width} t${t}`);
    // first derivative of a quadratic: exact in the interior (symmetric window), 2a·t + b
    const d1 = delta(quad, { width });
    const h = (width - 1) / 2;
    for (let t = h; t < n - h; t++) ok(Math.abs(d1.data[t] - (0.5 * t - 1)) < 1e-4);
  }
  // cubic, order 3, polyorder 3: d³/dt³ (t³/6) = 1 everywhere
  const cub = delta(fill(12, 1, (t) => (t * t * t) / 6), { width: 7, order: 3 });
  for (let t = 0; t < 12; t++) ok(Math.abs(cub.data[t] - 1) < 1e-3);
});

test('savgolWeights: order-1 centre weights are m/Σm² (the classic delta formula)', () => {
  const w = savgolWeights(9, 1, 1, 0);
  const denom = 2 * (1 + 4 + 9 + 16);
  for (let m = -4; m <= 4; m++) ok(Math.abs(w[m + 4] - m / denom) < 1e-12);
});

test('delta: width == n_frames works; width > n_frames (interp) throws EPARAM, never NaN', () => {
  const x = fill(9, 3, (t, j) => Math.sin(t + j));
  const d = delta(x, { width: 9 });
  ok(d.data.every(Number.isFinite));
  assert.throws(() => delta(fill(8, 3, () => 1), { width: 9 }), (e: unknown) => isParamError(e) && /width=9.*8/.test((e as Error).message));
  assert.throws(() => delta(fill(0, 3, () => 1)), isParamError);
  assert.throws(() => delta(x, { width: 4 }), isParamError);
  assert.throws(() => delta(x, { width: 1 }), isParamError);
  assert.throws(() => delta(x, { order: 0 }), isParamError);
  assert.throws(() => delta(x, { width: 3, order: 3 }), isParamError);
  // other modes allow short inputs and agree with interp in the interior
  const long = fill(30, 2, (t, j) => Math.cos(0.3 * t + j));
  const a = delta(long, { mode: 'interp' });
  for (const mode of ['nearest', 'mirror', 'constant', 'wrap'] as const) {
    const b = delta(long, { mode });
    for (let t = 4; t < 26; t++) for (let j = 0; j < 2; j++) ok(Math.abs(a.data[t * 2 + j] - b.data[t * 2 + j]) < 1e-6);
    ok(delta(fill(3, 1, (t) => t), { mode }).data.every(Number.isFinite));
  }
  // 'nearest' on a ramp: at frame 0 the window sees [0,0,0,0,0,1,2,3,4] → Σ m·x / 60
  const near = delta(fill(10, 1, (t) => t), { mode: 'nearest' });
  ok(Math.abs(near.data[0] - (1 + 2 * 2 + 3 * 3 + 4 * 4) / 60) < 1e-6);
});

test('rms: constant and sinusoid from y; centre padding is zeros', () => {
  const c = new Float32Array(4096).fill(0.5);
  const r = rms({ y: c, frame_length: 1024, hop_length: 256, center: false });
  assert.equal(r.rows, 1 + (4096 - 1024) / 256);
  for (const v of r.data) ok(Math.abs(v - 0.5) < 1e-6);
  const rc = rms({ y: c, frame_length: 1024, hop_length: 256 });
  assert.equal(rc.rows, 1 + Math.floor(4096 / 256));
  ok(Math.abs(rc.data[0] - 0.5 * Math.SQRT1_2) < 1e-6, `frame 0 rms ${rc.data[0]}`); // frame 0: y[−512..511], 512 of 1024 samples are signal
  const A = 0.8;
  const sine = Float32Array.from({ length: 8192 }, (_, t) => A * Math.sin((2 * Math.PI * 16 * t) / 1024));
  const rs = rms({ y: sine, frame_length: 1024, hop_length: 512, center: false });
  for (const v of rs.data) ok(Math.abs(v - A / Math.SQRT2) < 1e-5);
  const edge = rms({ y: c, frame_length: 1024, hop_length: 256, pad_mode: 'edge' });
  for (const v of edge.data) ok(Math.abs(v - 0.5) < 1e-6);
  assert.throws(() => rms({}), isParamError);
  assert.throws(() => rms({ S: { rows: 2, cols: 100, data: new Float32Array(200) }, frame_length: 2048 }), isParamError);
});

test('zeroCrossingRate: alternating signs, constants, threshold, edge padding', () => {
  const L = 256;
  const alt = Float32Array.from({ length: 4096 }, (_, t) => (t % 2 ? -1 : 1));
  const z = zeroCrossingRate(alt, { frame_length: L, hop_length: 64 });
  assert.equal(z.rows, 1 + Math.floor(4096 / 64));
  for (let t = 4; t < z.rows - 4; t++) ok(Math.abs(z.data[t] - (L - 1) / L) < 1e-7);
  // edge padding repeats y[0] = +1: frame 0 = 128 copies of +1 then y[0..127] → 127 crossings
  ok(Math.abs(z.data[0] - 127 / L) < 1e-7, `frame 0 zcr ${z.data[0] * L}/L`);
  ok(zeroCrossingRate(new Float32Array(1000).fill(-0.3)).data.every((v) => v === 0));
  const tiny = Float32Array.from({ length: 3000 }, (_, t) => (t % 2 ? -1e-11 : 1e-11));
  ok(zeroCrossingRate(tiny).data.every((v) => v === 0));
  ok(zeroCrossingRate(tiny, { threshold: 0 }).data.some((v) => v > 0.4));
  assert.throws(() => zeroCrossingRate(new Float32Array(0)), isParamError);
});

test('WebAssembly STFT kernel: available under Node 20 and identical to the JS FFT path', () => {
  ok(wasmStftAvailable(), 'WebAssembly SIMD kernel should load under Node ≥ 20');
  const r = rng(9);
  try {
    for (const [n, n_fft, hop_length, win_length] of [
      [66150, 2048, 512, 2048],
      [5000, 512, 100, 300],
      [3000, 1024, 256, 1024],
      [100, 16, 5, 16],
      [1000, 32, 7, 20],
      [10, 64, 16, 64],
    ]) {
      const y = Float32Array.from({ length: n }, r);
      setWasmStftDisabled(false);
      const a = powerSpectrogram(y, { n_fft, hop_length, win_length });
      // long signals are processed in chunks of frames: same result with tiny chunks
      setWasmStftChunkSamples(3 * hop_length + 1);
      const c = powerSpectrogram(y, { n_fft, hop_length, win_length });
      setWasmStftChunkSamples(1 << 20);
      assert.deepEqual(c.data, a.data, `chunked n_fft ${n_fft}`);
      setWasmStftDisabled(true);
      const b = powerSpectrogram(y, { n_fft, hop_length, win_length });
      assert.equal(a.rows, b.rows);
      const mx = maxOf(b);
      for (let i = 0; i < a.data.length; i++) ok(Math.abs(a.data[i] - b.data[i]) <= 1e-6 * mx, `n_fft ${n_fft} element ${i}: ${a.data[i]} vs ${b.data[i]}`);
    }
  } finally {
    setWasmStftDisabled(false);
  }
});

test('WebAssembly mel filterbank and DCT products equal the JS ones', () => {
  const r = rng(11);
  const S: Matrix = { rows: 37, cols: 1025, data: Float32Array.from({ length: 37 * 1025 }, () => Math.abs(r()) * 100) };
  const fb = melFilterbankSparse({ sr: 22050, n_fft: 2048, n_mels: 128 });
  const L: Matrix = { rows: 37, cols: 128, data: Float32Array.from({ length: 37 * 128 }, () => 80 * r()) };
  try {
    setWasmStftDisabled(false);
    const melW = applyFilterbank(S, fb);
    const mW = mfcc({ S: L, n_mfcc: 41, lifter: 22 });
    // processed in chunks of rows: identical
    setWasmMatrixChunkFloats(3000);
    assert.deepEqual(applyFilterbank(S, fb).data, melW.data);
    assert.deepEqual(mfcc({ S: L, n_mfcc: 41, lifter: 22 }).data, mW.data);
    setWasmMatrixChunkFloats(1 << 20);
    setWasmStftDisabled(true);
    const melJ = applyFilterbank(S, fb);
    const mJ = mfcc({ S: L, n_mfcc: 41, lifter: 22 });
    const mx = maxOf(melJ);
    for (let i = 0; i < melW.data.length; i++) ok(Math.abs(melW.data[i] - melJ.data[i]) <= 1e-6 * mx, `mel ${i}`);
    for (let i = 0; i < mW.data.length; i++) ok(Math.abs(mW.data[i] - mJ.data[i]) <= 1e-4, `mfcc ${i}: ${mW.data[i]} vs ${mJ.data[i]}`);
  } finally {
    setWasmStftDisabled(false);
    setWasmMatrixChunkFloats(1 << 20);
  }
});

test('powerToDb equals the direct formula on a wide dynamic range (values around the top_db threshold included)', () => {
  const r = rng(21);
  const n = 20000;
  const data = Float32Array.from({ length: n }, () => Math.pow(10, 18 * (r() + 0.5) - 15));
  data[0] = 1000; // max → 30 dB, threshold −50 dB = 1e-5
  for (let i = 1; i < 200; i++) data[i] = 1e-5 * (1 + (i - 100) * 1e-6);
  data[300] = 0;
  for (const top_db of [80, 40, null]) {
    for (const ref of [1, 3.5]) {
      const got = powerToDb({ rows: 100, cols: 200, data }, { top_db, ref });
      const refDb = 10 * Math.log10(ref);
      const raw = Array.from(data, (v) => 10 * Math.log10(Math.max(1e-10, v)) - refDb);
      const mx = Math.max(...raw);
      for (let i = 0; i < n; i++) {
        const want = top_db === null ? raw[i] : Math.max(raw[i], mx - top_db);
        ok(Math.abs(got.data[i] - want) < 1e-4, `top_db ${top_db} ref ${ref} i ${i}: ${got.data[i]} vs ${want}`);
      }
    }
  }
  const nan = powerToDb({ rows: 1, cols: 3, data: Float32Array.from([1, NaN, 0.5]) });
  ok(Number.isNaN(nan.data[1]) && Math.abs(nan.data[0]) < 1e-6, 'NaN stays NaN, others unchanged');
});

test('powerToDb: the top_db clip done in the kernel (one pass) equals the clip over the chunked output, NaN and values at the floor included, also in place', () => {
  const r = rng(23);
  const n = 6000;
  const data = Float32Array.from({ length: n }, () => Math.pow(10, 16 * (r() + 0.5) - 14));
  data[0] = 100; // max 20 dB: floor at −60 dB = 1e-6
  for (let i = 1; i < 100; i++) data[i] = 1e-6 * (1 + (i - 50) * 1e-7);
  data[200] = NaN;
  data[201] = 0;
  for (const top_db of [80, 30, 0]) {
    const one = powerToDb({ rows: 60, cols: 100, data }, { top_db });
    const inPlace = { rows: 60, cols: 100, data: data.slice() };
    powerToDb(inPlace, { top_db }, inPlace);
    setWasmMatrixChunkFloats(1000); // several kernel calls: the clip then runs over the output
    let chunked;
    try {
      chunked = powerToDb({ rows: 60, cols: 100, data }, { top_db });
    } finally {
      setWasmMatrixChunkFloats(1 << 20);
    }
    assert.deepEqual(Array.from(one.data), Array.from(chunked.data), `top_db ${top_db}`);
    assert.deepEqual(Array.from(inPlace.data), Array.from(one.data), `in place, top_db ${top_db}`);
    ok(Number.isNaN(one.data[200]), 'NaN stays NaN');
    const floor = Math.fround(Math.max(...Array.from(one.data).filter((v) => !Number.isNaN(v))));
    for (let i = 0; i < n; i++) if (i !== 200) ok(one.data[i] >= Math.fround(floor - top_db), `value ${i} below the floor`);
  }
});

test('powerAndMagnitude: magnitude is exactly fround(sqrt(power)), wasm and JS paths, power equals powerSpectrogram', () => {
  const r = rng(31);
  const y = Float32Array.from({ length: 20000 }, r);
  try {
    for (const off of [false, true]) {
      setWasmStftDisabled(off);
      const { power, magnitude } = powerAndMagnitude(y, { n_fft: 1024, hop_length: 256 });
      assert.deepEqual(power.data, powerSpectrogram(y, { n_fft: 1024, hop_length: 256 }).data);
      for (let i = 0; i < power.data.length; i++) ok(magnitude.data[i] === Math.fround(Math.sqrt(power.data[i])), `wasm off=${off} element ${i}`);
    }
  } finally {
    setWasmStftDisabled(false);
  }
});

test('delta matches scipy.signal.savgol_filter in every mode (width 5, orders 1 and 2)', async () => {
  const { readFileSync } = await import('node:fs');
  const ref = JSON.parse(readFileSync(new URL('./savgol-scipy.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const x = ref.x as number[][];
  const M: Matrix = { rows: x.length, cols: x[0].length, data: Float32Array.from(x.flat()) };
  for (const mode of ['interp', 'nearest', 'mirror', 'constant', 'wrap'] as const)
    for (const order of [1, 2]) {
      const got = delta(M, { width: 5, order, mode });
      const want = (ref[`${mode}_${order}`] as number[][]).flat();
      for (let i = 0; i < want.length; i++) ok(Math.abs(got.data[i] - want[i]) < 1e-5, `${mode} order ${order} element ${i}: ${got.data[i]} vs ${want[i]}`);
    }
});
