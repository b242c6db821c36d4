/**
 * The WebAssembly feature kernels against independent computations: the resident power
 * spectrogram (values, frame maxima, finiteness flag, fallback for clips that do not fit),
 * power → dB against the float64 formula, spectral contrast selected on the power against a
 * sort-based reference on the magnitude, and the whole feature matrix against the JS paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerError } from '../../src/errors.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { powerSpectrogram, transientPowerSpectrogram } from '../../src/dsp/stft.js';
import { setWasmStftDisabled, setWasmStftTwoFrames, wasmContrastSums, wasmStftAvailable } from '../../src/dsp/stft-wasm.js';
import { piptrack } from '../../src/features/tuning.js';
import { contrastBackend, delta, estimateTuning, extractAllFeatures, extractFeatures, loadFeatureWasm, mfcc, powerToDb, spectralContrast, spectralContrastFromPower } from '../../src/features/index.js';

function ok(cond: unknown, message = 'assertion failed'): asserts cond {
  assert.ok(cond, message);
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function withWasm<T>(on: boolean, f: () => T): T {
  setWasmStftDisabled(!on);
  try {
    return f();
  } finally {
    setWasmStftDisabled(false);
  }
}

const opts = { n_fft: 2048, hop_length: 512 } as const;

test('resident power spectrogram: same values as powerSpectrogram, exact frame maxima, finiteness flag', () => {
  ok(wasmStftAvailable(), 'WebAssembly SIMD should load under Node ≥ 20');
  const r = rng(5);
  const y = Float32Array.from({ length: 30000 }, r);
  const want = powerSpectrogram(y, opts);
  const got = transientPowerSpectrogram(y, opts);
  ok(got.rowMax !== null && got.finite === true, 'the kernel path is taken and reports finite samples');
  assert.deepEqual(Array.from(got.power.data), Array.from(want.data));
  for (let t = 0; t < want.rows; t++) {
    let m = -Infinity;
    for (let k = 0; k < want.cols; k++) m = Math.max(m, want.data[t * want.cols + k]);
    assert.equal(got.rowMax![t], m, `frame ${t} maximum`);
  }
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 12345, y.length - 1]) {
      const z = y.slice();
      z[at] = bad;
      assert.equal(transientPowerSpectrogram(z, opts).finite, false, `${bad} at ${at}`);
    }
  }
  // a clip longer than the resident region: an ordinary array, nothing claimed about finiteness
  const long = Float32Array.from({ length: 22050 * 20 }, r);
  const lr = transientPowerSpectrogram(long, opts);
  assert.equal(lr.rowMax, null);
  assert.equal(lr.finite, null);
  assert.deepEqual(Array.from(lr.power.data.subarray(0, 5000)), Array.from(powerSpectrogram(long, opts).data.subarray(0, 5000)));
});

test('power → dB kernel: within one float32 rounding of the float64 formula, amin/NaN/∞/0 handled as librosa', () => {
  const r = rng(7);
  const n = 5003; // not a multiple of the vector width
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.pow(10, 70 * (r() + 0.5) - 40); // 1e-40 (float32 subnormal) … 1e30
  x[1] = 0;
  x[2] = NaN;
  x[3] = Infinity;
  x[4] = 1;
  x[5] = 1e-10;
  x[6] = Math.fround(1e-10);
  x[7] = 3.4e38;
  x[n - 1] = NaN;
  for (const ref of [1, 0.37]) {
    const refDb = 10 * Math.log10(ref);
    const got = powerToDb({ rows: 1, cols: n, data: x }, { ref, top_db: null });
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const want = Number.isNaN(v) ? NaN : 10 * Math.log10(Math.max(1e-10, v)) - refDb;
      if (Number.isNaN(want)) ok(Number.isNaN(got.data[i]), `${i}: NaN stays NaN`);
      else if (!Number.isFinite(want)) assert.equal(got.data[i], want, `${i}: ${v}`);
      else {
        const w32 = Math.fround(want);
        const ulp = Math.max(Math.abs(Math.fround(w32 * (1 + 2 ** -23)) - w32), 1e-30);
        ok(Math.abs(got.data[i] - want) <= ulp, `${i}: ${v} → ${got.data[i]} vs ${want}`);
      }
    }
    // same as the JS path (both round the float64 value; they may differ by the last bit only);
    // with +∞ in the input the top_db floor is +∞ and every value is clipped to it, as in librosa
    const js = withWasm(false, () => powerToDb({ rows: 1, cols: n, data: x }, { ref, top_db: 80 }));
    const ws = powerToDb({ rows: 1, cols: n, data: x }, { ref, top_db: 80 });
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(js.data[i])) ok(Number.isNaN(ws.data[i]), `${i}: NaN`);
      else if (js.data[i] === ws.data[i]) continue;
      else ok(Math.abs(js.data[i] - ws.data[i]) <= 1e-5 * Math.max(1, Math.abs(js.data[i])), `${i}: ${js.data[i]} vs ${ws.data[i]}`);
    }
  }
});

/** Sum of the q smallest / largest by sorting (independent of the kernels' selection). */
function sortedContrast(mag: Matrix, bands: { lo: number; len: number; q: number }[]): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < mag.rows; t++)
    for (const b of bands) {
      const v = Array.from(mag.data.subarray(t * mag.cols + b.lo, t * mag.cols + b.lo + b.len)).sort((a, c) => a - c);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < b.q; i++) lo += v[i];
      for (let i = 0; i < b.q; i++) hi += v[v.length - 1 - i];
      out.push([lo, hi]);
    }
  return out;
}

test('spectral contrast from the power equals contrast on the magnitude, bit for bit, on both paths (ties, zeros, monotone and noisy rows)', () => {
  const r = rng(11);
  const nb = 1025;
  const rows: Float32Array[] = [];
  rows.push(Float32Array.from({ length: nb }, () => (r() + 0.5) ** 4)); // noise
  rows.push(Float32Array.from({ length: nb }, (_, k) => 1 / (1 + k))); // monotone falling
  rows.push(Float32Array.from({ length: nb }, (_, k) => k)); // monotone rising (zero at DC)
  rows.push(new Float32Array(nb).fill(0.25)); // all ties
  rows.push(Float32Array.from({ length: nb }, (_, k) => (k % 7 === 0 ? 0 : k % 3))); // many ties and zeros
  rows.push(new Float32Array(nb)); // silence
  rows.push(Float32Array.from({ length: nb }, () => Math.round(4 * (r() + 0.5)))); // few distinct values
  const P: Matrix = { rows: rows.length, cols: nb, data: new Float32Array(rows.length * nb) };
  rows.forEach((row, t) => P.data.set(row, t * nb));
  const M: Matrix = { ...P, data: P.data.map((v) => Math.fround(Math.sqrt(v))) };
  for (const quantile of [0.02, 0.05, 0.2]) {
    for (const [fmin, n_bands] of [
      [200, 6],
      [100, 5],
    ]) {
      const o = { sr: 22050, n_fft: 2048, fmin, n_bands, quantile, linear: true };
      const results: Matrix[] = [];
      for (const on of [true, false]) {
        contrastBackend(on);
        try {
          results.push(spectralContrast({ ...o, S: M }), spectralContrastFromPower({ ...o, S: P }));
        } finally {
          contrastBackend(true);
        }
      }
      for (const m of results.slice(1)) assert.deepEqual(Array.from(m.data), Array.from(results[0].data), `quantile ${quantile} fmin ${fmin}`);
    }
  }
  // the kernel's selections against sorting, through the linear contrast (peak − valley means)
  const bands = [
    { lo: 297, len: 728, q: 15 },
    { lo: 148, len: 149, q: 3 },
    { lo: 0, len: 1025, q: 16 },
    { lo: 5, len: 1000, q: 40 },
  ];
  const want = sortedContrast(M, bands);
  const sums = wasmContrastSums(P.data, P.rows, nb, bands, true);
  ok(sums !== null, 'kernel available');
  for (let i = 0; i < want.length; i++) {
    assert.equal(sums[2 * i], want[i][0], `low sum ${i} (frame ${Math.floor(i / bands.length)}, band ${i % bands.length})`);
    assert.equal(sums[2 * i + 1], want[i][1], `high sum ${i}`);
  }
  // through the public function too, with q = 16 in the top band
  const p16 = spectralContrastFromPower({ S: P, sr: 22050, n_fft: 2048, quantile: 16 / 433, linear: true });
  const m16 = spectralContrast({ S: M, sr: 22050, n_fft: 2048, quantile: 16 / 433, linear: true });
  assert.deepEqual(Array.from(p16.data), Array.from(m16.data));
  const nan = P.data.slice();
  nan[3 * nb + 900] = NaN;
  for (const on of [true, false]) {
    contrastBackend(on);
    try {
      assert.throws(() => spectralContrastFromPower({ S: { ...P, data: nan }, sr: 22050 }), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && /frame 3/.test(e.message));
    } finally {
      contrastBackend(true);
    }
  }
});

test('spectral contrast in dB: the kernel\'s finish (÷q, power_to_db with separate top_db floors for peaks and valleys) equals the JS finish to a float32 rounding; NaN and ∞ reported', () => {
  const r = rng(31);
  const nb = 1025;
  const T = 12;
  const P: Matrix = { rows: T, cols: nb, data: new Float32Array(T * nb) };
  for (let t = 0; t < T; t++)
    for (let k = 0; k < nb; k++) {
      // loud, quiet (valleys and peaks below their clip floors), silent (amin) and tied frames
      const u = r() + 0.5;
      P.data[t * nb + k] = t === 4 ? 0 : t === 7 ? 0.5 : t % 3 === 0 ? 1e-9 * u : (u ** 3 * 100) / (1 + k);
    }
  for (const o of [{}, { fmin: 100, n_bands: 5, quantile: 0.05 }, { linear: true }]) {
    const w = spectralContrastFromPower({ S: P, sr: 22050, n_fft: 2048, ...o });
    contrastBackend(false);
    let j: Matrix;
    try {
      j = spectralContrastFromPower({ S: P, sr: 22050, n_fft: 2048, ...o });
    } finally {
      contrastBackend(true);
    }
    assert.equal(w.cols, j.cols);
    for (let i = 0; i < w.data.length; i++) {
      ok(Math.abs(w.data[i] - j.data[i]) <= Math.abs(j.data[i]) * 2 ** -23 + 1e-12, `${JSON.stringify(o)} value ${i}: ${w.data[i]} vs ${j.data[i]}`);
    }
  }
  for (const bad of [NaN, Infinity]) {
    const d = P.data.slice();
    d[5 * nb + 700] = bad;
    for (const on of [true, false]) {
      contrastBackend(on);
      try {
        assert.throws(
          () => spectralContrastFromPower({ S: { ...P, data: d }, sr: 22050 }),
          (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && (bad === Infinity || /frame 5/.test(e.message)),
          `${bad}, kernel ${on}`,
        );
      } finally {
        contrastBackend(true);
      }
    }
  }
});

test('spectral contrast selections equal a sort on long noisy bands (the SIMD pre-filter never drops a selected bin)', () => {
  const r = rng(13);
  const nb = 1025;
  const T = 40;
  const P: Matrix = { rows: T, cols: nb, data: new Float32Array(T * nb) };
  // spectra with a tilt, harmonics and noise, some frames with outliers at the band ends
  for (let t = 0; t < T; t++)
    for (let k = 0; k < nb; k++) {
      let v = (r() + 0.5) ** 2 / (1 + k / 50) + (k % 37 === 0 ? 5 : 0);
      if (t % 5 === 0 && (k === 593 || k === 1024)) v = t % 10 === 0 ? 100 : 0;
      P.data[t * nb + k] = v;
    }
  const M: Matrix = { ...P, data: P.data.map((v) => Math.fround(Math.sqrt(v))) };
  for (const quantile of [0.01, 0.02, 0.03, 0.037]) {
    const o = { sr: 22050, n_fft: 2048, quantile, linear: true };
    const got = spectralContrastFromPower({ ...o, S: P });
    const js = (() => {
      contrastBackend(false);
      try {
        return spectralContrast({ ...o, S: M });
      } finally {
        contrastBackend(true);
      }
    })();
    assert.deepEqual(Array.from(got.data), Array.from(js.data), `quantile ${quantile}`);
  }
  for (const q of [2, 3, 9, 12, 16]) {
    const bands = [
      { lo: 593, len: 432, q },
      { lo: 147, len: 149, q },
      { lo: 73, len: 75, q },
      { lo: 0, len: 64, q },
      { lo: 200, len: 17, q }, // short: q ≤ 3 takes the per-lane networks, larger q the insertion buffers
      { lo: 300, len: 23, q },
    ];
    const want = sortedContrast(M, bands);
    const sums = wasmContrastSums(P.data, P.rows, nb, bands, true)!;
    for (let i = 0; i < want.length; i++) {
      assert.equal(sums[2 * i], want[i][0], `q ${q} low sum ${i}`);
      assert.equal(sums[2 * i + 1], want[i][1], `q ${q} high sum ${i}`);
    }
  }
});

test('spectral contrast selections equal a sort for random bands and q on rows with many ties (SIMD sort of the group extremes, candidates selected by sorting networks in blocks of 16, merged)', () => {
  const r = rng(29);
  const nb = 1025;
  const T = 24;
  const P: Matrix = { rows: T, cols: nb, data: new Float32Array(T * nb) };
  for (let t = 0; t < T; t++)
    for (let k = 0; k < nb; k++) {
      const u = r() + 0.5;
      // quantised (ties, many equal to a threshold), sparse zeros, or smooth noise, by frame
      P.data[t * nb + k] = t % 3 === 0 ? Math.floor(u * 6) : t % 3 === 1 ? (u < 0.3 ? 0 : u * u) : u ** 4 / (1 + k / 100);
    }
  const M: Matrix = { ...P, data: P.data.map((v) => Math.fround(Math.sqrt(v))) };
  for (let trial = 0; trial < 40; trial++) {
    const lo = Math.floor((r() + 0.5) * 500);
    const len = 64 + Math.floor((r() + 0.5) * (nb - lo - 64));
    const q = 2 + Math.floor((r() + 0.5) * 15);
    const bands = [{ lo, len, q }];
    const want = sortedContrast(M, bands);
    const sums = wasmContrastSums(P.data, P.rows, nb, bands, true)!;
    for (let i = 0; i < want.length; i++) {
      assert.equal(sums[2 * i], want[i][0], `band ${lo}+${len} q ${q}: low sum of frame ${i}`);
      assert.equal(sums[2 * i + 1], want[i][1], `band ${lo}+${len} q ${q}: high sum of frame ${i}`);
    }
  }
});

test('piptrack on a resident spectrogram (peaks listed by the kernel) equals piptrack on a copy (every bin scanned in JS), also with silence, DC, ties between neighbours and threshold 0', () => {
  const r = rng(31);
  const sr = 22050;
  const n = 2 * sr;
  const y = new Float32Array(n);
  let ph = 0;
  for (let i = 0; i < n; i++) {
    ph += (2 * Math.PI * (180 + 60 * Math.sin(i / 4000))) / sr;
    let v = 0;
    for (let h = 1; h <= 10; h++) v += Math.sin(h * ph) / h;
    // a silent stretch, a constant (DC) stretch, and harmonics with a little noise elsewhere
    y[i] = i > 0.8 * sr && i < sr ? 0 : i >= sr && i < 1.2 * sr ? 0.25 : 0.3 * v + 0.01 * r();
  }
  const res = transientPowerSpectrogram(y, { n_fft: 2048, hop_length: 512 });
  ok(res.rowMax !== null, 'resident spectrogram');
  // the second half of the frames overwritten in place with few distinct levels: ties between
  // neighbours, plateaus and zeros around the threshold
  const { rows, cols, data } = res.power;
  for (let t = rows >> 1; t < rows; t++) for (let k = 0; k < cols; k++) data[t * cols + k] = Math.floor((r() + 0.5) * 4) * (t % 2 === 0 ? 1 : 0.05);
  const copy: Matrix = { ...res.power, data: res.power.data.slice() };
  for (const threshold of [0.1, 0.01, 0]) {
    const o = { sr, n_fft: 2048, threshold, fmin: 50, fmax: 11025 };
    const a = piptrack({ ...o, S: res.power });
    const b = piptrack({ ...o, S: copy });
    assert.deepEqual(Array.from(a.pitches.data), Array.from(b.pitches.data), `pitches, threshold ${threshold}`);
    assert.deepEqual(Array.from(a.magnitudes.data), Array.from(b.magnitudes.data), `magnitudes, threshold ${threshold}`);
  }
});

test('extractFeatures: the kernel path equals the JS path (short clip, 3 s clip, clip longer than the resident region)', () => {
  const r = rng(17);
  for (const seconds of [0.25, 3, 16]) {
    const n = Math.round(22050 * seconds);
    const y = new Float32Array(n);
    let ph = 0;
    for (let i = 0; i < n; i++) {
      ph += (2 * Math.PI * (150 + 50 * Math.sin(i / 5000))) / 22050;
      y[i] = 0.3 * Math.sin(ph) + 0.1 * Math.sin(3 * ph) + 0.01 * r();
    }
    const w = extractFeatures(y, 22050);
    const j = withWasm(false, () => extractFeatures(y, 22050));
    assert.equal(w.rows, j.rows);
    assert.deepEqual(w.columns, j.columns);
    let worst = 0;
    for (let i = 0; i < w.data.length; i++) worst = Math.max(worst, Math.abs(w.data[i] - j.data[i]));
    ok(worst <= 2e-3, `${seconds} s: max |wasm − js| ${worst}`);
    if (seconds === 3) {
      const all = extractAllFeatures(y, 22050);
      // the blocks of extractFeatures are exactly the separately computed ones
      const cols = { mfcc: 0, mfcc_delta: 40, chroma_stft: 80, spectral_contrast: 92, logmel_db: 99 } as const;
      for (const [name, c0] of Object.entries(cols)) {
        const b = all[name as keyof typeof cols]!;
        for (let t = 0; t < b.rows; t++) for (let k = 0; k < b.cols; k++) assert.equal(w.data[t * w.cols + c0 + k], b.data[t * b.cols + k], `${name} [${t}, ${k}]`);
      }
    }
  }
});

test('extractFeatures reports the first non-finite sample on the kernel path', () => {
  const y = Float32Array.from({ length: 30000 }, rng(19));
  y[4321] = NaN;
  y[9999] = Infinity;
  assert.throws(() => extractFeatures(y, 22050), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && /sample 4321 is NaN/.test(e.message));
});

test('delta (Savitzky–Golay kernel) equals the JS path exactly; MFCC by the folded DCT matches the direct cosine sum', () => {
  const r = rng(23);
  for (const [rows, F] of [
    [50, 40],
    [9, 40],
    [30, 13],
  ]) {
    const M: Matrix = { rows, cols: F, data: Float32Array.from({ length: rows * F }, () => 50 * r()) };
    for (const [width, order] of [
      [9, 1],
      [9, 2],
      [5, 1],
      [3, 2],
    ]) {
      if (width > rows) continue;
      const w = delta(M, { width, order });
      const j = withWasm(false, () => delta(M, { width, order }));
      assert.deepEqual(Array.from(w.data), Array.from(j.data), `rows ${rows} F ${F} width ${width} order ${order}`);
    }
  }
  for (const [nMels, nMfcc] of [
    [128, 40],
    [64, 13],
    [42, 20],
  ]) {
    const S: Matrix = { rows: 23, cols: nMels, data: Float32Array.from({ length: 23 * nMels }, () => 80 * r() - 20) };
    const got = mfcc({ S, n_mfcc: nMfcc });
    for (let t = 0; t < S.rows; t++)
      for (let k = 0; k < nMfcc; k++) {
        let s = 0;
        for (let j = 0; j < nMels; j++) s += S.data[t * nMels + j] * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * nMels));
        const want = s * (k === 0 ? Math.sqrt(1 / nMels) : Math.sqrt(2 / nMels));
        ok(Math.abs(got.data[t * nMfcc + k] - want) <= 2e-6 * Math.max(1, Math.abs(want)), `n_mels ${nMels} [${t}, ${k}]: ${got.data[t * nMfcc + k]} vs ${want}`);
      }
  }
});

test('estimateTuning on the resident spectrogram (kernel-listed candidate bins) equals the scan of a copy', () => {
  const r = rng(29);
  for (const f0 of [110, 196.5, 233.1]) {
    const n = 22050 * 2;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.sin((2 * Math.PI * f0 * h * i) / 22050) / h;
      y[i] = 0.2 * s + 0.01 * r();
    }
    const tr = transientPowerSpectrogram(y, opts);
    const copy: Matrix = { ...tr.power, data: tr.power.data.slice() };
    const a = estimateTuning({ S: tr.power, sr: 22050, rowMax: tr.rowMax! });
    const b = estimateTuning({ S: copy, sr: 22050 });
    const c = estimateTuning({ S: tr.power, sr: 22050, threshold: 0.3, fmin: 100, fmax: 3000 });
    const d = estimateTuning({ S: copy, sr: 22050, threshold: 0.3, fmin: 100, fmax: 3000 });
    assert.equal(a, b, `f0 ${f0}`);
    assert.equal(c, d, `f0 ${f0} (other parameters)`);
    ok(a >= -0.5 && a < 0.5, `f0 ${f0}: tuning ${a} in [−0.5, 0.5)`);
  }
});

test('STFT kernel: the two-frames-at-once path is bit-identical to one frame at a time (edge frames, odd counts, sizes)', () => {
  const r = rng(31);
  try {
    for (const [n, n_fft, hop_length] of [
      [66150, 2048, 512],
      [20000, 512, 128],
      [9000, 1024, 256], // log2(n_fft/2) odd: one frame at a time only
      [5000, 2048, 300],
      [700, 64, 16],
      [2500, 2048, 512], // few frames, mostly edges
    ]) {
      const y = Float32Array.from({ length: n }, r);
      setWasmStftTwoFrames(true);
      const a = transientPowerSpectrogram(y, { n_fft, hop_length });
      const aData = Array.from(a.power.data);
      const aMax = Array.from(a.rowMax ?? []);
      setWasmStftTwoFrames(false);
      const b = transientPowerSpectrogram(y, { n_fft, hop_length });
      assert.deepEqual(aData, Array.from(b.power.data), `n ${n} n_fft ${n_fft} hop ${hop_length}`);
      assert.deepEqual(aMax, Array.from(b.rowMax ?? []), `row maxima n_fft ${n_fft}`);
    }
  } finally {
    setWasmStftTwoFrames(true);
  }
});

test('loadFeatureWasm (asynchronous compile for browser main threads) resolves true and leaves the kernels usable', async () => {
  assert.equal(await loadFeatureWasm(), true);
  const y = Float32Array.from({ length: 5000 }, rng(37));
  const js = withWasm(false, () => powerSpectrogram(y, opts));
  const w = transientPowerSpectrogram(y, opts).power.data;
  let mx = 0;
  for (const v of js.data) mx = Math.max(mx, v);
  for (let i = 0; i < w.length; i++) ok(Math.abs(w[i] - js.data[i]) <= 1e-6 * mx, `element ${i}`);
  ok(transientPowerSpectrogram(y, opts).rowMax !== null, 'kernel path after the async load');
});
