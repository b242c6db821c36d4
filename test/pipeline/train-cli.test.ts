/**
 * `ser train` end to end on a tiny generated RAVDESS-named dataset: 4 actors × 3 emotions × 2
 * files of 0.5-s synthetic signals whose spectra differ by class (a low, a middle and a high
 * tone), a tiny model, 2 epochs. Checks the run folder, the protocol named in metrics.json, that
 * the bundle loads and `ser predict` uses it, k-fold output (per fold + mean = mean of the folds),
 * and the refusals (too few speakers, unknown emotion, no data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CLI, REPO, tones, writeWav16 } from './helpers.js';
import { SerError } from '../../src/errors.js';
import { addTrainOptions, resolveTrainOptions, runTrainPipeline, type RawTrainOptions } from '../../src/pipeline/index.js';

const SR = 8000;
const EMOTIONS: [string, string, number][] = [
  ['02', 'calm', 300],
  ['03', 'happy', 1200],
  ['04', 'sad', 2800],
];

function makeDataset(root: string, actors: number): string {
  const dir = join(root, 'ravdess');
  for (let a = 1; a <= actors; a++) {
    const ad = join(dir, `Actor_${String(a).padStart(2, '0')}`);
    mkdirSync(ad, { recursive: true });
    for (const [code, , f] of EMOTIONS) {
      for (let rep = 1; rep <= 2; rep++) {
        // per actor and repetition a slightly different pitch and a little noise-like partial
        const y = tones(SR, 0.5, [
          [f * (1 + 0.03 * a) * (1 + 0.01 * rep), 0.4],
          [f * 2.1, 0.1],
        ]);
        writeWav16(join(ad, `03-01-${code}-01-01-${String(rep).padStart(2, '0')}-${String(a).padStart(2, '0')}.wav`), y, SR);
      }
    }
  }
  return dir;
}

const root = mkdtempSync(join(tmpdir(), 'ser-train-test-'));
const data = makeDataset(root, 4);
const modelCfg = join(root, 'model.json');
writeFileSync(modelCfg, JSON.stringify({ conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4 }, dense: [4], dropout: 0.1 }));
const featCfg = join(root, 'features.json');
writeFileSync(featCfg, JSON.stringify({ sr: SR, n_fft: 256, hop_length: 128, n_mels: 16, n_mfcc: 8, blocks: ['mfcc', 'logmel_db'] }));
const cache = join(root, 'cache');

function ser(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const common = ['--data', data, '--emotions', 'calm,happy,sad', '--epochs', '2', '--batch-size', '8', '--clip-seconds', '0.5', '--model-config', modelCfg, '--feature-config', featCfg, '--cache', cache, '--jobs', '1', '--augment', 'noise:20dB', '--no-report'];

test.after(() => rmSync(root, { recursive: true, force: true }));

test('ser train: run folder, protocol, loadable bundle, ser predict', () => {
  const out = join(root, 'run1');
  const r = ser(['train', ...common, '--test-speakers', '01', '--val-speakers', '02', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['config.json', 'command.txt', 'history.json', 'metrics.json', 'bundle/bundle.json', 'bundle/model.json', 'bundle/weights.bin']) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.protocol.name, 'speaker-independent');
  assert.deepEqual(metrics.protocol.testSpeakers, ['ravdess:01']);
  assert.deepEqual(metrics.protocol.valSpeakers, ['ravdess:02']);
  // 1 test actor × 3 emotions × 2 files; training = 2 actors × 6 recordings, each + 1 noisy copy
  assert.equal(metrics.test.n, 6);
  assert.deepEqual(metrics.counts, { train: 24, trainOriginals: 12, val: 6, test: 6 });
  assert.ok(metrics.test.accuracy >= 0 && metrics.test.accuracy <= 1);
  const conf: number[][] = metrics.test.confusion;
  assert.equal(conf.flat().reduce((a, b) => a + b, 0), 6);
  const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.ok(history.history.length >= 1 && history.history.length <= 2);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.epochs, 2);
  assert.deepEqual(config.augment, ['noise:20dB']);
  assert.match(readFileSync(join(out, 'command.txt'), 'utf8'), /^ser train /);
  const bundle = JSON.parse(readFileSync(join(out, 'bundle/bundle.json'), 'utf8'));
  assert.deepEqual(bundle.labels, ['calm', 'happy', 'sad']);
  assert.equal(bundle.sample_rate, SR);
  assert.equal(bundle.training.protocol.name, 'speaker-independent');
  assert.deepEqual(bundle.training.data.speakers, ['ravdess:02', 'ravdess:03', 'ravdess:04']);
  assert.deepEqual(bundle.trim, { top_db: 60, frame_length: 2048, hop_length: 512 });

  const wav = join(data, 'Actor_01', '03-01-03-01-01-01-01.wav');
  const p = ser(['predict', '--model', join(out, 'bundle'), '--json', wav]);
  assert.equal(p.code, 0, p.stderr);
  const preds = JSON.parse(p.stdout);
  assert.equal(preds.length, 1);
  const sum = Object.values(preds[0].probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  assert.ok(['calm', 'happy', 'sad'].includes(preds[0].label), JSON.stringify(preds[0]));

  // the saved bundle, run by ser evaluate on the test actor's files (its own decode → trim →
  // crop/pad → features → z-score path), reproduces the pipeline's test confusion matrix
  const ev = ser(['evaluate', '--model', join(out, 'bundle'), '--data', join(data, 'Actor_01'), '--no-windows', '--json', '--quiet']);
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.equal(e.n, 6);
  assert.deepEqual(e.confusion, metrics.test.confusion);
});

test('ser train --folds 2: per-fold metrics, mean of the folds, bundles per fold', () => {
  const out = join(root, 'run2');
  const r = ser(['train', ...common, '--folds', '2', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.protocol.name, 'speaker-kfold');
  assert.equal(m.folds.length, 2);
  const tested = m.folds.flatMap((f: { protocol: { testSpeakers: string[] } }) => f.protocol.testSpeakers).sort();
  assert.deepEqual(tested, ['ravdess:01', 'ravdess:02', 'ravdess:03', 'ravdess:04'], 'every speaker tested exactly once');
  for (const f of m.folds) {
    assert.equal(f.n, 12);
    for (const s of f.protocol.testSpeakers) assert.ok(!f.protocol.valSpeakers.includes(s));
  }
  const mean = (k: string) => m.folds.reduce((a: number, f: Record<string, number>) => a + f[k], 0) / m.folds.length;
  for (const k of ['accuracy', 'uar', 'macro_f1']) assert.ok(Math.abs(m.mean[k] - mean(k)) < 1e-12, k);
  const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.equal(h.folds.length, 2);
  assert.ok(existsSync(join(out, 'bundles/fold-1/bundle.json')) && existsSync(join(out, 'bundles/fold-2/bundle.json')));
});

test('ser train refusals: too few speakers, unknown emotion, no data (in-process)', async () => {
  const few = join(root, 'few');
  mkdirSync(few, { recursive: true });
  const run = async (args: string[]) => {
    const program = addTrainOptions(new Command('train')).exitOverride();
    let raw: RawTrainOptions | undefined;
    program.action((o: RawTrainOptions) => {
      raw = o;
    });
    program.parse(args, { from: 'user' });
    const config = await resolveTrainOptions(raw!);
    return runTrainPipeline(config, { command: 'test', log: () => {} });
  };
  await assert.rejects(run([...common, '--folds', '5', '--out', join(root, 'run3')]), (e: Error) => e instanceof SerError && /too few speakers.*found 4/.test(e.message));
  await assert.rejects(run([...common.map((a) => (a === 'calm,happy,sad' ? 'calm,joyful' : a)), '--out', join(root, 'run4')]), (e: Error) => e instanceof SerError && /joyful/.test(e.message));
  await assert.rejects(run([...common.map((a) => (a === data ? few : a)), '--out', join(root, 'run5')]), (e: Error) => e instanceof SerError && e.message.includes(few) && /no audio files/.test(e.message));
  await assert.rejects(run([...common, '--epochs', '0', '--out', join(root, 'run6')]), (e: Error) => e instanceof SerError && /--epochs/.test(e.message));
  // a model config with an unknown field is refused naming the file
  const badCfg = join(root, 'bad-model.json');
  writeFileSync(badCfg, JSON.stringify({ lstm: { units: 4 }, colour: 'blue' }));
  await assert.rejects(run([...common.map((a) => (a === modelCfg ? badCfg : a)), '--out', join(root, 'run7')]), (e: Error) => e instanceof SerError && e.message.includes(badCfg) && /colour/.test(e.message));
  assert.ok(!existsSync(join(root, 'run3')) && !existsSync(join(root, 'run5')), 'no run folder for a refused run');
  await assert.rejects(run([...common, '--batch-augment', 'time:3', '--out', join(root, 'run8')]), (e: Error) => e instanceof SerError && /batch augmentation: time must be NxW/.test(e.message));
  await assert.rejects(run([...common, '--batch-augment', 'blur:1', '--out', join(root, 'run8')]), (e: Error) => e instanceof SerError && /unknown key 'blur'/.test(e.message));
});

test('ser train --normalize speaker with augmented copies and --batch-augment: runs, records the options', () => {
  const out = join(root, 'run9');
  // gain copies: each (speaker, augmentation) pair has its own statistics; the run must find them
  const args = common.map((a) => (a === 'noise:20dB' ? 'gain:+6dB' : a));
  const r = ser(['train', ...args, '--normalize', 'speaker', '--batch-augment', 'time:1x3,feat:1x2,shift:2,smooth:0.1', '--test-speakers', '01', '--val-speakers', '02', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.batchAugment, { timeMasks: 1, timeMaskWidth: 3, featureMasks: 1, featureMaskWidth: 2, shift: 2, labelSmoothing: 0.1 });
  assert.equal(config.normalize, 'speaker');
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.counts, { train: 24, trainOriginals: 12, val: 6, test: 6 });
});
