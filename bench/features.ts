/**
 * Feature-extraction benchmark (`npm run bench:features [-- --limit N] [-- --clip 3]`).
 *
 * For the RAVDESS FLAC files in ../shared/data/ravdess (1200 files, 48 kHz 16-bit mono):
 * read → decode (native 48 kHz) → resample to 22050 Hz → default feature matrix (227 columns by
 * default). Clips are processed WHOLE (RAVDESS clips are ~3–5 s) unless `--clip S` trims/pads
 * each resampled clip to S seconds before features.
 *
 * Run 1: one worker = in-process, files one after the other, with a per-stage breakdown.
 * Run 2: `--jobs 2` worker threads (wall clock; includes worker start-up and result transfer).
 * Prints ms per file, ms per 3 s of audio, and the real-time factor (processing time / audio
 * time; lower is faster). A benchmark prints figures; it asserts nothing.
 *
 * `--librosa PYTHONPATH [--python EXE]`: also runs librosa 0.11 (bench/librosa_features.py, from a
 * checkout of its public repository on that path, with numpy / scipy / numba / soundfile / soxr)
 * on the same files between two runs of ours, in one thread as ours (OPENBLAS/OMP/MKL/NUMBA thread
 * counts 1: as fast as the default two threads on an idle machine, and not slowed further when other
 * load makes those threads contend), and prints the speed ratio of that same run (totals and
 * per-file medians) — a figure the drift of this shared machine does not move as it moves absolute
 * times.
 */
import { readdirSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { runFeatureTask, type MatrixTask, type MatrixResult, type FeatureResult, type FeatureTask, type ClipPolicy } from '../src/workers/feature-tasks.js';
import { createPool, workerUrl } from '../src/util/pool.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const limit = opt('--limit') ? Number(opt('--limit')) : Infinity;
const clip: ClipPolicy | undefined = opt('--clip') ? { seconds: Number(opt('--clip')) } : undefined;
const jobs2 = Number(opt('--jobs') ?? 2);
/** PYTHONPATH holding librosa (a checkout of its public repository) and its dependencies: runs it on the same files. */
const librosaPath = opt('--librosa');
const python = opt('--python') ?? 'python3';
const root = fileURLToPath(new URL('../../shared/data/ravdess/', import.meta.url));
if (!existsSync(root)) {
  console.error(`bench:features: ${root} not found (the shared RAVDESS data sits beside the repo)`);
  process.exit(1);
}
const files: string[] = [];
for (const actor of readdirSync(root).sort()) {
  if (!actor.startsWith('Actor_')) continue;
  for (const f of readdirSync(join(root, actor)).sort()) if (f.endsWith('.flac')) files.push(join(root, actor, f));
}
const selected = files.slice(0, Math.min(files.length, limit));
const SR = 22050;
const tasks: MatrixTask[] = selected.map((file) => ({ kind: 'matrix', file, sr: SR, clip }));

console.log(`bench:features — ${selected.length} RAVDESS FLAC files (48 kHz → ${SR} Hz), ${clip ? `clips trimmed/padded to ${clip.seconds} s` : 'whole clips (not trimmed or padded)'}`);
console.log(`node ${process.version}, ${availableParallelism()} cores available`);

// warm-up (JIT, filter-bank and FFT caches), not counted
await runFeatureTask(tasks[0]);

// ---- run 1: one worker (in-process) ----
const sum = { read: 0, decode: 0, resample: 0, features: 0, audioSec: 0 };
const cpu = { read: 0, decode: 0, resample: 0, features: 0 };
let cols = 0;
let failed = 0;
const t1 = performance.now();
const c1 = process.cpuUsage();
/** Each file's wall time per 3 s of its audio (for the median / p10 line). */
const perFile: number[] = [];
for (const t of tasks) {
  try {
    const tf = performance.now();
    const r = (await runFeatureTask(t)) as MatrixResult;
    perFile.push(((performance.now() - tf) / r.duration) * 3);
    sum.read += r.times.readMs;
    sum.decode += r.times.decodeMs;
    sum.resample += r.times.resampleMs;
    sum.features += r.times.featuresMs;
    sum.audioSec += r.duration;
    cpu.read += r.times.cpu.read;
    cpu.decode += r.times.cpu.decode;
    cpu.resample += r.times.cpu.resample;
    cpu.features += r.times.cpu.features;
    cols = r.features.cols;
  } catch (err) {
    failed++;
    console.error(`  failed: ${(err as Error).message}`);
  }
}
const wall1 = performance.now() - t1;
const cpuTotal1 = (() => {
  const u = process.cpuUsage(c1);
  return (u.user + u.system) / 1000;
})();
const n = tasks.length - failed;
const per3 = (ms: number) => (ms / sum.audioSec) * 3;
const fmt = (x: number, d = 2) => x.toFixed(d);

console.log(`\n1 worker: ${n} files, ${fmt(sum.audioSec, 1)} s of audio (mean ${fmt(sum.audioSec / n, 2)} s/file at ${SR} Hz), ${cols} feature columns`);
console.log(`  total     ${fmt(wall1 / n)} ms/file   ${fmt(per3(wall1))} ms per 3 s of audio   RTF ${(wall1 / 1000 / sum.audioSec).toExponential(2)}   (${fmt(wall1 / 1000, 1)} s wall)`);
perFile.sort((a, b) => a - b);
const q = (p: number) => perFile[Math.min(perFile.length - 1, Math.floor(p * perFile.length))];
console.log(`  per file  median ${fmt(q(0.5))}, p10 ${fmt(q(0.1))}, p90 ${fmt(q(0.9))} ms per 3 s of audio   (each file's wall time over its own audio: the median is less sensitive to bursts of other load on a shared machine than the total)`);
console.log(`  CPU time  ${fmt(cpuTotal1 / n)} ms/file   ${fmt(per3(cpuTotal1))} ms per 3 s of audio   (process CPU, unaffected by other load; includes GC threads)`);
console.log('  breakdown per 3 s of audio:       wall ms      CPU ms');
const row = (name: string, w: number, c: number) => console.log(`    ${name.padEnd(12)} ${fmt(per3(w), 3).padStart(12)} ${fmt(per3(c), 3).padStart(11)}`);
row('read file', sum.read, cpu.read);
row('decode FLAC', sum.decode, cpu.decode);
row('resample', sum.resample, cpu.resample);
row('features', sum.features, cpu.features);
row('other', wall1 - sum.read - sum.decode - sum.resample - sum.features, cpuTotal1 - cpu.read - cpu.decode - cpu.resample - cpu.features);
console.log("    (the issue's target: 5× librosa's speed in one worker, written as ≤ 2.7 ms per 3-s clip against its librosa reference of 13.6 ms;");
console.log("     --librosa times librosa on these files in this run, which is the ratio this shared machine's drift leaves alone)");

// ---- optional: librosa on the same files, between two in-process runs of ours (A-B-A) ----
if (librosaPath !== undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-'));
  const list = join(dir, 'files.txt');
  writeFileSync(list, selected.join('\n') + '\n');
  const script = fileURLToPath(new URL('./librosa_features.py', import.meta.url));
  // one thread for numpy's BLAS and numba, like this project's one worker: on an idle machine librosa
  // runs as fast so (measured), and other load then does not slow its threads against each other
  const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', NUMBA_NUM_THREADS: '1' };
  const r = spawnSync(python, [script, list], { env: { ...process.env, ...oneThread, PYTHONPATH: librosaPath }, encoding: 'utf8', maxBuffer: 1 << 20 });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) {
    console.error(`\nlibrosa run failed (${python} ${script}, PYTHONPATH=${librosaPath}):\n${(r.stderr || r.error?.message || '').trim().split('\n').slice(-5).join('\n')}`);
  } else {
    const L = JSON.parse(r.stdout.trim().split('\n').pop()!) as { files: number; audio_s: number; load_s: number; features_s: number; columns: number; per_file_median_ms_per_3s: number; librosa: string };
    const lp3 = (sec: number) => (sec * 1000 * 3) / L.audio_s;
    // ours again, right after librosa
    let wallB = 0;
    let audioB = 0;
    const perFileB: number[] = [];
    for (const t of tasks) {
      const tf = performance.now();
      const res = (await runFeatureTask(t)) as MatrixResult;
      const dt = performance.now() - tf;
      wallB += dt;
      audioB += res.duration;
      perFileB.push((dt / res.duration) * 3);
    }
    perFileB.sort((a, b) => a - b);
    const medB = perFileB[Math.floor(perFileB.length / 2)];
    const oursA = per3(wall1);
    const oursB = (wallB / audioB) * 3;
    const ours = (oursA + oursB) / 2;
    const theirs = lp3(L.load_s + L.features_s);
    console.log(`\nlibrosa ${L.librosa} on the same ${L.files} files (${python}, one BLAS/numba thread; load = soundfile + soxr_hq to ${SR} Hz; the recipe's five blocks, ${L.columns} columns, each call with its own STFT):`);
    console.log(`  total     ${fmt(theirs)} ms per 3 s of audio   (load ${fmt(lp3(L.load_s))}, features ${fmt(lp3(L.features_s))})`);
    console.log(`  this project, one worker, before and after it: ${fmt(oursA)} / ${fmt(oursB)} ms per 3 s → ${fmt(theirs / ours, 1)}× librosa's speed in this run (the issue's target: 5×)`);
    const medL = L.per_file_median_ms_per_3s;
    console.log(`  per-file medians: librosa ${fmt(medL)}, this project ${fmt(q(0.5))} / ${fmt(medB)} ms per 3 s → ${fmt(medL / ((q(0.5) + medB) / 2), 1)}× (less sensitive to bursts of other load)`);
  }
}

// ---- run 2: N worker threads ----
const pool = createPool<FeatureTask, FeatureResult>({ workerUrl: workerUrl(import.meta.url, '../src/workers/features.worker'), size: jobs2 });
const tStart = performance.now();
await pool.ready();
await Promise.all(Array.from({ length: 2 * jobs2 }, (_, i) => pool.run(tasks[i % tasks.length]))); // start-up + warm-up, reported separately
const startMs = performance.now() - tStart; // includes pool.ready()
const t2 = performance.now();
const c2 = process.cpuUsage();
let n2 = 0;
for await (const r of pool.map(tasks)) if (r.ok) n2++;
const wall2 = performance.now() - t2;
const cpuTotal2 = (() => {
  const u = process.cpuUsage(c2);
  return (u.user + u.system) / 1000;
})();
await pool.close();
console.log(`\n${jobs2} workers: ${n2} files`);
console.log(`  total     ${fmt(wall2 / n2)} ms/file   ${fmt(per3(wall2))} ms per 3 s of audio   RTF ${(wall2 / 1000 / sum.audioSec).toExponential(2)}   (${fmt(wall2 / 1000, 1)} s wall; speed-up ×${fmt(wall1 / wall2)})`);
console.log(`  CPU time (all threads) ${fmt(per3(cpuTotal2))} ms per 3 s of audio`);
console.log(`  worker start-up + warm-up: ${fmt(startMs, 0)} ms (not included)`);
const la = (await import('node:os')).loadavg();
console.log(`\nload average during the run: ${la.map((x) => x.toFixed(1)).join(' ')} (on ${availableParallelism()} cores: wall times above are inflated when it exceeds the core count)`);
