/**
 * Tiny end to end: synthesize a labelled dataset (3 classes: low tone, high tone, noise; 12 clips
 * of 0.5–1 s) → features → train a tiny CNN-LSTM for a few epochs → save bundle → `ser predict`
 * and `ser evaluate` through the CLI (spawned from source) → check the JSON.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { defaultFeatureConfig, extractFeatures, type FeatureConfig } from '../../src/features/index.js';
import { fitZScore, applyZScore } from '../../src/data/preprocess.js';
import { train } from '../../src/model/train.js';
import { saveBundle, loadBundle } from '../../src/model/bundle-node.js';
import { disposeBundle } from '../../src/model/bundle.js';
import { fitClip, predictClip } from '../../src/model/predict.js';
import { Rng } from '../../src/util/random.js';
import { monoWav, toInt16 } from '../fixtures/wav.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SR = 16000;
const CLIP = 1.0;
const LABELS = ['angry', 'calm', 'sad'];
let dir: string;

/** 16-bit PCM mono WAV bytes (test/fixtures/wav.ts, independent of the project's writer). */
const wav16 = (y: Float32Array, sr: number): Buffer => monoWav(toInt16(y), sr);

/** Class 0: 220 Hz tone, 1: 1760 Hz tone, 2: white noise; 16-bit quantised like the files. */
function synth(cls: number, seconds: number, rng: Rng): Float32Array {
  const n = Math.round(seconds * SR);
  const y = new Float32Array(n);
  const f = cls === 0 ? 220 : 1760;
  const ph = rng.uniform() * 2 * Math.PI;
  for (let i = 0; i < n; i++) {
    const v = cls === 2 ? 0.3 * (rng.uniform() * 2 - 1) : 0.4 * Math.sin(ph + (2 * Math.PI * f * i) / SR) + 0.005 * rng.normal();
    y[i] = Math.round(v * 32767) / 32767;
  }
  return y;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ser-e2e-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('synthesize → features → train → save → ser predict / ser evaluate', async () => {
  // wasm (with the project's training kernels) is much faster; cpu when wasm cannot start
  const backend = await initBackend('wasm').catch(() => initBackend('cpu'));
  const rng = new Rng(2024);
  const config = { ...defaultFeatureConfig, sr: SR } as FeatureConfig;
  const L = Math.round(CLIP * SR);
  const clips: { y: Float32Array; label: number; path: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const label = i % 3;
    const y = synth(label, 0.5 + 0.5 * rng.uniform(), rng);
    const path = join(dir, 'data', LABELS[label], `clip${String(i).padStart(2, '0')}.wav`);
    await mkdir(join(dir, 'data', LABELS[label]), { recursive: true });
    await writeFile(path, wav16(y, SR));
    clips.push({ y, label, path });
  }
  // two clips of a label the model will not know: evaluate must skip and count them
  await mkdir(join(dir, 'data', 'happy'), { recursive: true });
  for (let i = 0; i < 2; i++) await writeFile(join(dir, 'data', 'happy', `extra${i}.wav`), wav16(synth(0, 0.7, rng), SR));

  // features exactly as predictClip prepares a short clip: fit to CLIP seconds (centre), extract, z-score
  const feats = clips.map((c) => extractFeatures(fitClip(c.y, L, 'center', 'both'), SR, config));
  const [frames, features] = [feats[0].rows, feats[0].cols];
  const stats = fitZScore(feats.map((f) => ({ rows: f.rows, cols: f.cols, data: f.data })));
  const x = new Float32Array(12 * frames * features);
  feats.forEach((f, i) => x.set(applyZScore({ rows: f.rows, cols: f.cols, data: f.data }, stats).data, i * frames * features));
  const y = Int32Array.from(clips.map((c) => c.label));

  const modelConfig = { conv: [{ filters: 8, kernel_size: 3, pool: 2 }], lstm: { units: 8, bidirectional: false, layers: 1 }, dense: [8], dropout: 0.1 };
  const model = buildModel(modelConfig as never, [frames, features], 3, 7);
  const result = await train({ model, xTrain: x, yTrain: y, xVal: x, yVal: y, epochs: 12, batchSize: 4, learningRate: 0.01, seed: 7 });
  assert.ok(result.history.length >= 1);
  assert.ok(result.history.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.val_loss!)));

  const bundleDir = join(dir, 'model');
  await saveBundle(bundleDir, {
    model,
    labels: LABELS,
    sampleRate: SR,
    clipSeconds: CLIP,
    featureConfig: config,
    normalization: stats,
    modelConfig,
    training: { command: 'e2e test', protocol: { name: 'train-on-all' }, data: { n: 12, speakers: ['folder:unknown'] }, seed: 7 },
    history: result,
  });
  model.dispose();
  assert.ok(JSON.parse(await readFile(join(bundleDir, 'history.json'), 'utf8')).history.length >= 1);

  // in-process predictions, to compare the CLI with
  const bundle = await loadBundle(bundleDir);
  const inProcess = clips.map((c) => predictClip(bundle, c.y, SR));
  disposeBundle(bundle);

  const files = clips.slice(0, 3).map((c) => c.path);
  const r = cli(['predict', '--model', bundleDir, ...files, '--json', '--top', '2', '--backend', backend]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(Array.isArray(out) && out.length === 3);
  out.forEach((p: { file: string; label: string; probabilities: Record<string, number>; top: unknown[]; windows: { t_start: number; t_end: number; probabilities: Record<string, number> }[] }, i: number) => {
    assert.equal(p.file, files[i]);
    assert.ok(LABELS.includes(p.label));
    assert.deepEqual(Object.keys(p.probabilities).sort(), [...LABELS].sort());
    const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities sum to ${sum}`);
    assert.equal(p.label, Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0][0]);
    assert.equal(p.top.length, 2);
    assert.equal(p.windows.length, 1);
    for (const l of LABELS) assert.ok(Math.abs(p.probabilities[l] - inProcess[i].probabilities[l]) < 1e-5);
  });

  const ev = cli(['evaluate', '--model', bundleDir, '--data', join(dir, 'data'), '--json', '--backend', backend, '--quiet']);
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  for (const k of ['protocol', 'n', 'labels', 'accuracy', 'macro_f1', 'uar', 'confusion', 'skipped']) assert.ok(k in e, k);
  assert.equal(e.n, 12);
  assert.equal(e.skipped, 2);
  assert.deepEqual(e.labels, LABELS);
  let correct = 0;
  const expectConf = LABELS.map(() => LABELS.map(() => 0));
  clips.forEach((c, i) => {
    const p = LABELS.indexOf(inProcess[i].label);
    expectConf[c.label][p]++;
    if (p === c.label) correct++;
  });
  assert.deepEqual(e.confusion, expectConf);
  assert.ok(Math.abs(e.accuracy - correct / 12) < 1e-12);
  // the bundle lists the training speakers: evaluating on them is flagged
  assert.deepEqual(e.seen_speakers, { recordings: 12, speakers: ['folder:unknown'] });
  assert.match(ev.stderr, /not speaker-independent/);

  // clear errors: missing model folder, unreadable file
  const miss = cli(['predict', '--model', join(dir, 'nope'), files[0]]);
  assert.equal(miss.status, 1);
  assert.match(miss.stderr, /^ser: .*nope.*not found/m);
  await writeFile(join(dir, 'junk.wav'), 'this is not audio');
  const junk = cli(['predict', '--model', bundleDir, join(dir, 'junk.wav'), '--backend', backend]);
  assert.equal(junk.status, 1);
  assert.match(junk.stderr, /junk\.wav/);
});
