/**
 * Micro-benchmark of audio decoding and resampling (prints figures; not a test).
 *   npm run bench:decode [-- N_FILES]    (= node --import tsx bench/decode.ts [N_FILES])
 * Reads ../shared/data/ravdess (FLAC) and ../shared/data/ravdess-wav. Reports wall and CPU time
 * per file after warm-up, FLAC decoding by the JS and the WebAssembly decoder in the same run; the
 * machine is shared, so compare figures from the same run only.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFlac, decodeFlacJs } from '../src/audio/flac.js';
import { flacWasmStats } from '../src/audio/flac-wasm.js';
import { decodeWav } from '../src/audio/wav.js';
import { resample } from '../src/dsp/resample.js';
import { setWasmResampleDisabled } from '../src/dsp/resample-wasm.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const nFiles = Number(process.argv[2] ?? 60);
const flacDir = SHARED + 'data/ravdess/Actor_01/';
const wavDir = SHARED + 'data/ravdess-wav/Actor_01/';
if (!existsSync(flacDir)) {
  console.error('needs ../shared/data/ravdess');
  process.exit(1);
}
const flacs = readdirSync(flacDir).slice(0, nFiles).map((f) => new Uint8Array(readFileSync(flacDir + f)));
const wavs = readdirSync(wavDir).map((f) => new Uint8Array(readFileSync(wavDir + f)));

/**
 * Runs fn reps times after a warm-up and prints the fastest and the median wall time divided by
 * `per`, plus the median CPU time. On a shared, loaded machine the minimum is the figure least
 * disturbed by other processes.
 */
function measure(label: string, per: number, fn: () => void, reps = 5): void {
  fn(); // warm-up
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    walls.push((performance.now() - t0) / per);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000 / per);
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} wall ${walls[0].toFixed(3)} ms (median ${walls[reps >> 1].toFixed(3)}), cpu median ${cpus[reps >> 1].toFixed(3)} ms`);
}

let samples = 0;
for (const f of flacs) samples += decodeFlac(f, 'x').channels[0].length;
console.log(`${flacs.length} FLAC files, mean ${(samples / flacs.length / 48000).toFixed(2)} s at 48 kHz`);
// Per file, the fastest of 15 runs (short runs are the least disturbed by other processes), summed;
// the JS and the WebAssembly decoders interleaved file by file, so both see the same machine load.
{
  const bestJs = new Array(flacs.length).fill(Infinity);
  const bestWasm = new Array(flacs.length).fill(Infinity);
  const before = flacWasmStats.decoded;
  for (let r = 0; r < 15; r++) {
    for (let j = 0; j < flacs.length; j++) {
      let t0 = performance.now();
      decodeFlacJs(flacs[j], 'x');
      bestJs[j] = Math.min(bestJs[j], performance.now() - t0);
      t0 = performance.now();
      decodeFlac(flacs[j], 'x');
      bestWasm[j] = Math.min(bestWasm[j], performance.now() - t0);
    }
  }
  if (flacWasmStats.decoded - before !== 15 * flacs.length) console.log('note: the wasm decoder declined some files (JS fallback timed)');
  const per3s = (best: number[]) => {
    const tot = best.reduce((a, b) => a + b, 0);
    return `${((tot * 144000) / samples).toFixed(3)} ms (${((tot * 1e6) / samples).toFixed(1)} ns/sample)`;
  };
  const tj = bestJs.reduce((a, b) => a + b, 0);
  const tw = bestWasm.reduce((a, b) => a + b, 0);
  console.log(`${'FLAC decode, JS decoder, per 3 s of audio (min per file)'.padEnd(64)} ${per3s(bestJs)}`);
  console.log(`${'FLAC decode, wasm decoder (decodeFlac), per 3 s (min per file)'.padEnd(64)} ${per3s(bestWasm)}`);
  console.log(`${'FLAC decode speed-up, wasm vs JS (same run)'.padEnd(64)} ${(tj / tw).toFixed(2)}x`);
}
measure('WAV decode (own), per file', wavs.length, () => {
  for (const w of wavs) decodeWav(w, 'x');
});

const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
const dec = new FLACDecoder();
await dec.ready;
const wasmFiles = flacs.slice(0, 20);
const t0 = performance.now();
for (let r = 0; r < 2; r++) for (const f of wasmFiles) {
  await dec.decode(f);
  await dec.reset();
}
console.log(`${'FLAC decode (@wasm-audio-decoders/flac), per file'.padEnd(46)} wall ${((performance.now() - t0) / (2 * wasmFiles.length)).toFixed(3)} ms (incl. reset)`);
dec.free();

const y = decodeFlac(flacs[0], 'x').channels[0];
const sec = y.length / 48000;
console.log(`resampling ${sec.toFixed(2)} s of 48 kHz speech; figures per 3 s of input`);
const per = sec / 3;
for (const [t, q] of [[22050, 'hq'], [22050, 'fast'], [16000, 'hq'], [44100, 'hq']] as const) {
  measure(`resample 48000→${t} ${q}`, per, () => resample(y, 48000, t, { quality: q }), 15);
}
measure('resample 48000→22050 hq single-stage', per, () => resample(y, 48000, 22050, { twoStage: false }), 15);
setWasmResampleDisabled(true);
measure('resample 48000→22050 hq, JS only (no wasm)', per, () => resample(y, 48000, 22050), 9);
setWasmResampleDisabled(false);
const y22 = resample(y, 48000, 22050);
measure(`resample pitch-shift 22050/2^(2/12)→22050 (per 3 s)`, (y22.length / 22050) / 3, () => resample(y22, 22050 / 2 ** (2 / 12), 22050), 9);
