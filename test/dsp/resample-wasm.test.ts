// The WebAssembly SIMD kernels (src/dsp/resample-wasm.ts) against the plain JS code of the same
// filters, on every code path: polyphase 4-output groups + tail, 1-output blocks, the fine
// (interpolated) table, block boundaries, memory growth for a large table, and the FFT low-pass of
// the two-stage path (one and two phases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src/dsp/resample.js';
import { setWasmResampleDisabled, wasmResampleAvailable } from '../../src/dsp/resample-wasm.js';
import { RESAMPLE_WASM_BASE64 } from '../../src/dsp/resample-wasm.generated.js';
import { noise, snr, withDisabled } from './helpers.js';

function jsResample(y: Float32Array, o: number, t: number): Float32Array {
  return withDisabled(setWasmResampleDisabled, () => resample(y, o, t, { twoStage: false }));
}

test('the WebAssembly SIMD kernel is available under Node, and small enough (≤ 4 kB) for synchronous compilation on a browser main thread', () => {
  assert.equal(wasmResampleAvailable(), true);
  assert.ok(atob(RESAMPLE_WASM_BASE64).length <= 4096, `module is ${atob(RESAMPLE_WASM_BASE64).length} bytes`);
});

test('WebAssembly kernel = JS loop (float32 rounding only) for rational and arbitrary ratios, all lengths', () => {
  const cases: [number, number][] = [
    [48000, 22050], // up 147: 4-output groups of 588 + tail
    [48000, 16000], // up 1
    [44100, 22050],
    [22050, 48000], // upsampling, up 320
    [16000, 44100], // up 441
    [8000, 22050], // up 441, 4·up > half a block
    [1023, 1024], // up 1024, the largest exact bank
    [48000, 47999], // up 47999 > 1024: fine table
    [22050 / 2 ** (-2 / 12), 22050], // pitch shift: fine table
    [22050 / 2 ** (3 / 12), 22050],
  ];
  // Lengths around the group / block sizes and very short signals.
  for (const [o, t] of cases) {
    for (const n of [1, 2, 37, 1280, 1281, 9000, 40000]) {
      const y = noise(n, n + 11);
      const a = resample(y, o, t, { twoStage: false });
      const b = jsResample(y, o, t);
      assert.equal(a.length, b.length, `${o}->${t} n=${n}`);
      const q = snr(a, b);
      assert.ok(q >= 110, `${o}->${t} n=${n}: kernel vs JS ${q.toFixed(1)} dB`);
    }
  }
});

function jsTwoStage(y: Float32Array, o: number, t: number): Float32Array {
  return withDisabled(setWasmResampleDisabled, () => resample(y, o, t, { twoStage: true }));
}

test('two-stage path: WebAssembly FFT low-pass + kernel = the JS FFT (float64) path to ≥ 120 dB, for long signals', () => {
  const y = noise(48000 * 3 + 17, 5);
  const cases: [number, number][] = [
    [48000, 22050],
    [48000, 16000],
    [22050, 48000], // upsampling: two phases (u = 2) in the FFT stage
    [44100, 16000],
    [22050 / 2 ** (-2 / 12), 22050], // fine table in stage 2
  ];
  for (const [o, t] of cases) {
    const b = jsTwoStage(y, o, t);
    // (the default call takes the frequency-domain path where it applies: test/dsp/fft-resample.test.ts)
    for (const a of [resample(y, o, t, { twoStage: true })]) {
      assert.equal(a.length, b.length);
      assert.ok(snr(a, b) >= 120, `${o}->${t}: ${snr(a, b).toFixed(1)} dB`);
    }
  }
  // Signals just long enough for the two-stage path (short FFTs, a single block pair).
  for (const n of [3000, 5000]) {
    const z = noise(n, n);
    assert.ok(snr(resample(z, 48000, 22050), jsTwoStage(z, 48000, 22050)) >= 120, `n=${n}`);
  }
});

test('a table larger than the initial kernel memory (192 kHz → 11025 Hz) grows it and stays exact; later calls still agree', () => {
  const y = noise(30000, 3);
  const a = resample(y, 192000, 11025, { twoStage: false });
  const b = jsResample(y, 192000, 11025);
  assert.ok(snr(a, b) >= 110, `192000->11025: ${snr(a, b).toFixed(1)} dB`);
  const z = noise(20000, 4);
  assert.ok(snr(resample(z, 48000, 22050, { twoStage: false }), jsResample(z, 48000, 22050)) >= 110);
  assert.ok(snr(resample(z, 48000, 22050, { twoStage: true }), jsTwoStage(z, 48000, 22050)) >= 120);
});

test('kernel output of a 1 kHz tone 48 kHz → 22050 Hz is the tone (closed form), -90 dB residual', () => {
  const n = 48000;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 * Math.sin(2 * Math.PI * 1000 * (i / 48000) + 0.3);
  const z = resample(y, 48000, 22050);
  let e = 0;
  let cnt = 0;
  for (let m = 2000; m < z.length - 2000; m++) {
    e += (z[m] - 0.5 * Math.sin(2 * Math.PI * 1000 * (m / 22050) + 0.3)) ** 2;
    cnt++;
  }
  const resid = Math.sqrt(e / cnt);
  assert.ok(20 * Math.log10(resid / 0.5) < -90, `residual ${(20 * Math.log10(resid / 0.5)).toFixed(1)} dB`);
});

test('resample into a caller buffer (opts.out): a view of it, equal to the allocated result; too short or overlapping is EPARAM', () => {
  const buf = new Float32Array(200000).fill(7);
  for (const [o, t, n] of [
    [48000, 22050, 48000 * 2 + 5], // two-stage
    [48000, 16000, 900], // single stage
    [22050, 22050, 1000], // equal rates: a copy
    [48000, 22050, 0],
  ] as const) {
    const y = noise(n, n + 3);
    const want = resample(y, o, t);
    const got = resample(y, o, t, { out: buf });
    assert.equal(got.buffer, buf.buffer, `${o}->${t}: a view of the given buffer`);
    assert.equal(got.byteOffset, 0);
    assert.deepEqual(Array.from(got), Array.from(want), `${o}->${t} n=${n}`);
  }
  const y = noise(1000, 1);
  const code = (e: unknown) => (e as { code?: string }).code === 'EPARAM';
  assert.throws(() => resample(y, 48000, 22050, { out: new Float32Array(10) }), code);
  const shared = new Float32Array(3000);
  shared.set(y);
  assert.throws(() => resample(shared.subarray(0, 1000), 48000, 22050, { out: shared.subarray(500) }), code);
  assert.ok(resample(shared.subarray(0, 1000), 48000, 22050, { out: shared.subarray(1000) }).length === 460);
});
