/**
 * Issue #5: `ser train --data ../shared/data/ravdess` end to end on the real recordings, kept
 * short: two classes (angry, sad: 320 recordings of 20 actors), no augmentation copies, a small
 * feature set at 16 kHz and a tiny model, a temporary cache and run folder (~60 s in all).
 *
 * 1. `--epochs 1`: the run folder — bundle loads, history.json has the epoch, metrics name the
 *    protocol 'speaker-independent' with test speakers disjoint from the training ones, report.html
 *    has the curves and the confusion matrix as inline images.
 * 2. `--normalize speaker`: `ser evaluate` on the held-out actors' folders (its own decode → trim →
 *    crop/pad → features path, speakers grouped as in training) reproduces the pipeline's test
 *    confusion matrix; `ser predict` says how it normalises a speaker-normalised model.
 *
 * Skipped when ../shared/data/ravdess is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { CLI, REPO, SHARED } from './helpers.js';
import { loadBundle } from '../../src/model/bundle-node.js';
import { disposeBundle } from '../../src/model/bundle.js';
import { initBackend } from '../../src/model/backend.js';
import { Command } from 'commander';
import { addTrainOptions, resolveTrainOptions, planSplits, type RawTrainOptions } from '../../src/pipeline/index.js';
import { loadDataset } from '../../src/data/load.js';

const RAVDESS = join(SHARED, 'data', 'ravdess');
const have = existsSync(join(RAVDESS, 'Actor_01'));
const root = mkdtempSync(join(tmpdir(), 'ser-train-ravdess-'));
const cache = join(root, 'cache');
const modelCfg = join(root, 'model.json');
const featCfg = join(root, 'features.json');
writeFileSync(modelCfg, JSON.stringify({ conv: [{ filters: 4, kernel_size: 3, pool: 4 }], lstm: { units: 4 }, dense: [4], dropout: 0.1 }));
writeFileSync(featCfg, JSON.stringify({ sr: 16000, n_fft: 512, hop_length: 256, n_mels: 32, n_mfcc: 13, blocks: ['mfcc', 'logmel_db'] }));
const common = ['--data', RAVDESS, '--emotions', 'angry,sad', '--augment', 'none', '--model-config', modelCfg, '--feature-config', featCfg, '--cache', cache];

function ser(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.after(() => rmSync(root, { recursive: true, force: true }));

/** Decodes a PNG's pixel rows (zlib of the IDAT chunks) and returns its size and how much of it is not white. */
function pngInk(b: Buffer): { width: number; height: number; inkFraction: number; distinct: number } {
  assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (o < b.length) {
    const len = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    const data = b.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    }
    if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  let ink = 0;
  const seen = new Set<number>();
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 255 && raw[i] !== 0) ink++;
    seen.add(raw[i]);
  }
  return { width, height, inkFraction: ink / raw.length, distinct: seen.size };
}

test('ser train --data ../shared/data/ravdess --epochs 1: run folder, protocol, bundle, history, report', { skip: !have && 'no ../shared/data/ravdess' }, async () => {
  const out = join(root, 'run-1epoch');
  const r = ser(['train', ...common, '--epochs', '1', '--jobs', '2', '--out', out]);
  assert.equal(r.code, 0, r.stderr);

  await initBackend('wasm');
  const b = await loadBundle(join(out, 'bundle'));
  assert.deepEqual(b.meta.labels, ['angry', 'sad']);
  assert.equal(b.meta.sample_rate, 16000);
  assert.equal(b.meta.normalization.mode, 'global');
  disposeBundle(b);

  const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.equal(h.history.length, 1);
  assert.equal(h.history[0].epoch, 0);
  for (const k of ['loss', 'acc', 'val_loss', 'val_acc']) assert.ok(Number.isFinite(h.history[0][k]), k);

  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.protocol.name, 'speaker-independent');
  const test = new Set<string>(m.protocol.testSpeakers);
  const val = new Set<string>(m.protocol.valSpeakers);
  assert.equal(test.size, 4, '20 % of the 20 actors');
  const bundleMeta = JSON.parse(readFileSync(join(out, 'bundle', 'bundle.json'), 'utf8'));
  const seen: string[] = bundleMeta.training.data.speakers;
  assert.equal(seen.length, 16);
  for (const s of seen) assert.ok(!test.has(s), `test speaker ${s} was seen in training`);
  for (const s of val) assert.ok(!test.has(s));
  // 4 test actors × 2 classes × 8 recordings
  assert.equal(m.test.n, 64);
  assert.equal(m.test.confusion.flat().reduce((a: number, c: number) => a + c, 0), 64);

  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const imgs = [...html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"[^>]*alt="([^"]*)"/g)].map((x) => ({ png: Buffer.from(x[1], 'base64'), alt: x[2] }));
  const curves = imgs.find((i) => /curves/i.test(i.alt));
  const confusion = imgs.find((i) => /confusion/i.test(i.alt));
  assert.ok(curves && confusion, `inline curves and confusion images: ${imgs.map((i) => i.alt).join(' | ')}`);
  for (const img of [curves!, confusion!]) {
    const p = pngInk(img.png);
    assert.ok(p.width >= 300 && p.height >= 200, `${img.alt}: ${p.width}×${p.height}`);
    assert.ok(p.inkFraction > 0.01 && p.distinct > 16, `${img.alt} looks blank: ${(100 * p.inkFraction).toFixed(2)} % ink, ${p.distinct} values`);
  }
  assert.match(html, /Confusion matrix/);
});

test('--normalize speaker: ser evaluate on the held-out actors reproduces the test confusion; ser predict says how it normalises', { skip: !have && 'no ../shared/data/ravdess' }, () => {
  const out = join(root, 'run-speaker');
  // a few epochs at a higher rate so the model is not constant and the comparison can fail;
  // the features are in the cache already (one process, no worker start-up)
  const r = ser(['train', ...common, '--jobs', '1', '--epochs', '6', '--lr', '0.003', '--normalize', 'speaker', '--no-report', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const bundleMeta = JSON.parse(readFileSync(join(out, 'bundle', 'bundle.json'), 'utf8'));
  assert.equal(bundleMeta.normalization.mode, 'speaker');
  assert.equal(bundleMeta.normalization.speaker_prior.speakers, 12, 'prior of the 12 training speakers (validation speakers excluded)');
  const confusion: number[][] = m.test.confusion;
  assert.ok(confusion.every((row, i) => row[i] > 0), `the model predicts both classes: ${JSON.stringify(confusion)}`);

  const actors = (m.protocol.testSpeakers as string[]).map((s) => join(RAVDESS, `Actor_${s.split(':')[1]}`));
  const ev = ser(['evaluate', '--model', join(out, 'bundle'), '--data', ...actors, '--no-windows', '--json', '--quiet']);
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.equal(e.n, 64);
  assert.deepEqual(e.normalization, { mode: 'speaker', speakers: 4 });
  assert.deepEqual(e.confusion, confusion);
  assert.equal(e.accuracy, m.test.accuracy);

  // ser predict --same-speaker pools the files (per file without it: test/model/bundle.test.ts)
  const files = ['03-01-05-01-01-01-01.flac', '03-01-04-01-01-01-01.flac'].map((f) => join(actors[0], f));
  const p = ser(['predict', '--model', join(out, 'bundle'), '--json', '--same-speaker', ...files]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /normalised together as one speaker's audio/);
  const j = JSON.parse(p.stdout);
  assert.equal(j.length, 2);
  assert.deepEqual(j[1].normalization, { mode: 'speaker', speaker_statistics: 'all files' });
});

test("ser train --final names its protocol 'all' (no held-out data), not 'speaker-independent'", { skip: !have && 'no ../shared/data/ravdess' }, async () => {
  let raw: RawTrainOptions | undefined;
  const program = addTrainOptions(new Command('train'))
    .exitOverride()
    .action((o: RawTrainOptions) => {
      raw = o;
    });
  program.parse(['--data', RAVDESS, '--final', '--out', join(root, 'final')], { from: 'user' });
  const c = await resolveTrainOptions(raw!);
  const ds = await loadDataset(c.data, { dataset: c.dataset, emotions: c.emotions });
  const [split, ...more] = planSplits(ds.items, c);
  assert.equal(more.length, 0);
  assert.equal(split.protocol.name, 'all');
  assert.match(split.protocol.description, /no test partition/);
  assert.equal(split.test.length, 0);
  const val = new Set(split.val.map((i) => i.speaker));
  assert.ok(val.size >= 1 && split.train.every((i) => !val.has(i.speaker)), 'validation speakers are not trained on');
  assert.equal(new Set(split.train.map((i) => i.speaker)).size + val.size, 20, 'every speaker is used');
});
