import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addNoise,
  applyAugmentation,
  describeAugmentation,
  gain,
  parseAugmentation,
  pitchShift,
  recipeAugmentations,
  timeShift,
  type Augmentation,
} from '../../src/augment/index.js';
import { SerError } from '../../src/errors.js';
import { Rng } from '../../src/util/random.js';
import { zeroCrossingFreq } from './helpers.js';

function tone(f: number, sr: number, seconds: number, amp = 0.5): Float32Array {
  const n = Math.round(sr * seconds);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = amp * Math.sin((2 * Math.PI * f * i) / sr);
  return y;
}

function energy(y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * y[i];
  return s;
}

test('pitchShift keeps the length and moves a 220 Hz tone by +2 / −3 semitones (±0.5 %)', () => {
  for (const sr of [22050, 16000]) {
    const y = tone(220, sr, 2);
    for (const [steps, want] of [[2, 246.94], [-3, 185.0], [12, 440]] as const) {
      const out = pitchShift(y, sr, steps);
      assert.equal(out.length, y.length, `length at sr ${sr}, ${steps} steps`);
      const f = zeroCrossingFreq(out, sr, Math.floor(out.length * 0.25), Math.floor(out.length * 0.75));
      assert.ok(Math.abs(f / want - 1) < 0.005, `sr ${sr}, ${steps} steps: ${f.toFixed(2)} Hz, want ${want}`);
      // The level is roughly kept. (librosa's phase vocoder loses up to ~13 % RMS on a pure tone:
      // frame 0, half zero-padded, fixes the bins' relative phases for good.)
      const mid = out.subarray(Math.floor(out.length * 0.25), Math.floor(out.length * 0.75));
      const rms = Math.sqrt(energy(mid) / mid.length);
      assert.ok(Math.abs(rms / (0.5 / Math.SQRT2) - 1) < 0.2, `rms ${rms}`);
    }
  }
});

test('pitchShift: odd lengths, 24 bins per octave, 0 steps, bad input', () => {
  const y = tone(300, 22050, 0.7).subarray(0, 15433);
  assert.equal(pitchShift(y, 22050, 1.5).length, 15433);
  const q = pitchShift(tone(220, 22050, 2), 22050, 4, { bins_per_octave: 24 }); // 2 semitones
  const f = zeroCrossingFreq(q, 22050, 11025, 33075);
  assert.ok(Math.abs(f / 246.94 - 1) < 0.005, `${f}`);
  assert.deepEqual(pitchShift(y, 22050, 0), y);
  assert.throws(() => pitchShift(y, 22050, NaN), SerError);
  assert.throws(() => pitchShift(y, 0, 2), SerError);
  assert.throws(() => pitchShift(y, 22050, 2, { bins_per_octave: 0 }), SerError);
});

test('addNoise hits the requested SNR (−5, 0, 10, 20, 40 dB) within 0.1 dB', () => {
  const y = tone(220, 16000, 1);
  for (let i = 0; i < y.length; i += 7) y[i] += 0.1; // not a pure tone
  for (const snr of [-5, 0, 10, 20, 40]) {
    for (const seed of [1, 2]) {
      const out = addNoise(y, snr, seed);
      assert.equal(out.length, y.length);
      const n = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) n[i] = out[i] - y[i];
      const measured = 10 * Math.log10(energy(y) / energy(n));
      assert.ok(Math.abs(measured - snr) < 0.1, `SNR ${snr}: measured ${measured}`);
    }
  }
});

test('addNoise is white Gaussian: mean ≈ 0, kurtosis ≈ 3, no lag-1 correlation', () => {
  const y = new Float32Array(50000).fill(0.25);
  const out = addNoise(y, 0, 9);
  const n = Array.from(out, (v, i) => v - y[i]);
  const N = n.length;
  const mean = n.reduce((s, v) => s + v, 0) / N;
  const v2 = n.reduce((s, v) => s + (v - mean) ** 2, 0) / N;
  const k4 = n.reduce((s, v) => s + (v - mean) ** 4, 0) / N / (v2 * v2);
  let c1 = 0;
  for (let i = 1; i < N; i++) c1 += (n[i] - mean) * (n[i - 1] - mean);
  assert.ok(Math.abs(mean) < 0.02 * Math.sqrt(v2));
  assert.ok(Math.abs(k4 - 3) < 0.15, `kurtosis ${k4}`);
  assert.ok(Math.abs(c1 / N / v2) < 0.02);
});

test('noise is seeded: same seed → bit-identical, different seed → different', () => {
  const y = tone(440, 22050, 0.5);
  const a = addNoise(y, 10, 42);
  const b = addNoise(y, 10, 42);
  const c = addNoise(y, 10, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(addNoise(y, 10, new Rng(5)), addNoise(y, 10, 5));
  const aug: Augmentation = { kind: 'noise', snr_db: 15 };
  assert.deepEqual(applyAugmentation(y, 22050, aug, 7), applyAugmentation(y, 22050, aug, 7));
  assert.notDeepEqual(applyAugmentation(y, 22050, aug, 7), applyAugmentation(y, 22050, aug, 8));
  // a seed inside the descriptor wins over the call's seed
  const own: Augmentation = { kind: 'noise', snr_db: 15, seed: 3 };
  assert.deepEqual(applyAugmentation(y, 22050, own, 1), applyAugmentation(y, 22050, own, 2));
  // every recipe augmentation is deterministic
  for (const r of recipeAugmentations) assert.deepEqual(applyAugmentation(y, 22050, r, 11), applyAugmentation(y, 22050, r, 11));
});

test('addNoise on silence returns the silence; bad SNR throws', () => {
  const z = new Float32Array(100);
  assert.deepEqual(addNoise(z, 10, 1), z);
  assert.equal(addNoise(new Float32Array(0), 10, 1).length, 0);
  assert.throws(() => addNoise(z, NaN, 1), SerError);
});

test('gain scales by exactly 10^(dB/20)', () => {
  const y = tone(100, 8000, 0.25, 0.3);
  for (const db of [-20, -6, 0, 3.5, 12]) {
    const out = gain(y, db);
    const measured = 10 * Math.log10(energy(out) / energy(y));
    assert.ok(Math.abs(measured - db) < 1e-5, `${db} dB: measured ${measured}`);
    const g = Math.pow(10, db / 20);
    for (let i = 0; i < y.length; i++) assert.equal(out[i], Math.fround(y[i] * g));
  }
  assert.throws(() => gain(y, Infinity), SerError);
});

test('timeShift: roll is circular, pad fills zeros, seconds round to samples', () => {
  const y = Float32Array.from([1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(timeShift(y, 2)), [4, 5, 1, 2, 3]);
  assert.deepEqual(Array.from(timeShift(y, -1)), [2, 3, 4, 5, 1]);
  assert.deepEqual(Array.from(timeShift(y, 7)), [4, 5, 1, 2, 3]);
  assert.deepEqual(Array.from(timeShift(y, 2, { mode: 'pad' })), [0, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(timeShift(y, -2, { mode: 'pad' })), [3, 4, 5, 0, 0]);
  assert.deepEqual(Array.from(timeShift(y, 9, { mode: 'pad' })), [0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(timeShift(y, 0)), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(timeShift(y, { seconds: 0.0026, sr: 1000 })), [3, 4, 5, 1, 2]); // 2.6 → 3 samples
  const sr = 16000;
  const x = tone(50, sr, 1);
  const s = applyAugmentation(x, sr, { kind: 'shift', seconds: 0.1, mode: 'pad' });
  for (let i = 0; i < 1600; i++) assert.equal(s[i], 0);
  for (let i = 1600; i < x.length; i++) assert.equal(s[i], x[i - 1600]);
  assert.throws(() => timeShift(y, 1.5), SerError);
  assert.throws(() => timeShift(y, 1, { mode: 'wrap' as 'roll' }), SerError);
});

test('describeAugmentation gives canonical keys that parseAugmentation inverts', () => {
  const cases: [Augmentation, string][] = [
    [{ kind: 'none' }, 'none'],
    [{ kind: 'stretch', rate: 0.9 }, 'stretch:0.9'],
    [{ kind: 'stretch', rate: 1.25 }, 'stretch:1.25'],
    [{ kind: 'pitch', steps: 2 }, 'pitch:+2'],
    [{ kind: 'pitch', steps: -3 }, 'pitch:-3'],
    [{ kind: 'pitch', steps: 0.5, bins_per_octave: 24 }, 'pitch:+0.5/24'],
    [{ kind: 'noise', snr_db: 20 }, 'noise:20dB'],
    [{ kind: 'noise', snr_db: -5, seed: 3 }, 'noise:-5dB:seed=3'],
    [{ kind: 'gain', db: -6 }, 'gain:-6dB'],
    [{ kind: 'shift', seconds: 0.1 }, 'shift:+0.1s:roll'],
    [{ kind: 'shift', seconds: -0.2, mode: 'pad' }, 'shift:-0.2s:pad'],
    [{ kind: 'chain', steps: [{ kind: 'stretch', rate: 0.9 }, { kind: 'noise', snr_db: 20 }] }, 'stretch:0.9,noise:20dB'],
  ];
  for (const [aug, key] of cases) {
    assert.equal(describeAugmentation(aug), key);
    assert.equal(describeAugmentation(parseAugmentation(key)), key);
    assert.equal(describeAugmentation(key), key);
  }
  // equivalent spellings collapse to one key
  assert.equal(describeAugmentation('pitch:2'), 'pitch:+2');
  assert.equal(describeAugmentation('pitch:+2/12'), 'pitch:+2');
  assert.equal(describeAugmentation({ kind: 'pitch', steps: 2, bins_per_octave: 12 }), 'pitch:+2');
  assert.equal(describeAugmentation('noise:20'), 'noise:20dB');
  assert.equal(describeAugmentation({ kind: 'gain', db: -0 }), 'gain:+0dB');
  // the recipe has time-stretch, pitch-shift and noise, with distinct keys
  const keys = recipeAugmentations.map((a) => describeAugmentation(a));
  assert.equal(new Set(keys).size, keys.length);
  for (const k of ['stretch', 'pitch', 'noise']) assert.ok(recipeAugmentations.some((a) => a.kind === k));
});

test('invalid descriptors and keys throw SerError naming the problem', () => {
  const bads: unknown[] = [
    { kind: 'stretch', rate: 0 },
    { kind: 'stretch', rate: -1 },
    { kind: 'stretch', rate: NaN },
    { kind: 'stretch', rate: 1e-9 },
    { kind: 'stretch', rate: 65 },
    { kind: 'pitch', steps: 73 },
    { kind: 'pitch', steps: -145, bins_per_octave: 24 },
    { kind: 'pitch', steps: Infinity },
    { kind: 'pitch', steps: 1, bins_per_octave: 0 },
    { kind: 'noise', snr_db: 'x' },
    { kind: 'noise', snr_db: 10, seed: 1.5 },
    { kind: 'shift', seconds: 1, mode: 'x' },
    { kind: 'reverse' },
    { kind: 'chain', steps: [{ kind: 'chain', steps: [] }] },
    null,
  ];
  for (const b of bads) assert.throws(() => describeAugmentation(b as Augmentation), SerError, JSON.stringify(b));
  for (const k of ['stretch:', 'stretch:0', 'pitch:up', 'noise:20dB:seed=x', 'reverb:1', 'stretch:0.9,,', '']) assert.throws(() => parseAugmentation(k), (e: unknown) => e instanceof SerError && /augmentation/.test(e.message), k);
  assert.throws(() => applyAugmentation(new Float32Array(10), 0, { kind: 'none' }), SerError);
  assert.throws(() => applyAugmentation(Float32Array.from([0, NaN, 1]), 16000, 'gain:1dB'), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE');
});

test('applyAugmentation: lengths, chain order, input untouched', () => {
  const sr = 16000;
  const y = tone(200, sr, 1);
  const copy = y.slice();
  assert.equal(applyAugmentation(y, sr, { kind: 'stretch', rate: 2 }).length, 8000);
  assert.equal(applyAugmentation(y, sr, 'pitch:-2').length, y.length);
  assert.equal(applyAugmentation(y, sr, 'noise:10dB', 1).length, y.length);
  const chain = applyAugmentation(y, sr, 'stretch:0.5,gain:-6dB');
  assert.equal(chain.length, 32000);
  const direct = applyAugmentation(applyAugmentation(y, sr, 'stretch:0.5'), sr, 'gain:-6dB');
  assert.deepEqual(chain, direct);
  const none = applyAugmentation(y, sr, 'none');
  assert.deepEqual(none, y);
  assert.notEqual(none, y);
  // two noise steps in a chain draw different noise
  const two = applyAugmentation(new Float32Array(1000).fill(0.5), sr, 'noise:0dB,noise:0dB', 4);
  const one = applyAugmentation(new Float32Array(1000).fill(0.5), sr, 'noise:0dB', 4);
  assert.notDeepEqual(two, one);
  assert.deepEqual(y, copy);
});

test('CLI option parsing: order, exclusivity and bad values (no process spawned)', async () => {
  const { augmentationFromOptions } = await import('../../src/cli/commands/augment.js');
  assert.equal(describeAugmentation(augmentationFromOptions({ noiseSnr: '20', pitch: '-3', stretch: '0.9', gain: '3', shift: '0.1' })), 'stretch:0.9,pitch:-3,gain:+3dB,shift:+0.1s:roll,noise:20dB');
  assert.equal(describeAugmentation(augmentationFromOptions({ pitch: '1', binsPerOctave: '24' })), 'pitch:+1/24');
  assert.equal(describeAugmentation(augmentationFromOptions({ aug: 'noise:5dB,stretch:2' })), 'noise:5dB,stretch:2');
  const bads: Record<string, string>[] = [{}, { stretch: '0' }, { stretch: '-2' }, { stretch: '' }, { pitch: '1e999' }, { aug: 'x' }, { aug: 'stretch:2', pitch: '1' }, { binsPerOctave: '12' }, { pitch: '1', binsPerOctave: '0' }, { shift: '1', shiftMode: 'wrap' }, { shiftMode: 'pad' }, { stretch: '0.001' }, { pitch: '100' }];
  for (const b of bads) assert.throws(() => augmentationFromOptions(b), SerError, JSON.stringify(b));
});
