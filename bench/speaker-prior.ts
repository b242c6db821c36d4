/**
 * Single-file accuracy of speaker-normalised models against the weight of the speaker prior
 * (`npm run bench:speaker-prior -- RUN_DIR [--weights 0,1,2,3,5,10,inf]`). Prints figures; asserts
 * nothing.
 *
 * RUN_DIR is a cross-validation run folder of `ser train --folds K --normalize speaker` (or
 * `npm run bench:cv`): every `bundles/fold-N` is evaluated on its own unseen test speakers, read
 * from the bundle's recorded protocol. Each test file is predicted the way `ser predict FILE`
 * does it — windowed, normalised by its OWN frames shrunk toward the speaker prior — with the
 * prior counting as `w × frames of one model input` for each weight w (inf = the prior alone);
 * and, for comparison, with each test speaker's files pooled (`ser predict --same-speaker`, what
 * the cross-validation measures).
 *
 * The prior is rebuilt from the fold's training speakers (protocol: data speakers minus test and
 * validation speakers; their original clips cropped to one model input, as training sees them),
 * so bundles written before ser stored normalisation modes (labelled 'global' although trained
 * with --normalize speaker; `ser` refuses to load them) can be measured too.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from '../src/model/backend.js';
import { loadBundle } from '../src/model/bundle-node.js';
import type { ModelBundle } from '../src/model/bundle.js';
import { clipFeatures, normalizeClip, predictPrepared, accumulateSpeaker, type ClipFeatures } from '../src/model/predict.js';
import { SpeakerStatsAccumulator, blendSpeakerStats, speakerPriorFrom, createNormalizer, type SpeakerPrior } from '../src/model/normalizer.js';
import { loadDataset } from '../src/data/index.js';
import { loadAudioSync } from '../src/audio/load.js';

const args = process.argv.slice(2);
const runDir = args.find((a) => !a.startsWith('--'));
const wIdx = args.indexOf('--weights');
const weights = (wIdx >= 0 ? args[wIdx + 1] : '0,1,2,3,5,10,inf').split(',').map((s) => (s === 'inf' ? Infinity : Number(s)));
if (!runDir || !existsSync(join(runDir, 'bundles'))) {
  console.error('usage: npm run bench:speaker-prior -- RUN_DIR (a cross-validation run folder with bundles/fold-N)');
  process.exit(1);
}

interface Protocol {
  testSpeakers: string[];
  valSpeakers?: string[];
}

/** Loads a fold bundle; a legacy bundle labelled 'global' is loaded as speaker mode (prior rebuilt below). */
async function loadFold(dir: string): Promise<ModelBundle> {
  const meta = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
  const n = meta.normalization;
  if (n.mode !== 'speaker') {
    n.mode = 'speaker';
    n.speaker_prior = { mean: n.mean, std: n.std, speakers: 1, pseudo_count: 0 }; // placeholder, replaced
  }
  return loadBundle({ 'bundle.json': JSON.stringify(meta), 'model.json': readFileSync(join(dir, 'model.json'), 'utf8'), 'weights.bin': new Uint8Array(readFileSync(join(dir, 'weights.bin'))) }, dir);
}

await initBackend();
const folds = readdirSync(join(runDir, 'bundles')).filter((d) => /^fold-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
const first = await loadFold(join(runDir, 'bundles', folds[0]));
const dataDirs: string[] = first.meta.training?.data?.dirs ?? [resolve('../shared/data/ravdess')];
const { items } = await loadDataset(dataDirs, { emotions: first.meta.labels as never });
console.log(`bench:speaker-prior — ${runDir}: ${folds.length} folds, ${items.length} recordings of ${first.meta.labels.join(', ')}`);

// Raw features of every recording, once: all windows (as `ser predict`) and one cropped window (as training).
const t0 = performance.now();
const feats = new Map<string, { all: ClipFeatures; one: ClipFeatures }>();
for (const it of items) {
  const a = loadAudioSync(it.path, { sr: first.meta.sample_rate });
  feats.set(it.path, { all: clipFeatures(first, a.y, a.sr), one: clipFeatures(first, a.y, a.sr, { windows: false }) });
}
console.log(`features of ${items.length} recordings in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const pct = (x: number) => (100 * x).toFixed(1);
const head = ['fold', ...weights.map((w) => `w=${w === Infinity ? 'inf' : w}`), 'same-spk'];
console.log(head.map((h) => h.padStart(8)).join(''));
const sums = new Array(weights.length + 1).fill(0);
for (const f of folds) {
  const b = await loadFold(join(runDir, 'bundles', f));
  const proto = b.meta.training?.protocol as Protocol | undefined;
  if (!proto?.testSpeakers) throw new Error(`${f}: the bundle records no test speakers`);
  const test = new Set(proto.testSpeakers);
  const held = new Set([...proto.testSpeakers, ...(proto.valSpeakers ?? [])]);
  const frames = b.meta.input_shape[0];
  const cols = b.meta.input_shape[1];
  const train = new Map<string, SpeakerStatsAccumulator>();
  for (const it of items) {
    if (held.has(it.speaker)) continue;
    const acc = train.get(it.speaker) ?? train.set(it.speaker, new SpeakerStatsAccumulator(cols)).get(it.speaker)!;
    accumulateSpeaker(acc, feats.get(it.path)!.one);
  }
  const prior = speakerPriorFrom(train.values(), frames);
  const g = b.meta.normalization;
  const bundle: ModelBundle = { ...b, normalizer: createNormalizer({ ...g, mode: 'speaker', speaker_prior: prior }) };
  const testItems = items.filter((it) => test.has(it.speaker));
  const accuracy = (speaker: (it: (typeof items)[number]) => ReturnType<typeof blendSpeakerStats>) => {
    const preps = testItems.map((it) => normalizeClip(bundle, feats.get(it.path)!.all, { speaker: speaker(it) }));
    return predictPrepared(bundle, preps).filter((p, i) => p.label === testItems[i].label).length / testItems.length;
  };
  const row: number[] = [];
  for (const w of weights) {
    const pr: SpeakerPrior = { ...prior, pseudo_count: w === Infinity ? 1e12 : w * frames };
    row.push(accuracy((it) => blendSpeakerStats(accumulateSpeaker(new SpeakerStatsAccumulator(cols), feats.get(it.path)!.all), pr)));
  }
  const pooled = new Map<string, SpeakerStatsAccumulator>();
  for (const it of testItems) accumulateSpeaker(pooled.get(it.speaker) ?? pooled.set(it.speaker, new SpeakerStatsAccumulator(cols)).get(it.speaker)!, feats.get(it.path)!.all);
  const stored = b.meta.normalization.speaker_prior?.pseudo_count || frames;
  row.push(accuracy((it) => blendSpeakerStats(pooled.get(it.speaker)!, { ...prior, pseudo_count: stored })));
  row.forEach((v, i) => (sums[i] += v));
  console.log([f, ...row.map(pct)].map((h) => h.padStart(8)).join(''));
}
console.log(['mean', ...sums.map((s) => pct(s / folds.length))].map((h) => h.padStart(8)).join(''));
console.log('\nw = weight of the speaker prior in model inputs (clips) of frames; per-file accuracy on unseen speakers, each file normalised by its own audio.');
