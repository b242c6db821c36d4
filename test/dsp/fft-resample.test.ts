// The frequency-domain rate change (src/dsp/fft-resample-wasm.ts, asm/fft-resample.ts), taken by
// resample() for long signals down-sampled by a non-integer 7-smooth ratio: against the exact
// single-stage polyphase FIR, closed-form tones, the edges, a caller buffer, and its fixed memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample, resampledLength } from '../../src/dsp/resample.js';
import { fftRadices, setWasmFftResampleDisabled, wasmFftResampleAvailable, wasmFftResampleMemoryBytes } from '../../src/dsp/fft-resample-wasm.js';
import { FFT_RESAMPLE_WASM_BASE64 } from '../../src/dsp/fft-resample-wasm.generated.js';
import { decodeBase64 } from '../../src/dsp/wasm-module.js';
import fc from 'fast-check';
import { noise, snr, withDisabled } from './helpers.js';

const skip = !wasmFftResampleAvailable();

function tone(n: number, sr: number, f: number, amp = 0.5, phase = 0.3): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / sr + phase));
}

test('fftRadices: radices 2, 3, 4, 5, 7 whose product is n; null with a larger prime factor', () => {
  for (const n of [1, 2, 4, 6, 1176, 2352, 2560, 4860, 5120, 1764, 3 * 5 * 7 * 49]) {
    const r = fftRadices(n);
    assert.ok(r, `${n}`);
    assert.equal(r.reduce((a, b) => a * b, 1), n);
    assert.ok(r.every((p) => [2, 3, 4, 5, 7].includes(p)));
    assert.ok(r.filter((p) => p === 2).length <= 1, 'pairs of 2 are merged into 4s');
  }
  for (const n of [11, 22, 4 * 13, 17 * 9]) assert.equal(fftRadices(n), null);
});

// ratios (up/down): 147/320, 160/441, 147/640, 441/640
const RATES: [number, number][] = [
  [48000, 22050],
  [44100, 16000],
  [96000, 22050],
  [32000, 22050],
];

test('equals the single-stage polyphase FIR to >= 105 dB on noise, edges included; the two-stage path reaches only ~96 dB', { skip }, () => {
  for (const [o, t] of RATES) {
    // around the path's threshold and batch sizes, and a long signal
    for (const n of [Math.ceil((8192 * o) / t) + 1, 40000, 65537, 176001, 400000]) {
      const y = noise(n, n + o);
      const a = resample(y, o, t);
      assert.equal(a.length, resampledLength(n, o, t));
      const single = resample(y, o, t, { twoStage: false });
      const r = snr(a, single);
      assert.ok(r >= 105, `${o}->${t} n=${n}: ${r.toFixed(1)} dB`);
      const two = resample(y, o, t, { twoStage: true });
      assert.ok(snr(two, single) < 100, 'the default call did not take the two-stage path');
      // the first and last outputs (the signal is zero outside [0, n)): same timing and values
      let md = 0;
      for (let i = 0; i < 400; i++) md = Math.max(md, Math.abs(a[i] - single[i]), Math.abs(a[a.length - 1 - i] - single[a.length - 1 - i]));
      assert.ok(md < 2e-5, `${o}->${t} n=${n}: edge difference ${md}`);
    }
  }
});

test('closed-form tones 48 kHz -> 22050 Hz: 1 kHz and 9.5 kHz are the sine at the output rate (< -100 dB residual), 12 kHz is removed (< -110 dB), DC stays 1', { skip }, () => {
  const n = 3 * 48000 + 11;
  const nOut = resampledLength(n, 48000, 22050);
  const core = (a: Float32Array) => a.subarray(600, nOut - 600);
  for (const f of [1000, 9500]) {
    const out = resample(tone(n, 48000, f), 48000, 22050);
    const r = snr(core(out), core(tone(nOut, 22050, f)));
    assert.ok(r > 100, `${f} Hz: ${r.toFixed(1)} dB`);
  }
  const out12 = core(resample(tone(n, 48000, 12000, 1), 48000, 22050));
  let e = 0;
  for (const v of out12) e += v * v;
  const db = 10 * Math.log10(e / out12.length / 0.5);
  assert.ok(db < -110, `12 kHz residue ${db.toFixed(1)} dB`);
  const dc = core(resample(new Float32Array(n).fill(1), 48000, 22050));
  for (const v of dc) assert.ok(Math.abs(v - 1) < 1e-5, `DC ${v}`);
});

test('short signals and integer ratios keep the two-stage path (same samples as twoStage: true)', { skip }, () => {
  for (const [o, t, n] of [
    [48000, 22050, 12000],
    [48000, 16000, 200000],
    [44100, 22050, 200000],
  ] as const) {
    const y = noise(n, 3);
    assert.deepEqual(resample(y, o, t), resample(y, o, t, { twoStage: true }), `${o}->${t} n=${n}`);
  }
});

test('into a caller buffer: a view of it, equal to the allocated result, nothing written past it; disabling the path gives the two-stage samples', { skip }, () => {
  const y = noise(100003, 9);
  const a = resample(y, 48000, 22050);
  const buf = new Float32Array(a.length + 7).fill(3);
  const v = resample(y, 48000, 22050, { out: buf });
  assert.equal(v.buffer, buf.buffer);
  assert.deepEqual(v, a);
  for (let i = a.length; i < buf.length; i++) assert.equal(buf[i], 3);
  withDisabled(setWasmFftResampleDisabled, () => assert.deepEqual(resample(y, 48000, 22050), resample(y, 48000, 22050, { twoStage: true })));
});

test('the module memory is fixed: many ratios and lengths never grow it', { skip }, () => {
  const fresh = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(FFT_RESAMPLE_WASM_BASE64)), { env: { abort: () => {} } });
  const initial = (fresh.exports.memory as WebAssembly.Memory).buffer.byteLength;
  const y = noise(500000, 1);
  for (const [o, t] of [...RATES, [44100, 8000], [48000, 11025], [192000, 22050]] as [number, number][]) {
    const a = resample(y, o, t);
    assert.ok(snr(a, resample(y, o, t, { twoStage: false })) >= 105, `${o}->${t}`);
    assert.equal(wasmFftResampleMemoryBytes(), initial, `${o}->${t} grew the memory`);
  }
});

test('property: any pair of common rates (down-sampling) and any length past the threshold equals the single-stage FIR to >= 105 dB', { skip }, () => {
  const RATES_HZ = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: RATES_HZ.length - 1 }),
      fc.integer({ min: 0, max: RATES_HZ.length - 1 }),
      fc.integer({ min: 0, max: 60000 }),
      fc.integer({ min: 1, max: 1 << 30 }),
      (i, j, extra, seed) => {
        const [t, o] = [Math.min(RATES_HZ[i], RATES_HZ[j]), Math.max(RATES_HZ[i], RATES_HZ[j])];
        if (t === o) return;
        const n = Math.ceil((8192 * o) / t) + extra;
        const y = noise(n, seed);
        const a = resample(y, o, t);
        assert.equal(a.length, resampledLength(n, o, t));
        const r = snr(a, resample(y, o, t, { twoStage: false }));
        assert.ok(r >= 105, `${o}->${t} n=${n}: ${r.toFixed(1)} dB`);
      },
    ),
    { numRuns: 25, seed: 20261127 },
  );
});
