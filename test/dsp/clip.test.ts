import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitClip, fitClipOffset } from '../../src/dsp/clip.js';
import { applyClip } from '../../src/workers/feature-tasks.js';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

test('fitClip returns the input itself at the exact length', () => {
  const y = ramp(10);
  assert.equal(fitClip(y, 10, 'center', 'both'), y);
});

test('fitClip crops a longer clip from the start or the centre', () => {
  const y = ramp(11);
  assert.deepEqual([...fitClip(y, 4, 'start', 'end')], [1, 2, 3, 4]);
  // centre: floor((11 - 4) / 2) = 3 samples skipped
  assert.deepEqual([...fitClip(y, 4, 'center', 'end')], [4, 5, 6, 7]);
  assert.equal(fitClipOffset(11, 4, 'center'), 3);
  assert.equal(fitClipOffset(11, 4, 'start'), 0);
});

test('fitClip zero-pads a shorter clip at the end or on both sides', () => {
  const y = ramp(3);
  assert.deepEqual([...fitClip(y, 6, 'start', 'end')], [1, 2, 3, 0, 0, 0]);
  // both: floor((6 - 3) / 2) = 1 zero before, 2 after
  assert.deepEqual([...fitClip(y, 6, 'start', 'both')], [0, 1, 2, 3, 0, 0]);
});

test('fitClip keeps every sample of y in order for any length (property)', () => {
  for (let n = 1; n < 40; n += 3) {
    for (let len = 1; len < 40; len += 5) {
      for (const crop of ['start', 'center'] as const) {
        for (const pad of ['end', 'both'] as const) {
          const out = fitClip(ramp(n), len, crop, pad);
          assert.equal(out.length, len);
          const kept = [...out].filter((v) => v !== 0);
          assert.equal(kept.length, Math.min(n, len));
          for (let i = 1; i < kept.length; i++) assert.equal(kept[i], kept[i - 1] + 1); // contiguous run of y
        }
      }
    }
  }
});

test('applyClip is fitClip with pad at the end, in seconds, and refuses a non-positive length', () => {
  const y = ramp(30);
  assert.deepEqual([...applyClip(y, 10, { seconds: 2, align: 'center' })], [...fitClip(y, 20, 'center', 'end')]);
  assert.deepEqual([...applyClip(ramp(5), 10, { seconds: 1 })], [1, 2, 3, 4, 5, 0, 0, 0, 0, 0]);
  assert.throws(() => applyClip(y, 10, { seconds: 0 }), /clip length must be positive/);
});
