// The fused two-stage path (src/dsp/resample-wasm.ts wasmTwoStage: FFT low-pass and the short
// polyphase stage in the kernel's memory) against the same two stages run as two calls (through a
// JS array), and against the single-stage polyphase filter; closed-form tones through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample, resampledLength } from '../../src/dsp/resample.js';
import { setWasmTwoStageFusedDisabled, wasmResampleAvailable } from '../../src/dsp/resample-wasm.js';
import { noise, snr, withDisabled } from './helpers.js';

function unfused(y: Float32Array, o: number, t: number): Float32Array {
  return withDisabled(setWasmTwoStageFusedDisabled, () => resample(y, o, t, { twoStage: true }));
}

const RATES: [number, number][] = [
  [48000, 22050],
  [48000, 16000],
  [44100, 22050],
  [44100, 16000],
  [48000, 8000],
];
// short (single stage), around block and group boundaries, not multiples of down, a few blocks
const LENGTHS = [0, 1, 7, 300, 1000, 1999, 2000, 2561, 3449, 3450, 3451, 5119, 6907, 12345, 48000, 100003];

test('fused two-stage path = the two stages as separate calls (same samples), output length unchanged', { skip: !wasmResampleAvailable() }, () => {
  for (const [o, t] of RATES) {
    for (const n of LENGTHS) {
      const y = noise(n, n + o);
      const a = resample(y, o, t, { twoStage: true });
      const b = unfused(y, o, t);
      assert.equal(a.length, resampledLength(n, o, t));
      assert.equal(b.length, a.length);
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) assert.fail(`${o}->${t} n=${n}: sample ${i} differs: ${a[i]} vs ${b[i]}`);
      }
    }
  }
});

test('fused two-stage path = single-stage polyphase within 90 dB on noise; with a caller buffer too', { skip: !wasmResampleAvailable() }, () => {
  for (const [o, t] of RATES) {
    for (const n of [3451, 20000, 100003]) {
      const y = noise(n, 7 * n + o);
      const a = resample(y, o, t, { twoStage: true });
      const s = resample(y, o, t, { twoStage: false });
      const r = snr(a, s);
      assert.ok(r > 90, `${o}->${t} n=${n}: ${r.toFixed(1)} dB`);
      const buf = new Float32Array(a.length + 5).fill(7);
      const v = resample(y, o, t, { out: buf, twoStage: true });
      assert.deepEqual(v, a);
      assert.equal(buf[a.length], 7);
    }
  }
});

test('closed-form tones 48 kHz -> 22050 Hz: 1 kHz exact, 10.5 kHz (passband edge) kept, 12 kHz removed >= 100 dB', { skip: !wasmResampleAvailable() }, () => {
  const n = 48000;
  const tone = (f: number, sr: number, len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin((2 * Math.PI * f * i) / sr));
  const nOut = resampledLength(n, 48000, 22050);
  const core = (a: Float32Array) => a.subarray(1000, nOut - 1000); // away from the edges
  // 1 kHz and 9.5 kHz (inside the passband, 0.913 · 11025 = 10.07 kHz): the exact sine at the output rate
  for (const f of [1000, 9500]) {
    const out = resample(tone(f, 48000, n), 48000, 22050);
    const r = snr(core(out), core(tone(f, 22050, nOut)));
    assert.ok(r > 80, `${f} Hz: ${r.toFixed(1)} dB`);
  }
  // 10.5 kHz, in the transition band (10.07 .. 11.025 kHz): attenuated but not removed, same as the single stage
  const y105 = tone(10500, 48000, n);
  const a = resample(y105, 48000, 22050);
  const s = resample(y105, 48000, 22050, { twoStage: false });
  assert.ok(snr(core(a), core(s)) > 80);
  let p = 0;
  for (const v of core(a)) p += v * v;
  assert.ok(p / core(a).length > 1e-4 && p / core(a).length < 0.5, `10.5 kHz power ${p / core(a).length}`);
  // 12 kHz (above the output Nyquist): removed
  const out12 = resample(tone(12000, 48000, n), 48000, 22050);
  let e = 0;
  for (const v of core(out12)) e += v * v;
  const db = 10 * Math.log10(e / core(out12).length / 0.5);
  assert.ok(db < -100, `12 kHz residue ${db.toFixed(1)} dB`);
});
