/**
 * Micro-benchmark of the feature core on a 3-s clip at 22050 Hz (66150 samples, 130 frames), and of
 * the resampler on the same kind of clip at 48 kHz:
 * ms per clip for each stage, warm, best of several rounds (the machine is shared; the minimum is
 * the least disturbed figure; process CPU time is printed too, as it is less inflated by other
 * processes than wall time). Run: node --import tsx bench/features-core.ts [rounds]
 */
import { realFft } from '../src/dsp/fft.js';
import { resample } from '../src/dsp/resample.js';
import { setWasmTwoStageFusedDisabled } from '../src/dsp/resample-wasm.js';
import { powerSpectrogram, transientPowerSpectrogram } from '../src/dsp/stft.js';
import { setWasmStftDisabled, wasmStftAvailable } from '../src/dsp/stft-wasm.js';
import {
  applyFilterbank,
  delta,
  extractFeatures,
  melFilterbankSparse,
  mfcc,
  powerToDb,
  rms,
  zeroCrossingRate,
  chromaStft,
  estimateTuning,
  spectralContrastFromPower,
} from '../src/features/index.js';

const sr = 22050;
const n = 3 * sr;
let seed = 12345;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
// a voiced-like signal: harmonics of a gliding f0 plus noise, amplitude-modulated
function voiced(rate: number): Float32Array {
  const len = 3 * rate;
  const out = new Float32Array(len);
  let ph = 0;
  for (let i = 0; i < len; i++) {
    const f0 = 120 + 40 * Math.sin((2 * Math.PI * i) / len);
    ph += (2 * Math.PI * f0) / rate;
    let s = 0;
    for (let h = 1; h <= 12; h++) s += Math.sin(h * ph) / h;
    out[i] = (0.3 * s + 0.02 * rnd()) * (0.6 + 0.4 * Math.sin((2 * Math.PI * 3 * i) / rate));
  }
  return out;
}
const y = voiced(sr);
const y48 = voiced(48000);

const rounds = Number(process.argv[2] ?? 15);
let load: number | undefined;
function time(label: string, fn: () => unknown, inner = 10): number {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    const wall = (performance.now() - t0) / inner;
    const c = process.cpuUsage(c0);
    best = Math.min(best, wall);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000 / inner);
  }
  const idle = typeof load === 'number' ? `   idle≈ ${(best / load).toFixed(3)} ms` : '';
  console.log(`${label.padEnd(48)} wall ${best.toFixed(3)} ms   cpu ${bestCpu.toFixed(3)} ms${idle}`);
  return best;
}

const useWasm = !process.argv.includes('--js');
setWasmStftDisabled(!useWasm);
console.log(`kernels: ${useWasm && wasmStftAvailable() ? 'WebAssembly SIMD' : 'JS'} (pass --js for the JS path)`);
// Calibration: fft.js (a dependency) was measured at 82k real 2048-point transforms/s on an idle
// machine of this type (../shared/ECOSYSTEM.md). Timing it here gives a load factor for the run.
import FFT from 'fft.js';
const ref = new FFT(2048);
const refOut = ref.createComplexArray() as number[];
const refIn = Array.from({ length: 2048 }, () => rnd());
const refPow = new Float32Array(1025);
const refFftMs = time('calibration: fft.js realTransform + power', () => {
  ref.realTransform(refOut, refIn);
  for (let k = 0; k <= 1024; k++) refPow[k] = refOut[2 * k] ** 2 + refOut[2 * k + 1] ** 2;
}, 2000);
load = refFftMs / (1 / 82000 * 1000);
console.log(`  → load factor ${load.toFixed(2)} (fft.js ${(1 / refFftMs).toFixed(0)}k/s here vs 82k/s idle); "idle≈" = wall / load factor`);
const P = powerSpectrogram(y, { n_fft: 2048, hop_length: 512 });
console.log(`clip: ${n} samples, ${P.rows} frames × ${P.cols} bins`);
const fft = realFft(2048);
const frame = new Float64Array(2048).map(() => rnd());
const pw = new Float32Array(1025);
const perFft = time('realFft(2048).forwardPower × 1 (µs below)', () => fft.forwardPower(frame, pw), 2000);
console.log(`  → ${(perFft * 1000).toFixed(2)} µs per 2048-point real FFT, ${(1 / perFft).toFixed(0)}k/s`);
const fb = melFilterbankSparse({ sr, n_fft: 2048, n_mels: 128 });
const mel = applyFilterbank(P, fb);
const db = powerToDb(mel);
const m = mfcc({ S: db, n_mfcc: 40 });
const rowMax = transientPowerSpectrogram(y, { n_fft: 2048, hop_length: 512 }).rowMax ?? undefined;
// the stages of extractFeatures' default blocks, each on its own (warm, as in the pipeline)
const tStft = time('STFT → power spectrogram (copied out)', () => powerSpectrogram(y, { n_fft: 2048, hop_length: 512 }));
const tRes = time('STFT → power (resident view, as extractFeatures)', () => transientPowerSpectrogram(y, { n_fft: 2048, hop_length: 512 }));
const tMel = time('mel filterbank (sparse, 128 bands)', () => applyFilterbank(P, fb));
const tDb = time('power_to_db', () => powerToDb(mel));
const tMfcc = time('mfcc (DCT-II ortho, 40)', () => mfcc({ S: db, n_mfcc: 40 }));
const tDelta = time('delta (width 9, order 1)', () => delta(m, { width: 9 }));
const tTun = time('estimateTuning (frame maxima given)', () => estimateTuning({ S: P, sr, n_fft: 2048, rowMax }), 3);
const tChroma = time('chromaStft (tuning given)', () => chromaStft({ S: P, sr, n_fft: 2048, tuning: 0 }), 3);
const tCon = time('spectral contrast (from the power)', () => spectralContrastFromPower({ S: P, sr, n_fft: 2048 }), 3);
time('rms (from y; not a default block)', () => rms({ y }));
time('zcr (not a default block)', () => zeroCrossingRate(y));
time('resample 48 kHz → 22050 Hz (3 s, two-stage)', () => resample(y48, 48000, 22050));
// A/B: the same two stages as two calls through a JS array (the path before the fused one)
time('resample 48 kHz → 22050 Hz (3 s, stages unfused)', () => {
  setWasmTwoStageFusedDisabled(true);
  try {
    return resample(y48, 48000, 22050);
  } finally {
    setWasmTwoStageFusedDisabled(false);
  }
});
const parts = tRes + tMel + tDb + tMfcc + tDelta + tTun + tChroma + tCon;
console.log(`sum of the default pipeline's stages: ${parts.toFixed(3)} ms${load ? ` (idle≈ ${(parts / load).toFixed(3)} ms)` : ''}`);
time('extractFeatures blocks mfcc,mfcc_delta,logmel', () => extractFeatures(y, sr, { blocks: ['mfcc', 'mfcc_delta', 'logmel_db'] }));
time('extractFeatures default (227 columns)', () => extractFeatures(y, sr), 3);
void tStft;
