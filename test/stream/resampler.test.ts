/**
 * The streaming resampler equals offline resample() whatever the chunk sizes, to the agreement of
 * the offline function's own paths: its short blocks take the two-stage path, a long offline
 * signal the frequency-domain one, which agree to ~96 dB (max abs difference ~3e-5 on this
 * 0.8-amplitude signal, 1e-6 when both take the same path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src/dsp/resample.js';
import { StreamResampler } from '../../src/stream/resampler.js';
import { setWasmResampleDisabled } from '../../src/dsp/resample-wasm.js';
import { SerError } from '../../src/errors.js';
import { randomSizes, concat } from './helpers.js';

/** A test signal: a chirp 100 Hz → sr/2.2 plus deterministic noise, amplitude ≤ 0.8. */
function signal(n: number, sr: number): Float32Array {
  const y = new Float32Array(n);
  let s = 12345;
  const f1 = sr / 2.2;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const T = n / sr;
    const phase = 2 * Math.PI * (100 * t + ((f1 - 100) * t * t) / (2 * T));
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    y[i] = 0.6 * Math.sin(phase) + 0.2 * (s / 2 ** 32 - 0.5);
  }
  return y;
}

function run(r: StreamResampler, y: Float32Array, next: () => number): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < y.length; ) {
    const n = next();
    parts.push(r.push(y.subarray(i, i + n)));
    i += n;
  }
  parts.push(r.flush());
  return concat(parts);
}

for (const [orig, target, seconds] of [
  [48000, 22050, 1.3],
  [48000, 16000, 1.1],
  [16000, 22050, 1.2],
  [44100, 22050, 0.9],
] as const) {
  test(`${orig} → ${target} Hz: streamed in chunks of 1, 37, 960, random and whole = offline resample`, () => {
    const y = signal(Math.round(seconds * orig), orig);
    const ref = resample(y, orig, target);
    const sizes: [string, () => number][] = [
      ['37', () => 37],
      ['960', () => 960],
      ['random', randomSizes(3, 1, 5000)],
      ['whole', () => y.length],
    ];
    if (orig === 16000) sizes.push(['1', () => 1]);
    for (const [name, next] of sizes) {
      const out = run(new StreamResampler(orig, target), y, next);
      assert.equal(out.length, ref.length, `chunks ${name}: length`);
      let md = 0;
      for (let i = 0; i < ref.length; i++) md = Math.max(md, Math.abs(out[i] - ref[i]));
      assert.ok(md <= 5e-5, `chunks ${name}: max abs diff ${md}`);
    }
  });
}

test('short and empty streams, and bad rates', () => {
  const y = signal(100, 48000);
  assert.deepEqual(run(new StreamResampler(48000, 16000), y, () => 7).length, resample(y, 48000, 16000).length);
  assert.equal(new StreamResampler(48000, 16000).flush().length, 0);
  assert.throws(() => new StreamResampler(44100.5, 22050), (e: unknown) => e instanceof SerError && e.code === 'ERATE');
  const r = new StreamResampler(16000, 22050);
  r.flush();
  assert.throws(() => r.push(new Float32Array(3)), /after flush/);
});

test('without the WebAssembly kernels (JS paths of the offline resample): still equal to offline resample', () => {
  const y = signal(Math.round(1.3 * 48000), 48000);
  setWasmResampleDisabled(true);
  try {
    const ref = resample(y, 48000, 22050);
    const r = new StreamResampler(48000, 22050, 0.25);
    const out = run(r, y, randomSizes(8, 1, 3000));
    assert.equal(out.length, ref.length);
    let md = 0;
    for (let i = 0; i < ref.length; i++) md = Math.max(md, Math.abs(out[i] - ref[i]));
    assert.ok(md <= 1e-5, `max abs diff ${md}`);
  } finally {
    setWasmResampleDisabled(false);
  }
});
