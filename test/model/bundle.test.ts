import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, readdir, rm, mkdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { defaultFeatureConfig, extractFeatures, type FeatureConfig } from '../../src/features/index.js';
import { fitZScore, trim } from '../../src/data/preprocess.js';
import { saveBundle, loadBundle, writeCheckpoint, readCheckpoint, writeHistory } from '../../src/model/bundle-node.js';
import { snapshotWeights, restoreWeights, type TrainResult } from '../../src/model/train.js';
import { loadBundleFromUrl, createBundleFiles, disposeBundle, type CreateBundleInput } from '../../src/model/bundle.js';
import { predictClip, predictClips, windowStarts, fitClip } from '../../src/model/predict.js';
import { predictProbabilities } from '../../src/model/train.js';
import { SpeakerStatsAccumulator, blendSpeakerStats, speakerPriorFrom } from '../../src/model/normalizer.js';
import type { ZScoreStats } from '../../src/data/preprocess.js';
import type { Matrix } from '../../src/dsp/matrix.js';
import { SerError } from '../../src/errors.js';
import { Rng } from '../../src/util/random.js';

const SR = 16000;
const CLIP = 0.5;
let dir: string;
let input: CreateBundleInput;
let audio: Float32Array;
let longAudio: Float32Array;

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

function tone(n: number, f: number, rng: Rng): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.3 * Math.sin((2 * Math.PI * f * i) / SR) + 0.01 * rng.normal();
  return y;
}

before(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ser-bundle-'));
  const rng = new Rng(5);
  const config = { ...defaultFeatureConfig, sr: SR } as FeatureConfig;
  const f = extractFeatures(tone(Math.round(CLIP * SR), 440, rng), SR, config);
  const model = buildModel({ conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4, bidirectional: false, layers: 1 }, dense: [4] } as never, [f.rows, f.cols], 3, 11);
  const stats = fitZScore([
    { rows: f.rows, cols: f.cols, data: f.data },
    (() => {
      const g = extractFeatures(tone(Math.round(CLIP * SR), 1000, rng), SR, config);
      return { rows: g.rows, cols: g.cols, data: g.data };
    })(),
  ]);
  input = {
    model,
    labels: ['angry', 'happy', 'sad'],
    sampleRate: SR,
    clipSeconds: CLIP,
    featureConfig: config,
    normalization: stats,
    modelConfig: { tiny: true },
    training: { command: 'test', protocol: { name: 'none' }, data: { n: 2 }, seed: 11 },
    history: { history: [] },
  };
  audio = tone(Math.round(0.4 * SR), 300, rng);
  longAudio = tone(Math.round(1.3 * SR), 600, rng);
});

after(async () => {
  input.model.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('save → load → identical predictions (short and windowed long clips); files as documented', async () => {
  const out = join(dir, 'b1');
  await saveBundle(out, input);
  assert.deepEqual((await readdir(out)).sort(), ['bundle.json', 'history.json', 'model.json', 'weights.bin']);
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('.tmp-')), [], 'no temporary folder left');
  const meta = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8'));
  assert.equal(meta.format_version, 1);
  for (const k of ['labels', 'sample_rate', 'clip_seconds', 'feature_config', 'feature_config_hash', 'normalization', 'model_config', 'training']) assert.ok(k in meta, k);
  assert.ok(Array.isArray(meta.normalization.mean) && Array.isArray(meta.normalization.std));
  for (const k of ['command', 'protocol', 'data', 'seed', 'date']) assert.ok(k in meta.training, k);

  const b = await loadBundle(out);
  const tmpBundle = { meta: b.meta, model: input.model, source: 'in-memory', stats: b.stats };
  for (const y of [audio, longAudio]) {
    const p1 = predictClip(tmpBundle, y, SR);
    const p2 = predictClip(b, y, SR);
    assert.deepEqual(p2, p1);
    const sum = Object.values(p2.probabilities).reduce((a, c) => a + c, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5);
  }
  const long = predictClip(b, longAudio, SR);
  // 1.3 s, 0.5 s windows, hop 0.25 s → ceil(0.8 / 0.25) + 1 = 5 windows from 0 to 1.3 s
  assert.equal(long.windows.length, 5);
  assert.equal(long.windows[0].t_start, 0);
  assert.ok(Math.abs(long.windows[4].t_end - 1.3) < 1e-9);
  // {windows: false}: a long clip is centre-cropped as in training → one window, same as predicting the crop
  const L = Math.round(CLIP * SR);
  const single = predictClip(b, longAudio, SR, { windows: false });
  assert.equal(single.windows.length, 1);
  assert.equal(single.windows[0].t_start, Math.floor((longAudio.length - L) / 2) / SR);
  assert.deepEqual(single.probabilities, predictClip(b, fitClip(longAudio, L, 'center', 'both'), SR).probabilities);
  // several clips in one model call = one by one
  const many = predictClips(b, [{ samples: audio, sr: SR }, { samples: longAudio, sr: SR }, { samples: audio, sr: SR }]);
  const ones = [audio, longAudio, audio].map((y) => predictClip(b, y, SR));
  many.forEach((m, i) => {
    assert.equal(m.label, ones[i].label);
    assert.equal(m.windows.length, ones[i].windows.length);
    for (const l of input.labels) assert.ok(Math.abs(m.probabilities[l] - ones[i].probabilities[l]) < 1e-6);
  });
  // resampling path: the same clip at 32 kHz is accepted
  const up = new Float32Array(audio.length * 2);
  for (let i = 0; i < up.length; i++) up[i] = audio[i >> 1];
  assert.equal(Object.keys(predictClip(b, up, 32000).probabilities).length, 3);
  disposeBundle(b);

  // overwrite an existing bundle atomically
  await saveBundle(out, input);
  disposeBundle(await loadBundle(out));
});

test('the browser paths (files in memory, fetch) load the same bundle', async () => {
  const files = await createBundleFiles(input);
  const { loadBundle: lb } = await import('../../src/model/bundle-node.js');
  const b1 = await lb(files, 'memory');
  const fake = (async (url: string) => {
    const name = String(url).split('/').pop() as keyof typeof files;
    const body = files[name];
    if (body === undefined) return new Response(null, { status: 404 });
    return new Response(body as BodyInit);
  }) as typeof fetch;
  const b2 = await loadBundleFromUrl('https://example.invalid/model', fake);
  assert.deepEqual(predictClip(b2, audio, SR), predictClip(b1, audio, SR));
  disposeBundle(b1);
  disposeBundle(b2);
});

async function expectRefused(d: string, re: RegExp) {
  await assert.rejects(loadBundle(d), (e: unknown) => {
    assert.ok(e instanceof SerError, String(e));
    assert.equal(e.code, 'EMODEL');
    assert.ok(e.message.includes(d), `names the folder: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

async function copyBundle(name: string): Promise<string> {
  const d = join(dir, name);
  await saveBundle(d, input);
  return d;
}

test('a mismatched feature config is refused', async () => {
  const d = await copyBundle('mismatch');
  const p = join(d, 'bundle.json');
  const meta = JSON.parse(await readFile(p, 'utf8'));
  // the config as stored differs from what the hash was made of (e.g. another n_mels)
  const key = 'n_mels';
  meta.feature_config[key] = meta.feature_config[key] + 1;
  await writeFile(p, JSON.stringify(meta));
  await expectRefused(d, /feature config mismatch/);
  // a hash from another version of the feature code
  meta.feature_config[key] = meta.feature_config[key] - 1;
  meta.feature_config_hash = 'not-the-hash';
  await writeFile(p, JSON.stringify(meta));
  await expectRefused(d, /feature config mismatch.*not-the-hash/);
});

test('unknown format_version is refused', async () => {
  const d = await copyBundle('version');
  const p = join(d, 'bundle.json');
  const meta = JSON.parse(await readFile(p, 'utf8'));
  meta.format_version = 2;
  await writeFile(p, JSON.stringify(meta));
  await expectRefused(d, /format_version 2/);
});

test('partial or corrupt bundles are refused', async () => {
  const d1 = await copyBundle('trunc');
  const w = await readFile(join(d1, 'weights.bin'));
  await writeFile(join(d1, 'weights.bin'), w.subarray(0, w.length - 8));
  await expectRefused(d1, /truncated/);

  const d2 = await copyBundle('flip');
  const w2 = await readFile(join(d2, 'weights.bin'));
  w2[10] ^= 0xff;
  await writeFile(join(d2, 'weights.bin'), w2);
  await expectRefused(d2, /checksum/);

  const d3 = await copyBundle('nomodel');
  await unlink(join(d3, 'model.json'));
  await expectRefused(d3, /model\.json is missing/);

  const d4 = await copyBundle('badjson');
  const txt = await readFile(join(d4, 'bundle.json'), 'utf8');
  await writeFile(join(d4, 'bundle.json'), txt.slice(0, txt.length / 2));
  await expectRefused(d4, /not valid JSON/);

  const d5 = join(dir, 'empty');
  await mkdir(d5);
  await expectRefused(d5, /bundle\.json is missing/);

  await expectRefused(join(dir, 'does-not-exist'), /not found/);
});

test('saveBundle refuses to overwrite a folder that is not a bundle, and bad metadata', async () => {
  const d = join(dir, 'precious');
  await mkdir(d);
  await writeFile(join(d, 'notes.txt'), 'keep me');
  await assert.rejects(saveBundle(d, input), (e: unknown) => e instanceof SerError && /not a model bundle/.test(e.message));
  assert.equal(await readFile(join(d, 'notes.txt'), 'utf8'), 'keep me');
  await assert.rejects(saveBundle(join(dir, 'x'), { ...input, labels: ['a', 'b'] }), /3 outputs but 2 labels/);
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('.tmp-')), []);
});

test('windowing and clip fitting', () => {
  assert.deepEqual(windowStarts(100, 100, 50), [0]);
  assert.deepEqual(windowStarts(80, 100, 50), [0]);
  assert.deepEqual(windowStarts(150, 100, 50), [0, 50]);
  assert.deepEqual(windowStarts(160, 100, 50), [0, 30, 60]);
  const y = Float32Array.from([1, 2, 3]);
  assert.deepEqual(Array.from(fitClip(y, 6, 'center', 'both')), [0, 1, 2, 3, 0, 0]);
  assert.deepEqual(Array.from(fitClip(y, 6, 'center', 'end')), [1, 2, 3, 0, 0, 0]);
  assert.deepEqual(Array.from(fitClip(Float32Array.from([1, 2, 3, 4, 5]), 2, 'center', 'both')), [2, 3]);
  assert.deepEqual(Array.from(fitClip(Float32Array.from([1, 2, 3, 4, 5]), 2, 'start', 'both')), [1, 2]);
});

test('predictClip refuses bad audio', async () => {
  const b = await loadBundle(await copyBundle('bad-audio'));
  assert.throws(() => predictClip(b, new Float32Array(0), SR), (e: unknown) => e instanceof SerError && e.code === 'EEMPTY');
  assert.throws(() => predictClip(b, Float32Array.from([0, NaN]), SR), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE');
  assert.throws(() => predictClip(b, audio, 0), (e: unknown) => e instanceof SerError && e.code === 'ERATE');
  disposeBundle(b);
});

test('training checkpoints round-trip exactly; truncated ones are refused', async () => {
  const snap = snapshotWeights(input.model);
  const p = join(dir, 'ckpt', 'best.ckpt');
  await writeCheckpoint(p, 4, snap, { fold: 1 });
  const r = await readCheckpoint(p);
  assert.equal(r.epoch, 4);
  assert.deepEqual(r.meta, { fold: 1 });
  assert.deepEqual(r.weights.names, snap.names);
  assert.deepEqual(r.weights.shapes, snap.shapes);
  r.weights.data.forEach((d, i) => assert.deepEqual(d, snap.data[i]));
  restoreWeights(input.model, r.weights); // same weights back: predictions unchanged
  const buf = await readFile(p);
  await writeFile(p, buf.subarray(0, buf.length - 3));
  await assert.rejects(readCheckpoint(p), (e: unknown) => e instanceof SerError && e.code === 'EMODEL' && e.message.includes(p) && /truncated/.test(e.message));
  await writeFile(p, 'hello world, not a checkpoint');
  await assert.rejects(readCheckpoint(p), /magic/);
});

test('writeHistory writes the training result as JSON', async () => {
  const result: TrainResult = {
    history: [{ epoch: 0, loss: 1.5, acc: 0.25, uar: 0.2, val_loss: 1.6, val_acc: null, val_uar: null, lr: 1e-4, ms: 10 }],
    bestEpoch: 0,
    bestValue: 1.6,
    monitor: 'val_loss',
    stoppedBy: 'epochs',
    restoredBestWeights: true,
    seed: 1,
    learningRate: 1e-4,
    batchSize: 32,
    elapsedMs: 10,
  };
  const p = join(dir, 'runs', 'history.json');
  await writeHistory(p, result);
  assert.deepEqual(JSON.parse(await readFile(p, 'utf8')), result);
});

test('a bundle that records silence trimming trims before predicting', async () => {
  const d = join(dir, 'trimmed');
  await saveBundle(d, { ...input, trim: { top_db: 40 } });
  const b = await loadBundle(d);
  assert.deepEqual(b.meta.trim, { top_db: 40, frame_length: 2048, hop_length: 512 });
  const padded = new Float32Array(audio.length + 2 * SR);
  padded.set(audio, SR); // 1 s of silence before and after
  const untrimmed = { ...b, meta: { ...b.meta, trim: null } };
  const p = predictClip(b, padded, SR);
  assert.ok(p.duration < 0.6, `trimmed duration ${p.duration}`);
  assert.deepEqual(p, predictClip(untrimmed, trim(padded, { top_db: 40 }).y, SR));
  assert.notDeepEqual(p.probabilities, predictClip(untrimmed, padded, SR).probabilities);
  disposeBundle(b);
  const meta = JSON.parse(await readFile(join(d, 'bundle.json'), 'utf8'));
  meta.trim = { top_db: -1 };
  await writeFile(join(d, 'bundle.json'), JSON.stringify(meta));
  await expectRefused(d, /trim must be/);
});

test('normalisation modes: speaker bundles store their prior; predict per clip, pooled (sameSpeaker) or with given statistics; utterance per window', async () => {
  const rng = new Rng(21);
  const config = input.featureConfig;
  const L = Math.round(CLIP * SR);
  const raw = (y: Float32Array): Matrix => {
    const f = extractFeatures(fitClip(y, L, 'center', 'both'), SR, config);
    return { rows: f.rows, cols: f.cols, data: f.data };
  };
  // two "training speakers" → prior; pseudo-count = one clip's frames
  const spA = new SpeakerStatsAccumulator().add(raw(tone(L, 220, rng))).add(raw(tone(L, 330, rng)));
  const spB = new SpeakerStatsAccumulator().add(raw(tone(L, 880, rng)));
  const prior = speakerPriorFrom([spA, spB], raw(audio).rows);
  const out = join(dir, 'speaker');
  await saveBundle(out, { ...input, normalizationMode: 'speaker', speakerPrior: prior });
  const meta = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8'));
  assert.equal(meta.normalization.mode, 'speaker');
  assert.deepEqual(meta.normalization.speaker_prior, prior, 'the prior is stored exactly (float64 JSON numbers)');
  const b = await loadBundle(out);
  assert.equal(b.normalizer?.mode, 'speaker');

  // by hand: the model on (raw − speaker stats) / std then the global z-score
  let model = b.model;
  const byHand = (m: Matrix, s: ZScoreStats): Float32Array => {
    const x = new Float32Array(m.data.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % m.cols;
      x[i] = ((m.data[i] - s.mean[j]) / s.std[j] - b.stats.mean[j]) / b.stats.std[j];
    }
    return predictProbabilities(model, x, 1);
  };
  const rA = raw(audio);
  const own = blendSpeakerStats(new SpeakerStatsAccumulator().add(rA), prior);
  const p1 = predictClip(b, audio, SR);
  const hand1 = byHand(rA, own);
  input.labels.forEach((l, i) => close(p1.probabilities[l], hand1[i], 1e-5, `per-clip ${l}`));
  // the clip's own statistics matter: predicting with the prior alone gives other inputs
  const withPrior = predictClip(b, audio, SR, { speaker: blendSpeakerStats(null, prior) });
  const handPrior = byHand(rA, blendSpeakerStats(null, prior));
  input.labels.forEach((l, i) => close(withPrior.probabilities[l], handPrior[i], 1e-5, `prior ${l}`));
  // sameSpeaker: both clips' frames pooled (the long clip by its windows)
  const second = tone(L, 500, rng);
  const rB = raw(second);
  const pooled = blendSpeakerStats(new SpeakerStatsAccumulator().add(rA).add(rB), prior);
  const [q1, q2] = predictClips(b, [{ samples: audio, sr: SR }, { samples: second, sr: SR }], { sameSpeaker: true });
  const h1 = byHand(rA, pooled);
  const h2 = byHand(rB, pooled);
  input.labels.forEach((l, i) => {
    close(q1.probabilities[l], h1[i], 1e-5, `pooled 1 ${l}`);
    close(q2.probabilities[l], h2[i], 1e-5, `pooled 2 ${l}`);
  });
  disposeBundle(b);

  // utterance: every window by its own frames
  const outU = join(dir, 'utterance');
  await saveBundle(outU, { ...input, normalizationMode: 'utterance' });
  const bu = await loadBundle(outU);
  model = bu.model;
  const long = predictClip(bu, longAudio, SR);
  const starts = windowStarts(longAudio.length, L, Math.round(0.25 * SR));
  starts.forEach((s, w) => {
    const f = extractFeatures(longAudio.subarray(s, s + L), SR, config);
    const m = { rows: f.rows, cols: f.cols, data: f.data };
    const h = byHand(m, fitZScore([m]));
    input.labels.forEach((l, i) => close(long.windows[w].probabilities[l], h[i], 1e-5, `utterance window ${w} ${l}`));
  });
  disposeBundle(bu);

  // refusals name the bundle folder
  await assert.rejects(createBundleFiles({ ...input, normalizationMode: 'speaker' }), (e: Error) => e instanceof SerError && /needs speakerPrior/.test(e.message));
  await assert.rejects(createBundleFiles({ ...input, speakerPrior: prior }), (e: Error) => e instanceof SerError && /only stored with normalizationMode 'speaker'/.test(e.message));
  const edit = async (f: (n: Record<string, unknown>) => void) => {
    const m = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8'));
    f(m.normalization);
    await writeFile(join(out, 'bundle.json'), JSON.stringify(m));
  };
  await edit((n) => (n.mode = 'per-channel'));
  await assert.rejects(loadBundle(out), (e: Error) => e instanceof SerError && e.code === 'EMODEL' && e.message.includes(out) && /normalization.mode "per-channel" is not supported/.test(e.message));
  await edit((n) => {
    n.mode = 'speaker';
    delete n.speaker_prior;
  });
  await assert.rejects(loadBundle(out), (e: Error) => e instanceof SerError && e.message.includes(out) && /speaker_prior/.test(e.message));
  // a speaker-trained model from before the modes were stored (mode 'global') is refused, not silently mispredicted
  const old = join(dir, 'old-speaker');
  await saveBundle(old, { ...input, training: { ...input.training, data: { input_normalization: 'speaker' } } });
  await assert.rejects(loadBundle(old), (e: Error) => e instanceof SerError && e.message.includes(old) && /trained with --normalize speaker but normalization.mode is "global"/.test(e.message));
  await saveBundle(old, { ...input, training: { ...input.training, data: { input_normalization: 'global' } } });
  disposeBundle(await loadBundle(old));
});
