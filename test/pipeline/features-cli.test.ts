import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tones, writeWav16, SHARED } from './helpers.js';
import { decodeNpyMatrix } from '../../src/io/featfile.js';
import { runFeatures, type FeaturesOptions } from '../../src/cli/commands/features.js';
import { SerError } from '../../src/errors.js';

/** Runs the command in-process (the spawned CLI is tested separately), capturing its output. */
async function runIn(args: string[], opts: FeaturesOptions): Promise<{ failed: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => ({ write: (c: string | Uint8Array) => (f(String(c)), true) }) as unknown as NodeJS.WritableStream;
  const failed = await runFeatures(args, { progress: false, ...opts }, { stdout: sink((c) => (stdout += c)), stderr: sink((c) => (stderr += c)) });
  return { failed, stdout, stderr };
}

const SR = 22050;
const HOP = 512;
let dir: string;
const files: string[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ser-features-'));
  // 1 s of A4 (440 Hz) at amplitude 0.5; three more different clips for the multi-file tests.
  const specs: [number, number, [number, number][]][] = [
    [SR, 1.0, [[440, 0.5]]],
    [SR, 0.7, [[220, 0.3], [1320, 0.1]]],
    [16000, 1.3, [[300, 0.4]]], // resampled to 22050
    [SR, 2.0, [[660, 0.2], [95, 0.2]]],
  ];
  specs.forEach(([sr, sec, parts], i) => {
    const p = join(dir, `clip${i}.wav`);
    writeWav16(p, tones(sr, sec, parts), sr);
    files.push(p);
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ROWS: Record<string, number> = { mel_power: 128, logmel_db: 128, mfcc: 40, mfcc_delta: 40, mfcc_delta2: 40, chroma_stft: 12, spectral_contrast: 7, rms: 1, zcr: 1 };

test('--json on one file: librosa names, [rows, frames] orientation, values of a 440 Hz sine', async () => {
  const r = await runCli(['features', files[0], '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const frames = 1 + Math.floor(SR / HOP); // center=True: 44
  assert.equal(j.file, files[0]);
  assert.equal(j.sr, SR);
  assert.equal(j.n_fft, 2048);
  assert.equal(j.hop_length, HOP);
  assert.equal(j.frames, frames);
  assert.equal(typeof j.tuning, 'number');
  assert.deepEqual(Object.keys(j.features).sort(), Object.keys(ROWS).sort());
  for (const [name, rows] of Object.entries(ROWS)) {
    const f = j.features[name];
    assert.deepEqual(f.shape, [rows, frames], name);
    assert.equal(f.data.length, rows, name);
    for (const row of f.data) assert.equal(row.length, frames, name);
  }
  // Orientation checks with closed-form values, away from the padded edges:
  // rms of a sine of amplitude 0.5 is 0.5/√2; zero-crossing rate is 2·440/22050 per sample;
  // chroma peaks at pitch class A (index 9, C = 0) with value 1 (inf-norm).
  const mid = Math.floor(frames / 2);
  assert.ok(Math.abs(j.features.rms.data[0][mid] - 0.5 / Math.SQRT2) < 2e-3, `rms ${j.features.rms.data[0][mid]}`);
  assert.ok(Math.abs(j.features.zcr.data[0][mid] - (2 * 440) / SR) < 2e-3, `zcr ${j.features.zcr.data[0][mid]}`);
  const chroma = j.features.chroma_stft.data.map((row: number[]) => row[mid]);
  assert.equal(chroma.indexOf(Math.max(...chroma)), 9);
  assert.ok(Math.abs(Math.max(...chroma) - 1) < 1e-6);
  // mel band holding 440 Hz dominates that frame
  const mel = j.features.mel_power.data.map((row: number[]) => row[mid]);
  const peak = mel.indexOf(Math.max(...mel));
  assert.ok(peak > 5 && peak < 30, `mel peak band ${peak}`);
});

test('--json end to end matches every librosa fixture: shapes, {error} blocks, values, tuning', async (t) => {
  const fxDir = join(SHARED, 'fixtures/librosa-0.11');
  if (!existsSync(fxDir)) {
    t.skip('shared fixtures absent');
    return;
  }
  const names = readdirSync(fxDir).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  assert.ok(names.length >= 5);
  for (const name of names) {
    const fx = JSON.parse(readFileSync(join(fxDir, `${name}.json`), 'utf8'));
    const r = await runIn([join(fxDir, `${name}.wav`)], { json: true, sr: 'native' });
    assert.equal(r.failed, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.sr, fx.sr, name);
    const fxTuning = typeof fx.features.tuning === 'number' ? fx.features.tuning : fx.features.tuning.data;
    assert.ok(Math.abs(j.tuning - fxTuning) < 1e-6, `${name} tuning ${j.tuning} vs ${fxTuning}`);
    for (const block of Object.keys(ROWS)) {
      const want = fx.features[block];
      if ('error' in want) {
        assert.equal(typeof j.features[block].error, 'string', `${name} ${block}`);
        continue;
      }
      assert.deepEqual(j.features[block].shape, want.shape, `${name} ${block}`);
      // worst error relative to the block's largest magnitude (float32 pipeline vs librosa's float64/32)
      let scale = 0;
      for (const row of want.data as number[][]) for (const v of row) scale = Math.max(scale, Math.abs(v));
      let worst = 0;
      (want.data as number[][]).forEach((row, i) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs(j.features[block].data[i][k] - v)))));
      assert.ok(worst <= 1e-4 * Math.max(scale, 1e-6), `${name} ${block}: worst error ${worst} (scale ${scale})`);
    }
  }
});

test('summary lines without --json/--out; several files with --json give an array in order', async () => {
  const r = await runIn([files[0], files[2]], {});
  assert.equal(r.failed, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /clip0\.wav: 1\.000 s at 22050 Hz, 44 frames x \d+ features/);
  assert.match(lines[1], /clip2\.wav: 1\.300 s at 22050 Hz \(from 16000 Hz\), 56 frames x \d+ features/);
  const rj = await runIn([files[1], files[0]], { json: true });
  assert.equal(rj.failed, 0, rj.stderr);
  const arr = JSON.parse(rj.stdout);
  assert.deepEqual(arr.map((x: { file: string }) => x.file), [files[1], files[0]]);
});

test('--out writes .npy + sidecar that round-trip (and numpy reads); --jobs 2 output is byte-identical to --jobs 1', async () => {
  const out1 = join(dir, 'out1');
  const out2 = join(dir, 'out2');
  const r1 = await runIn(files, { out: out1 });
  const r2 = await runIn(files, { out: out2, jobs: '2' });
  assert.equal(r1.failed, 0, r1.stderr);
  assert.equal(r2.failed, 0, r2.stderr);
  const names = files.map((_, i) => `clip${i}`);
  assert.deepEqual(readdirSync(out1).sort(), names.flatMap((n) => [`${n}.json`, `${n}.npy`]).sort());
  for (const [i, n] of names.entries()) {
    const a = readFileSync(join(out1, `${n}.npy`));
    const b = readFileSync(join(out2, `${n}.npy`));
    assert.ok(a.equals(b), `${n}.npy differs between --jobs 1 and --jobs 2`);
    assert.deepEqual(JSON.parse(readFileSync(join(out1, `${n}.json`), 'utf8')), JSON.parse(readFileSync(join(out2, `${n}.json`), 'utf8')));
    const m = decodeNpyMatrix(a, n);
    const side = JSON.parse(readFileSync(join(out1, `${n}.json`), 'utf8'));
    assert.equal(side.format, 'ser-features/1');
    assert.equal(side.file, files[i]);
    assert.equal(side.frames, m.rows);
    assert.equal(side.columns.length, m.cols);
    assert.equal(new Set(side.columns).size, m.cols, 'column names are unique');
    assert.equal(m.rows, 1 + Math.floor((side.duration * side.sr) / side.hop_length));
    assert.ok(m.data.every(Number.isFinite));
  }
  // The .npy values equal the --json blocks (e.g. the rms column equals the rms block, transposed).
  const j = JSON.parse((await runIn([files[0]], { json: true })).stdout);
  const m = decodeNpyMatrix(readFileSync(join(out1, 'clip0.npy')));
  const side = JSON.parse(readFileSync(join(out1, 'clip0.json'), 'utf8'));
  const rmsCol = side.columns.findIndex((c: string) => /rms/.test(c));
  if (rmsCol >= 0) {
    for (let t = 0; t < m.rows; t++) assert.ok(Math.abs(m.data[t * m.cols + rmsCol] - j.features.rms.data[0][t]) < 1e-6);
  }
  const py = spawnSync('python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(join(out1, 'clip3.npy'))}); print(a.dtype, a.shape)`], { encoding: 'utf8' });
  if (py.status === 0) {
    const m3 = decodeNpyMatrix(readFileSync(join(out1, 'clip3.npy')));
    assert.equal(py.stdout.trim(), `float32 (${m3.rows}, ${m3.cols})`);
  }
});

test('a bad file among good ones: message names it, others are written, exit code 1, no partial files', async () => {
  const bad = join(dir, 'broken.wav');
  writeFileSync(bad, Buffer.from('RIFF\x10\x00\x00\x00WAVEjunkjunkjunk'));
  const missing = join(dir, 'missing.wav');
  const out = join(dir, 'out-bad');
  for (const jobs of ['1', '2']) {
    rmSync(out, { recursive: true, force: true });
    // the spawned CLI (exit code) for --jobs 2, in-process for --jobs 1
    const r =
      jobs === '2'
        ? await runCli(['features', files[0], bad, files[1], missing, '--out', out, '--jobs', jobs])
        : await runIn([files[0], bad, files[1], missing], { out, jobs }).then((x) => ({ ...x, code: x.failed > 0 ? 1 : 0 }));
    assert.equal(r.code, 1, `jobs ${jobs}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^ser: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`, 'm'));
    assert.match(r.stderr, new RegExp(`^ser: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`, 'm'));
    assert.match(r.stderr, /2 of 4 files failed/);
    assert.deepEqual(readdirSync(out).sort(), ['clip0.json', 'clip0.npy', 'clip1.json', 'clip1.npy'], `jobs ${jobs}`);
  }
});

test('bad options: --sr, --jobs and --config give one clear SerError', async () => {
  await assert.rejects(runIn([files[0]], { sr: 'fast' }), (e: unknown) => e instanceof SerError && e.code === 'ERATE' && e.message === "--sr must be a sample rate in Hz (1000-768000) or 'native', got 'fast'");
  await assert.rejects(runIn([files[0]], { config: '{"n_mels": -3}' }), (e: unknown) => e instanceof SerError && e.code === 'EPARAM' && /n_mels/.test(e.message));
  await assert.rejects(runIn([files[0]], { config: '{"sr": 16000}', sr: '22050' }), /contradicts/);
  await assert.rejects(runIn([files[0]], { jobs: 'x' }), (e: unknown) => e instanceof SerError && /^--jobs must be/.test(e.message));
  await assert.rejects(runIn([files[0]], { config: '{bad json' }), (e: unknown) => e instanceof SerError && /^--config is not valid JSON/.test(e.message));
  await assert.rejects(runIn([files[0]], { config: join(dir, 'no-such-config.json') }), (e: unknown) => e instanceof SerError && e.code === 'ENOENT');
  await assert.rejects(runIn([files[0], join(dir, 'x', 'clip0.wav')], { out: join(dir, 'o') }), /same output clip0\.npy/);
});

test('a directory input is walked and mirrored under --out; --json and --out together give both', async () => {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeWav16(join(tree, 'b.wav'), tones(SR, 0.5, [[500, 0.3]]), SR);
  writeWav16(join(tree, 'sub', 'a.wav'), tones(SR, 0.6, [[700, 0.3]]), SR);
  writeFileSync(join(tree, 'notes.txt'), 'not audio');
  const out = join(dir, 'tree-out');
  const r = await runIn([tree], { out, json: true });
  assert.equal(r.failed, 0, r.stderr);
  const arr = JSON.parse(r.stdout);
  assert.deepEqual(arr.map((x: { file: string }) => x.file), [join(tree, 'b.wav'), join(tree, 'sub', 'a.wav')]);
  assert.deepEqual(readdirSync(out).sort(), ['b.json', 'b.npy', 'sub']);
  assert.deepEqual(readdirSync(join(out, 'sub')).sort(), ['a.json', 'a.npy']);
  const m = decodeNpyMatrix(readFileSync(join(out, 'sub', 'a.npy')));
  assert.equal(m.rows, arr[1].frames);
});
