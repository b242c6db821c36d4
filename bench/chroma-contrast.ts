/**
 * Per-stage timing of tuning estimation, chroma and spectral contrast on a 3-s clip
 * (130 frames × 1025 bins at 22050 Hz). Prints CPU time per call (less sensitive to other
 * processes on a shared machine than wall time) and wall time. Figures only; run:
 *   node --import tsx bench/chroma-contrast.ts [CLIP.wav]
 * Default clip: ../shared/fixtures/librosa-0.11/speech_synth.wav (first 3 s).
 */
import { fileURLToPath } from 'node:url';
import { readFloatWav } from '../test/features/fixtures.js';
import { stft, spectrogramPower } from '../src/dsp/stft.js';
import { estimateTuning, piptrack } from '../src/features/tuning.js';
import { chromaBackend, chromaStft } from '../src/features/chroma.js';
import { contrastBackend, spectralContrast } from '../src/features/contrast.js';

const path = process.argv[2] ?? fileURLToPath(new URL('../../shared/fixtures/librosa-0.11/speech_synth.wav', import.meta.url));
const { y, sr } = readFloatWav(path);
const clip = y.subarray(0, Math.min(y.length, 3 * sr));
const X = stft(clip, { n_fft: 2048, hop_length: 512 });
const P = spectrogramPower(X, 2);
const M = spectrogramPower(X, 1);
console.log(`clip ${path}: ${clip.length} samples @ ${sr} Hz → ${P.rows} frames × ${P.cols} bins`);

function time(label: string, fn: () => unknown, iters = 300): number {
  for (let i = 0; i < 30; i++) fn();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) fn();
  const wall = (performance.now() - t0) / iters;
  const cu = process.cpuUsage(c0);
  const ms = (cu.user + cu.system) / 1000 / iters;
  console.log(`${label.padEnd(38)} ${ms.toFixed(3)} ms cpu  (${wall.toFixed(3)} ms wall)`);
  return ms;
}
const tuning = estimateTuning({ S: P, sr });
time('piptrack (dense output)', () => piptrack({ S: P, sr }));
const a = time('estimateTuning (power S)', () => estimateTuning({ S: P, sr }));
const b = time(`chromaStft (tuning given, ${chromaBackend()})`, () => chromaStft({ S: P, sr, tuning }));
chromaBackend(false);
time('chromaStft (tuning given, js sparse)', () => chromaStft({ S: P, sr, tuning }));
chromaBackend(true);
time('chromaStft (tuning estimated)', () => chromaStft({ S: P, sr }));
const c = time(`spectralContrast (magnitude S, ${contrastBackend()})`, () => spectralContrast({ S: M, sr }));
contrastBackend(false);
time('spectralContrast (magnitude S, js)', () => spectralContrast({ S: M, sr }));
contrastBackend(true);
console.log(`${'total tuning + chroma + contrast'.padEnd(38)} ${(a + b + c).toFixed(3)} ms`);
// Reference loop to compare machines/loads: sum of as many floats as the spectrogram holds.
time('(calibration: sum of n_frames×n_bins f32)', () => {
  let s = 0;
  for (let i = 0; i < P.data.length; i++) s += P.data[i];
  return s;
});
