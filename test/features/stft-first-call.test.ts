// The very first STFT of a process already uses the resident WebAssembly path (the kernel module's
// memory layout is known only once the module is loaded; a size check ran before that and sent
// the first call of every process and worker to the slower fallback). Its own file: a fresh
// process in which nothing has loaded the module yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { powerSpectrogram, transientPowerSpectrogram } from '../../src/dsp/stft.js';

test('the first transientPowerSpectrogram of a process is resident (row maxima known) and equals the copied-out spectrogram', () => {
  const y = new Float32Array(22050);
  for (let i = 0; i < y.length; i++) y[i] = Math.sin((2 * Math.PI * 440 * i) / 22050) + 0.1 * Math.sin(i);
  const r = transientPowerSpectrogram(y, { n_fft: 2048, hop_length: 512 });
  assert.ok(r.rowMax !== null, 'resident path taken on the first call');
  assert.equal(r.finite, true);
  const P = powerSpectrogram(y, { n_fft: 2048, hop_length: 512 });
  assert.deepEqual(Array.from(r.power.data), Array.from(P.data));
  for (let t = 0; t < P.rows; t++) {
    let m = -Infinity;
    for (let k = 0; k < P.cols; k++) m = Math.max(m, P.data[t * P.cols + k]);
    assert.equal(r.rowMax![t], m, `row ${t} maximum`);
  }
});
