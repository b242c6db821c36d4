/**
 * Feature-core benchmark on REAL speech: N RAVDESS clips (default 200, spread over the actors) are
 * decoded and resampled to 22050 Hz once, into memory; then extractFeatures (default 227 columns)
 * is timed cycling through them, best of several rounds. Prints ms per 3 s of audio (wall and
 * process CPU). Synthetic signals (bench/features-core.ts) under-state the cost of the
 * data-dependent kernels (contrast selection, peak picking), hence this script.
 *
 *   npm run bench:features-real -- [--n 200] [--rounds 5] [--stages]
 *        [--save FILE | --compare FILE]
 *
 * --stages   also times each stage of the default pipeline on the same clips
 * --save     writes every clip's feature matrix (float32, concatenated) to FILE
 * --compare  reads such a FILE and prints, per block, the largest absolute change and the largest
 *            change relative to that block's max |value| in the clip (to check that a kernel
 *            change keeps the values at float32-rounding level)
 * A benchmark prints figures; it asserts nothing.
 */
import { readdirSync, existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudioSync } from '../src/audio/load.js';
import { transientPowerSpectrogram } from '../src/dsp/stft.js';
import {
  applyFilterbank,
  chromaStft,
  delta,
  estimateTuning,
  extractFeatures,
  featureColumns,
  melFilterbankSparse,
  mfcc,
  powerToDb,
  spectralContrastFromPower,
} from '../src/features/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(opt('--n') ?? 200);
const rounds = Number(opt('--rounds') ?? 5);
const root = fileURLToPath(new URL('../../shared/data/ravdess/', import.meta.url));
if (!existsSync(root)) {
  console.error(`bench:features-real: ${root} not found (the shared RAVDESS data sits beside the repo)`);
  process.exit(1);
}
const files: string[] = [];
for (const actor of readdirSync(root).sort()) {
  if (!actor.startsWith('Actor_')) continue;
  for (const f of readdirSync(join(root, actor)).sort()) if (f.endsWith('.flac')) files.push(join(root, actor, f));
}
const step = Math.max(1, Math.floor(files.length / N));
const chosen = files.filter((_, i) => i % step === 0).slice(0, N);
const SR = 22050;
const clips = chosen.map((f) => loadAudioSync(f, { sr: SR }).y);
const audioSec = clips.reduce((s, y) => s + y.length, 0) / SR;
console.log(`${clips.length} RAVDESS clips at ${SR} Hz, ${audioSec.toFixed(1)} s of audio`);

/** Best-of-rounds ms per 3 s of audio of fn over every clip (after one warm-up pass). */
function time(label: string, fn: (y: Float32Array, i: number) => unknown): number {
  clips.forEach((y, i) => fn(y, i));
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < clips.length; i++) fn(clips[i], i);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    best = Math.min(best, wall);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  const per3 = (ms: number) => (ms / audioSec) * 3;
  console.log(`${label.padEnd(44)} ${per3(best).toFixed(3)} ms per 3 s (cpu ${per3(bestCpu).toFixed(3)})`);
  return per3(best);
}

time('extractFeatures default (227 columns)', (y) => extractFeatures(y, SR));

if (args.includes('--stages')) {
  // every stage on the clip's own spectrogram; the spectrogram is recomputed (resident view) per
  // clip, so the STFT line is subtracted mentally from the others
  const fb = melFilterbankSparse({ sr: SR, n_fft: 2048, n_mels: 128 });
  const stft = (y: Float32Array) => transientPowerSpectrogram(y, { n_fft: 2048, hop_length: 512 });
  const tS = time('STFT (resident)', stft);
  const tunings = clips.map((y) => {
    const r = stft(y);
    return estimateTuning({ S: r.power, sr: SR, n_fft: 2048, rowMax: r.rowMax ?? undefined });
  });
  const st = (label: string, f: (r: ReturnType<typeof stft>, i: number) => unknown) => {
    const t = time(`STFT + ${label}`, (y, i) => f(stft(y), i));
    console.log(`${''.padEnd(44)} → ${label} ≈ ${(t - tS).toFixed(3)}`);
  };
  st('mel', (r) => applyFilterbank(r.power, fb));
  st('mel+db+mfcc+delta', (r) => delta(mfcc({ S: powerToDb(applyFilterbank(r.power, fb), { top_db: 80 }), n_mfcc: 40 }), { width: 9 }));
  st('tuning', (r) => estimateTuning({ S: r.power, sr: SR, n_fft: 2048, rowMax: r.rowMax ?? undefined }));
  st('chroma (tuning given)', (r, i) => chromaStft({ S: r.power, sr: SR, n_fft: 2048, tuning: tunings[i] }));
  st('contrast', (r) => spectralContrastFromPower({ S: r.power, sr: SR, n_fft: 2048 }));
}

const save = opt('--save');
const compare = opt('--compare');
if (save || compare) {
  const mats = clips.map((y) => extractFeatures(y, SR));
  const total = mats.reduce((s, m) => s + m.data.length, 0);
  if (save) {
    const all = new Float32Array(total);
    let o = 0;
    for (const m of mats) {
      all.set(m.data, o);
      o += m.data.length;
    }
    writeFileSync(save + '.tmp', new Uint8Array(all.buffer));
    renameSync(save + '.tmp', save);
    console.log(`saved ${mats.length} feature matrices (${total} values) to ${save}`);
  }
  if (compare) {
    const b = readFileSync(compare);
    const old = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    if (old.length !== total) throw new Error(`${compare}: ${old.length} values, expected ${total}`);
    const cols = featureColumns();
    const blockOf = cols.map((c) => c.replace(/_\d+$/, ''));
    const names = [...new Set(blockOf)];
    const worstAbs = new Map<string, number>();
    const worstRel = new Map<string, number>();
    let changed = 0;
    let o = 0;
    for (const m of mats) {
      const maxAbs = new Map<string, number>();
      for (let i = 0; i < m.data.length; i++) {
        const nm = blockOf[i % m.cols];
        maxAbs.set(nm, Math.max(maxAbs.get(nm) ?? 0, Math.abs(old[o + i])));
      }
      for (let i = 0; i < m.data.length; i++) {
        const nm = blockOf[i % m.cols];
        const d = Math.abs(m.data[i] - old[o + i]);
        if (d !== 0 || Number.isNaN(d)) changed++;
        worstAbs.set(nm, Math.max(worstAbs.get(nm) ?? 0, d));
        worstRel.set(nm, Math.max(worstRel.get(nm) ?? 0, d / Math.max(maxAbs.get(nm) ?? 0, 1e-30)));
      }
      o += m.data.length;
    }
    console.log(`vs ${compare}: ${changed} of ${total} values differ`);
    for (const nm of names) console.log(`  ${nm.padEnd(12)} max |Δ| ${(worstAbs.get(nm) ?? 0).toExponential(2)}   max |Δ| / max|block| ${(worstRel.get(nm) ?? 0).toExponential(2)}`);
  }
}
