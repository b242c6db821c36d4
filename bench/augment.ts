/**
 * Augmentation benchmark (`node --import tsx bench/augment.ts [--reps N]`).
 *
 * On a 3-s synthetic speech-like signal (harmonics of a gliding f0 plus a little noise) at 22050
 * and 16000 Hz: per-stage CPU time of timeStretch (stft, phase vocoder, istft), whole
 * timeStretch at rates 0.8 / 1.25, pitchShift ±2, addNoise, and the recipe's three copies.
 * Times are CPU milliseconds of this process (process.cpuUsage), the median over `reps` runs after
 * a warm-up; on a shared machine they drift, so compare figures from the same run only.
 * A benchmark prints figures; it asserts nothing.
 */
import { stft } from '../src/dsp/stft.js';
import { istft } from '../src/dsp/istft.js';
import { phaseVocoder } from '../src/dsp/phase-vocoder.js';
import { addNoise, applyAugmentation, pitchShift, recipeAugmentations, timeStretch, describeAugmentation } from '../src/augment/index.js';

const args = process.argv.slice(2);
const repsArg = args.indexOf('--reps');
const reps = repsArg >= 0 ? Math.max(1, Number(args[repsArg + 1])) : 15;

function speechLike(sr: number, seconds: number): Float32Array {
  const n = Math.round(sr * seconds);
  const y = new Float32Array(n);
  let phase = 0;
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const f0 = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / sr;
    let s = 0;
    for (let h = 1; h <= 12; h++) s += Math.sin(h * phase) / h;
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    y[i] = 0.2 * s * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) + 0.002 * (seed / 2 ** 31);
  }
  return y;
}

function cpuMs(f: () => unknown): number {
  for (let i = 0; i < 3; i++) f();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

for (const sr of [22050, 16000]) {
  const y = speechLike(sr, 3);
  const S = stft(y);
  const P = phaseVocoder(S, { rate: 0.8 });
  console.log(`\n3 s at ${sr} Hz (${y.length} samples, ${S.nFrames} STFT frames); median CPU time over ${reps} runs`);
  console.log(`  stft                 ${fmt(cpuMs(() => stft(y)))}`);
  console.log(`  phaseVocoder 0.8     ${fmt(cpuMs(() => phaseVocoder(S, { rate: 0.8 })))}  (${P.nFrames} frames out)`);
  console.log(`  istft                ${fmt(cpuMs(() => istft(P, { length: Math.round(y.length / 0.8) })))}`);
  console.log(`  timeStretch 0.8      ${fmt(cpuMs(() => timeStretch(y, 0.8)))}`);
  console.log(`  timeStretch 1.25     ${fmt(cpuMs(() => timeStretch(y, 1.25)))}`);
  console.log(`  pitchShift +2        ${fmt(cpuMs(() => pitchShift(y, sr, 2)))}`);
  console.log(`  pitchShift -2        ${fmt(cpuMs(() => pitchShift(y, sr, -2)))}`);
  console.log(`  addNoise 20 dB       ${fmt(cpuMs(() => addNoise(y, 20, 1)))}`);
  let total = 0;
  for (const a of recipeAugmentations) total += cpuMs(() => applyAugmentation(y, sr, a, 1));
  console.log(`  recipe (${recipeAugmentations.map((a) => describeAugmentation(a)).join(', ')}): ${fmt(total)} per clip`);
}
