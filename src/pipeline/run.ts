/**
 * `ser train` as a function: the whole recipe in one call.
 *
 *   load dataset → plan split(s) (leakage-checked) → feature cache (parallel, resumable; originals
 *   of every item + augmented copies of training items only) → per split: normalise (statistics
 *   from the training partition only) → class weights → train (early stopping on validation loss
 *   restoring the best weights, reduce-LR-on-plateau, data-parallel batch step) → evaluate on the
 *   test partition → run folder.
 *
 * Run folder (`out`):
 *   config.json    every resolved option
 *   command.txt    the command line
 *   history.json   a TrainResult, or {folds: [TrainResult, ...]} for k-fold
 *   metrics.json   {protocol, labels, test: metrics | null, val: metrics, split}, or for k-fold
 *                  {protocol, labels, folds: [{fold, protocol, ...metrics}], mean, std}
 *   bundle/        the model bundle (k-fold: bundles/fold-N/ for each fold)
 *   report files   when src/report is available
 *
 * Normalisation modes (`normalize`):
 *   global     per-column z-score fitted on the training partition's frames;
 *   utterance  each clip's columns z-scored by the clip's own frames, then global;
 *   speaker    each speaker's clips z-scored by the statistics of all that speaker's original
 *              clips (unlabelled features only, so it is legitimate for test speakers too:
 *              it needs some audio of the new speaker, not their labels), then global. An
 *              augmented training copy is z-scored by the statistics of its speaker's clips
 *              with the same augmentation (a pitch-shifted speaker is another virtual speaker).
 * Speaker statistics are shrunk toward the prior of the split's training speakers. All of it goes
 * through src/model/normalizer.ts, the code predict / evaluate / stream use, and the bundle
 * stores the mode, the global statistics and (speaker mode) the prior.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SerError } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { loadDataset } from '../data/load.js';
import { fitZScore, classWeights, LabelEncoder, zscoreToJSON, type ZScoreStats } from '../data/preprocess.js';
import { TRAIN_SPEAKER_PRIOR_CLIPS, SpeakerStatsAccumulator, blendSpeakerStats, createNormalizer, modeNormalize, speakerPriorFrom, type SpeakerPrior } from '../model/normalizer.js';
import { augmentTrainingOnly, makeSplits, speakerKFold, speakersOf, speakerIndependentSplit, summariseSplit, findLeaks, type Split } from '../data/splits.js';
import { isAugmented } from '../data/recording.js';
import type { DatasetItem } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatDuration } from '../util/progress.js';
import type { EvaluationMetrics } from '../model/metrics.js';
import type { TrainResult } from '../model/train.js';
import type { TrainPipelineConfig } from './options.js';
import { extractRequests, requestKey, type FeatureRequest } from './features.js';

export interface PipelineIO {
  /** Plain log line (stderr in the CLI). */
  log: (line: string) => void;
  /** Redrawn status line on a TTY (undefined = not a TTY: only `log`). */
  status?: (line: string) => void;
  signal?: AbortSignal;
  /** The command line, saved in command.txt and the bundle. */
  command: string;
}

export interface FoldOutcome {
  fold: number | null;
  protocol: Split['protocol'];
  test: EvaluationMetrics | null;
  val: EvaluationMetrics | null;
  history: TrainResult;
  counts: { train: number; trainOriginals: number; val: number; test: number };
  bundle: string;
  wallMs: number;
}

export interface PipelineResult {
  out: string;
  folds: FoldOutcome[];
  mean: { accuracy: number; uar: number; macro_f1: number } | null;
  std: { accuracy: number; uar: number; macro_f1: number } | null;
  interrupted: boolean;
  report: string | null;
  wallMs: number;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Mean and population std of each headline metric over folds. */
export function meanStd(ms: readonly EvaluationMetrics[]): { mean: PipelineResult['mean']; std: PipelineResult['std'] } {
  if (ms.length === 0) return { mean: null, std: null };
  const keys = ['accuracy', 'uar', 'macro_f1'] as const;
  const mean = { accuracy: 0, uar: 0, macro_f1: 0 };
  const std = { accuracy: 0, uar: 0, macro_f1: 0 };
  for (const k of keys) {
    const v = ms.map((m) => m[k]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    mean[k] = mu;
    std[k] = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
  }
  return { mean, std };
}

/** The split(s) a config asks for (before augmentation). Throws SerError for too few speakers. */
export function planSplits(items: readonly DatasetItem[], c: TrainPipelineConfig): Split[] {
  const speakers = speakersOf(items);
  const seed = c.seed;
  switch (c.protocol) {
    case 'random':
      return makeSplits(items, { protocol: 'random', seed, val: c.valFraction, test: c.testFraction });
    case 'speaker-kfold': {
      const k = c.folds ?? 5;
      if (speakers.length < k) throw new SerError('EDATA', `too few speakers for ${k}-fold cross-validation: found ${speakers.length} (${speakers.join(', ')}), need at least ${k}`);
      if (k < 3 && speakers.length - Math.ceil(speakers.length / k) < 2) {
        throw new SerError('EDATA', `too few speakers for ${k}-fold cross-validation with validation speakers: found ${speakers.length}`);
      }
      return makeSplits(items, { protocol: 'speaker-kfold', k, seed: seed === 0 ? undefined : seed, kfoldVal: k >= 3 ? 'next-fold' : 1 });
    }
    case 'speaker-independent': {
      if (speakers.length < 3) {
        throw new SerError('EDATA', `too few speakers for a speaker-independent split: found ${speakers.length} (${speakers.join(', ') || 'none'}), need at least 3 (test, validation, training); use --protocol random for a speaker-dependent split`);
      }
      let test = c.testSpeakers;
      let val = c.valSpeakers;
      if (!test) {
        // default: fold 0 of a gender-balanced 5-fold assignment (20 % of the speakers), and the
        // next fold's speakers for validation
        const k = Math.min(5, speakers.length);
        const folds = speakerKFold(items, { k, seed: seed === 0 ? undefined : seed, val: k >= 3 ? 'next-fold' : 1 });
        test = folds[0].protocol.testSpeakers!;
        if (!val) val = folds[0].protocol.valSpeakers!;
      }
      return makeSplits(items, { protocol: 'speaker-independent', seed, testSpeakers: test, valSpeakers: val ?? undefined, valFraction: val ? undefined : 0.2 });
    }
    case 'all': {
      if (speakers.length < 2) throw new SerError('EDATA', `the final model needs at least 2 speakers (training + validation for early stopping), found ${speakers.length}`);
      // validation speakers only (early stopping); no test partition
      const nVal = c.valSpeakers ? 0 : Math.max(1, Math.round(0.15 * speakers.length));
      let val = c.valSpeakers;
      if (!val) {
        const k = Math.max(2, Math.round(speakers.length / nVal));
        val = speakerKFold(items, { k: Math.min(k, speakers.length), seed: seed === 0 ? undefined : seed, val: 0 })[0].protocol.testSpeakers!;
      }
      const s = speakerIndependentSplit(items, { testSpeakers: val, seed });
      // s.test holds the chosen speakers: use them as validation, no test partition
      const split: Split = {
        train: [...s.train, ...s.val],
        val: s.test,
        test: [],
        protocol: {
          name: 'all',
          seed,
          valSpeakers: speakersOf(s.test),
          testSpeakers: [],
          description: `final model (protocol 'all'): training on every speaker but the validation speakers ${speakersOf(s.test).join(', ')} (early stopping only); no test partition — no held-out figure`,
        },
      };
      const leaks = findLeaks(split);
      if (leaks.length) throw new SerError('EDATA', `split has leaks: ${leaks[0]}`);
      return [split];
    }
  }
}

/** The features of a partition as one [n, frames, features] array (after mode normalisation). */
function stack(ms: readonly Matrix[], frames: number, cols: number): Float32Array {
  const per = frames * cols;
  const x = new Float32Array(ms.length * per);
  ms.forEach((m, i) => {
    if (m.rows !== frames || m.cols !== cols) throw new SerError('EDATA', `feature matrix ${i} is (${m.rows}, ${m.cols}), expected (${frames}, ${cols})`);
    x.set(m.data, i * per);
  });
  return x;
}

async function emptyOrRunDir(out: string): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (!st) return;
  if (!st.isDirectory()) throw new SerError('EPARAM', 'the run folder exists and is not a folder', { file: out });
  const names = await readdir(out);
  if (names.length && !names.includes('config.json')) {
    throw new SerError('EPARAM', 'the run folder exists, is not empty and is not a ser train run folder; choose another --out', { file: out });
  }
}

/** Runs the whole pipeline; see the module comment. */
export async function runTrainPipeline(c: TrainPipelineConfig, io: PipelineIO): Promise<PipelineResult> {
  const t0 = Date.now();
  const out = resolve(c.out);
  await emptyOrRunDir(out);

  // 1. data
  const ds = await loadDataset(c.data, { dataset: c.dataset, emotions: c.emotions });
  for (const p of ds.problems.slice(0, 5)) io.log(`warning: ${p.file}: ${p.reason}`);
  if (ds.problems.length > 5) io.log(`warning: … ${ds.problems.length - 5} more files not used`);
  if (ds.items.length === 0) throw new SerError('EDATA', `no usable recording of the emotions ${c.emotions.join(', ')} in ${c.data.join(', ')}`);
  const present = new Set(ds.items.map((i) => i.label));
  const missing = c.emotions.filter((e) => !present.has(e));
  if (missing.length) throw new SerError('EDATA', `no recording of ${missing.join(', ')} in ${c.data.join(', ')} (choose the classes with --emotions)`);
  const speakers = speakersOf(ds.items);
  io.log(`data: ${ds.items.length} recordings, ${speakers.length} speakers, classes ${c.emotions.join(', ')} (${ds.sources.map((s) => `${s.dir}: ${s.dataset}`).join('; ')})`);

  // 2. splits, augmentation of training items only
  const splits = planSplits(ds.items, c).map((s) =>
    c.augment.length ? augmentTrainingOnly(s, (item) => c.augment.map((a) => ({ augmentation: a, path: item.path }))) : s,
  );
  for (const s of splits) {
    const leaks = findLeaks(s);
    if (leaks.length) throw new SerError('EDATA', `split has leaks: ${leaks[0]}`);
  }

  // 3. features: originals of every item, augmented copies of items that are training items in some split
  const requests: FeatureRequest[] = ds.items.map((item) => ({ item, augmentation: 'none' }));
  const augOf = (it: DatasetItem) => (isAugmented(it) ? String(it.meta.augmentation) : 'none');
  for (const s of splits) for (const it of s.train) if (isAugmented(it)) requests.push({ item: it, augmentation: augOf(it) });
  io.log(`features: ${requests.length} clips (originals + training copies: ${c.augment.join(', ') || 'none'}), cache ${c.cache}`);
  const tf0 = Date.now();
  const fs = await extractRequests(requests, {
    featureConfig: c.featureConfig,
    trimDb: c.trimDb,
    clipSeconds: c.clipSeconds,
    crop: c.crop,
    pad: c.pad,
    cacheDir: c.cache,
    jobs: c.jobs,
    signal: io.signal,
    onProgress: (done, total, failed) => {
      if (total === 0) return;
      const el = (Date.now() - tf0) / 1000;
      const eta = done > 0 ? ((total - done) * el) / done : NaN;
      const line = `features ${done}/${total}${failed ? ` (${failed} failed)` : ''}  elapsed ${formatDuration(el)}  ETA ${formatDuration(eta)}`;
      if (io.status) io.status(line);
      else if (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0) io.log(line);
    },
  });
  io.log(`features: ${fs.built} extracted, ${fs.existing} from the cache, ${fs.failed.length} failed (${formatDuration(fs.elapsedMs / 1000)})`);
  for (const f of fs.failed.slice(0, 5)) io.log(`warning: ${f.error.message}${f.augmentation !== 'none' ? ` (augmentation ${f.augmentation})` : ''}`);
  const feat = (it: DatasetItem) => fs.features.get(requestKey(it.path, augOf(it)));
  const usable = (l: DatasetItem[]) => l.filter((it) => feat(it) !== undefined);

  const first = fs.features.values().next().value as Matrix | undefined;
  if (!first) throw new SerError('EDATA', 'no recording could be decoded; see the warnings above');
  const frames = first.rows;
  const cols = first.cols;

  // Per-speaker statistics (no labels involved), one set per (speaker, augmentation): an
  // augmented copy (pitch-shifted, stretched) of speaker S is acoustically another "virtual
  // speaker", so it is normalised by the statistics of S's clips with the SAME augmentation, as a
  // real new speaker is normalised by their own statistics at test time.
  const speakerAcc = new Map<string, SpeakerStatsAccumulator>();
  const speakerOfKey = new Map<string, string>();
  const statsKey = (speaker: string, aug: string) => `${speaker}|${aug}`;
  if (c.normalize === 'speaker') {
    for (const aug of ['none', ...c.augment]) {
      for (const it of ds.items) {
        const m = fs.features.get(requestKey(it.path, aug));
        if (!m) continue;
        const key = statsKey(it.speaker, aug);
        let acc = speakerAcc.get(key);
        if (!acc) {
          speakerAcc.set(key, (acc = new SpeakerStatsAccumulator(m.cols)));
          speakerOfKey.set(key, it.speaker);
        }
        acc.add(m);
      }
    }
  }

  const enc = new LabelEncoder<string>(c.emotions);
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, 'command.txt'), io.command + '\n');
  await writeFileAtomic(join(out, 'config.json'), JSON.stringify({ ...c, out }, null, 2) + '\n');

  const { initBackend } = await import('../model/backend.js');
  await initBackend(c.backend);
  const { buildModel } = await import('../model/build.js');
  const { train, predictProbabilities, formatHistoryEntry, formatTrainProgress } = await import('../model/train.js');
  const { evaluateMetrics, argmaxRows } = await import('../model/metrics.js');
  const { saveBundle, checkpointTo } = await import('../model/bundle-node.js');
  const { createParallelTrainer } = await import('../model/parallel.js');

  const outcomes: FoldOutcome[] = [];
  let interrupted = false;
  const kfold = c.protocol === 'speaker-kfold';
  for (let fi = 0; fi < splits.length; fi++) {
    if (io.signal?.aborted) {
      interrupted = true;
      break;
    }
    const tFold = Date.now();
    const split = splits[fi];
    const tag = kfold ? `fold ${fi + 1}/${splits.length}: ` : '';
    const trainItems = usable(split.train);
    const valItems = usable(split.val);
    const testItems = usable(split.test);
    const lost = split.val.length - valItems.length + split.test.length - testItems.length;
    if (lost > 0) io.log(`warning: ${tag}${lost} validation/test recordings could not be decoded and are left out`);
    if (trainItems.length === 0) throw new SerError('EDATA', `${tag}no training recording left`);
    io.log(`${tag}${split.protocol.description}`);
    io.log(`${tag}train ${trainItems.length} clips (${trainItems.filter((i) => !isAugmented(i)).length} recordings), validation ${valItems.length}, test ${testItems.length}`);

    // speaker mode: the prior is the average of this split's TRAINING speakers (original clips);
    // every speaker's statistics are their own frames shrunk toward it (src/model/normalizer.ts).
    // Training speakers (and their augmented "virtual speakers") are shrunk with the weight of one
    // clip (TRAIN_SPEAKER_PRIOR_CLIPS); validation, test and every later prediction use the prior
    // stored in the bundle, weighing --speaker-prior-clips clips (docs/training.md, single files).
    let speakerPrior: SpeakerPrior | undefined;
    const speakerStats = new Map<string, ZScoreStats>();
    if (c.normalize === 'speaker') {
      const trainSpeakers = speakersOf(trainItems);
      const trainPrior = speakerPriorFrom(trainSpeakers.flatMap((s) => speakerAcc.get(statsKey(s, 'none')) ?? []), frames * TRAIN_SPEAKER_PRIOR_CLIPS);
      speakerPrior = { ...trainPrior, pseudo_count: frames * c.speakerPriorClips };
      const training = new Set(trainSpeakers);
      for (const [key, acc] of speakerAcc) speakerStats.set(key, blendSpeakerStats(acc, training.has(speakerOfKey.get(key)!) ? trainPrior : speakerPrior));
    }
    const spk = (it: DatasetItem): ZScoreStats | undefined =>
      c.normalize === 'speaker' ? (speakerStats.get(statsKey(it.speaker, augOf(it))) ?? speakerStats.get(statsKey(it.speaker, 'none'))) : undefined;
    const stats = fitZScore(trainItems.map((it) => modeNormalize(c.normalize, feat(it)!, spk(it)))); // training partition only
    const normalizer = createNormalizer({ ...zscoreToJSON(stats), mode: c.normalize, ...(speakerPrior ? { speaker_prior: speakerPrior } : {}) });
    const prep = (items: DatasetItem[]) => stack(items.map((it) => normalizer.apply(feat(it)!, spk(it))), frames, cols);
    const xTrain = prep(trainItems);
    const yTrain = enc.encodeAll(trainItems.map((i) => i.label));
    const xVal = prep(valItems);
    const yVal = enc.encodeAll(valItems.map((i) => i.label));
    const trainLabels = trainItems.map((i) => i.label as string);
    const missingCls = c.emotions.filter((e) => !trainLabels.includes(e));
    if (missingCls.length) throw new SerError('EDATA', `${tag}no training recording of ${missingCls.join(', ')}`);
    const cw = classWeights(trainLabels, c.emotions as string[]);

    const model = buildModel(c.modelConfig, [frames, cols], c.emotions.length, c.seed + 1);
    const trainer = c.jobs >= 2 ? await createParallelTrainer({ model, workers: 2, learningRate: c.lr, seed: c.seed, backend: c.backend }) : undefined;
    const foldDir = kfold ? join(out, 'bundles', `fold-${fi + 1}`) : join(out, 'bundle');
    let result: TrainResult;
    try {
      result = await train({
        model,
        xTrain,
        yTrain,
        xVal: valItems.length ? xVal : undefined,
        yVal: valItems.length ? yVal : undefined,
        classWeights: cw,
        epochs: c.epochs,
        batchSize: c.batchSize,
        learningRate: c.lr,
        seed: c.seed,
        earlyStopping: { patience: c.patience, monitor: c.monitor, restoreBestWeights: true },
        reduceLrOnPlateau: { patience: Math.max(1, Math.floor(c.patience / 2)), factor: 0.5, minLr: 1e-6, monitor: c.monitor },
        signal: io.signal,
        trainer,
        batchAugment: c.batchAugment ?? null,
        checkpoint: checkpointTo(join(out, kfold ? `checkpoint-fold-${fi + 1}.ckpt` : 'checkpoint.ckpt')),
        onProgress: io.status ? (p) => io.status!(tag + formatTrainProgress(p)) : undefined,
        onEpoch: (e) => io.log(tag + formatHistoryEntry(e)),
      });
    } finally {
      trainer?.dispose();
    }
    if (result.stoppedBy === 'abort') {
      interrupted = true;
      io.log(`${tag}interrupted: keeping the best weights so far (epoch ${result.bestEpoch + 1})`);
    }
    if (result.history.length === 0) {
      io.log(`${tag}no complete epoch: nothing to save`);
      model.dispose();
      break;
    }

    const evalOn = (x: Float32Array, y: Int32Array): EvaluationMetrics | null => {
      if (y.length === 0) return null;
      const probs = predictProbabilities(model, x, y.length);
      return evaluateMetrics(y, argmaxRows(probs, y.length, c.emotions.length), [...c.emotions]);
    };
    const valM = evalOn(xVal, yVal);
    const testM = evalOn(prep(testItems), enc.encodeAll(testItems.map((i) => i.label)));
    if (testM) io.log(`${tag}test: accuracy ${pct(testM.accuracy)}  UAR ${pct(testM.uar)}  macro-F1 ${pct(testM.macro_f1)}  (n = ${testM.n}; ${split.protocol.name})`);
    else if (valM) io.log(`${tag}validation: accuracy ${pct(valM.accuracy)}  UAR ${pct(valM.uar)} (no test partition)`);

    const seenSpeakers = speakersOf([...trainItems, ...valItems]);
    await saveBundle(foldDir, {
      model,
      labels: [...c.emotions],
      sampleRate: fs.config.sr,
      clipSeconds: c.clipSeconds,
      featureConfig: fs.config,
      normalization: stats,
      normalizationMode: c.normalize,
      speakerPrior,
      modelConfig: c.modelConfig,
      trim: c.trimDb === null ? null : { top_db: c.trimDb },
      crop: c.crop,
      pad: c.pad,
      training: {
        command: io.command,
        protocol: split.protocol,
        data: { dirs: c.data, speakers: seenSpeakers, counts: summariseSplit(split), input_normalization: c.normalize, augment: c.augment },
        seed: c.seed,
        metrics: testM ?? valM ?? undefined,
      },
      history: result,
    });
    model.dispose();
    outcomes.push({
      fold: kfold ? fi : null,
      protocol: split.protocol,
      test: testM,
      val: valM,
      history: result,
      counts: { train: trainItems.length, trainOriginals: trainItems.filter((i) => !isAugmented(i)).length, val: valItems.length, test: testItems.length },
      bundle: foldDir,
      wallMs: Date.now() - tFold,
    });
    if (interrupted) break;
  }
  if (outcomes.length === 0) throw new SerError('EDATA', 'interrupted before the first epoch finished: no model was saved');

  // 4. run folder
  const labels = [...c.emotions];
  const { mean, std } = meanStd(outcomes.flatMap((o) => (o.test ? [o.test] : [])));
  if (kfold) {
    await writeFileAtomic(join(out, 'history.json'), JSON.stringify({ folds: outcomes.map((o) => o.history) }, null, 2) + '\n');
    await writeFileAtomic(
      join(out, 'metrics.json'),
      JSON.stringify(
        {
          protocol: { name: 'speaker-kfold', k: splits.length, seed: splits[0].protocol.seed, description: `speaker-independent ${splits.length}-fold cross-validation (every speaker tested once, never trained on)` },
          labels,
          normalize: c.normalize,
          folds: outcomes.map((o) => ({ fold: o.fold, protocol: o.protocol, counts: o.counts, wall_time_ms: o.wallMs, ...o.test!, val: o.val })),
          mean,
          std,
          folds_completed: outcomes.length,
          interrupted,
          wall_time_ms: Date.now() - t0,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const o = outcomes[0];
    await writeFileAtomic(join(out, 'history.json'), JSON.stringify(o.history, null, 2) + '\n');
    await writeFileAtomic(
      join(out, 'metrics.json'),
      JSON.stringify({ protocol: o.protocol, labels, normalize: c.normalize, ...(o.test ?? {}), test: o.test, val: o.val, counts: o.counts, interrupted, wall_time_ms: Date.now() - t0 }, null, 2) + '\n',
    );
  }
  if (kfold && mean && std) {
    io.log(`${outcomes.length}-fold mean: accuracy ${pct(mean.accuracy)} ± ${pct(std.accuracy)}  UAR ${pct(mean.uar)} ± ${pct(std.uar)}  macro-F1 ${pct(mean.macro_f1)} ± ${pct(std.macro_f1)}`);
  }

  let report: string | null = null;
  if (c.report) {
    try {
      const mod = (await import('../report/index.js')) as {
        loadRunDir?: (d: string) => Promise<unknown>;
        renderReport?: (s: unknown, d: string) => Promise<unknown>;
      };
      if (mod.loadRunDir && mod.renderReport) {
        await mod.renderReport(await mod.loadRunDir(out), out);
        report = out;
      } else io.log('note: the report module has no loadRunDir/renderReport; no report rendered');
    } catch (err) {
      io.log(`note: no report rendered (${(err as Error).message})`);
    }
  }
  return { out, folds: outcomes, mean, std, interrupted, report, wallMs: Date.now() - t0 };
}
