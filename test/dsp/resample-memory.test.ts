// The resampling kernels keep the common ratios inside the WebAssembly module's initial memory
// page: growing a memory detaches its ArrayBuffer, after which V8 slows every typed-array access
// of the process (see src/dsp/resample-wasm.ts). Its own file: a test process of its own, with a
// memory no other test has grown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src/dsp/resample.js';
import { setWasmResampleDisabled, wasmResampleMemoryBytes } from '../../src/dsp/resample-wasm.js';
import { RESAMPLE_WASM_BASE64 } from '../../src/dsp/resample-wasm.generated.js';
import { decodeBase64 } from '../../src/dsp/wasm-module.js';
import { snr, withDisabled } from './helpers.js';

function tone(n: number, sr: number, f: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / sr);
  return y;
}

test('long signals at the usual rates are resampled without growing the kernel memory, and equal the JS path', () => {
  // the memory size a fresh instance of the module starts with
  const fresh = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(RESAMPLE_WASM_BASE64)), { env: { abort: () => {} } });
  const initial = (fresh.exports.memory as WebAssembly.Memory).buffer.byteLength;
  assert.equal(wasmResampleMemoryBytes(), initial, 'the kernel starts with the initial memory');
  const cases: [number, number][] = [
    [48000, 22050],
    [48000, 16000],
    [44100, 22050],
    [44100, 16000],
    [16000, 22050], // two phases in the FFT stage
    [22050, 48000],
    [48000, 44100],
  ];
  for (const [o, t] of cases) {
    const y = tone(3 * o + 123, o, 440);
    resample(y, o, t); // the default path (frequency-domain for some ratios: fft-resample.test.ts)
    const a = resample(y, o, t, { twoStage: true });
    assert.equal(wasmResampleMemoryBytes(), initial, `${o} → ${t} Hz grew the memory`);
    const b = withDisabled(setWasmResampleDisabled, () => resample(y, o, t, { twoStage: true }));
    const db = snr(a, b);
    assert.ok(db >= 120, `${o} → ${t} Hz: kernel vs JS ${db.toFixed(1)} dB`);
  }
});

test('results do not depend on what ran before: the same call before and after the kernel memory grew gives the same samples', () => {
  const y = tone(3 * 48000 + 55, 48000, 523.25);
  const pitch = 22050 / 2 ** (-2 / 12); // fine table (its table grows the memory)
  const before = [resample(y, 48000, 8000), resample(y, 48000, 22050)];
  const fineA = resample(y, pitch, 22050);
  resample(tone(30000, 192000, 1000), 192000, 11025, { twoStage: false }); // a large single-stage bank
  const fineB = resample(y, pitch, 22050);
  assert.deepEqual(Array.from(fineB), Array.from(fineA), 'fine-table path');
  const after = [resample(y, 48000, 8000), resample(y, 48000, 22050)];
  assert.deepEqual(Array.from(after[0]), Array.from(before[0]), '48000 → 8000 Hz');
  assert.deepEqual(Array.from(after[1]), Array.from(before[1]), '48000 → 22050 Hz');
});
