/**
 * Prediction with a model bundle (browser-safe: typed arrays and tfjs only).
 *
 * `predictClip(bundle, samples, sr)`:
 * 1. resamples to the bundle's `sample_rate` when `sr` differs, and trims silence when the bundle
 *    says training did (`trim`; window times are then relative to the trimmed clip);
 * 2. a clip no longer than `clip_seconds` is zero-padded to exactly `clip_seconds` the way
 *    training did (bundle `pad`) and gives one window (with `{windows: false}` a longer clip too
 *    is cropped as in training, bundle `crop`); otherwise a longer clip is cut into
 *    windows of `clip_seconds` every ~`window_hop_seconds`, the first starting at 0 and the last
 *    ending at the clip's end (starts evenly spaced between);
 * 3. features of each window with the BUNDLE's feature config, normalised as the bundle says
 *    (./normalizer.ts): 'global' z-score with the training statistics; 'utterance' each window by
 *    its own frames first; 'speaker' by the speaker's statistics first — by default the clip's own
 *    frames (all its windows) shrunk toward the bundle's speaker prior, or `options.speaker`
 *    (e.g. several clips of one speaker pooled with {@link accumulateSpeaker}). Shape
 *    (frames, features) = the model input;
 * 4. the clip's probabilities are the mean of the windows' probabilities; `windows` is the
 *    per-window timeline.
 */
import { SerError, check } from '../errors.js';
import { resample } from '../dsp/resample.js';
import { extractFeatures } from '../features/index.js';
import { trim, type ZScoreStats } from '../data/preprocess.js';
import type { Matrix } from '../dsp/matrix.js';
import { bundleNormalizer, type ModelBundle } from './bundle.js';
import { fitClip, fitClipOffset } from '../dsp/clip.js';

/** Re-exported: the clip fitting every stage shares (src/dsp/clip.ts). */
export { fitClip };
import { SpeakerStatsAccumulator } from './normalizer.js';
import { predictProbabilities } from './train.js';

export interface PredictionWindow {
  /** Seconds from the clip's start (at the bundle's rate). */
  t_start: number;
  t_end: number;
  probabilities: Record<string, number>;
}

export interface Prediction {
  label: string;
  probabilities: Record<string, number>;
  windows: PredictionWindow[];
  /** Seconds of audio analysed (after trimming, when the bundle trims). */
  duration: number;
}

/**
 * Window start samples for a clip of `n` samples: [0] when n ≤ length, else
 * ceil((n − length) / hop) + 1 starts evenly spaced from 0 to n − length.
 */
export function windowStarts(n: number, length: number, hop: number): number[] {
  if (n <= length) return [0];
  const count = Math.ceil((n - length) / hop) + 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round((i * (n - length)) / (count - 1)));
  return out;
}

/** The raw (unnormalised) features (frames, features) of one window of exactly clip_seconds samples. */
export function rawWindowFeatures(bundle: ModelBundle, win: Float32Array): Matrix {
  const { meta } = bundle;
  const f = extractFeatures(win, meta.sample_rate, meta.feature_config);
  const [frames, features] = meta.input_shape;
  if (f.cols !== features || f.rows !== frames) {
    throw new SerError(
      'EMODEL',
      `the features of a ${meta.clip_seconds} s window are (${f.rows}, ${f.cols}) but the model expects (${frames}, ${features})`,
      { file: bundle.source },
    );
  }
  return { rows: f.rows, cols: f.cols, data: f.data };
}

/**
 * The normalised model input (frames, features) of one window of exactly clip_seconds samples.
 * Speaker mode: normalised by `speaker`, or by the bundle's speaker prior when not given.
 */
export function windowFeatures(bundle: ModelBundle, win: Float32Array, speaker?: ZScoreStats): Float32Array {
  return bundleNormalizer(bundle).apply(rawWindowFeatures(bundle, win), speaker).data;
}

function toRecord(labels: string[], p: ArrayLike<number>, offset = 0): Record<string, number> {
  const r: Record<string, number> = {};
  labels.forEach((l, i) => (r[l] = p[offset + i]));
  return r;
}

export interface PredictOptions {
  /** true (default): clips longer than clip_seconds are windowed; false: every clip is cropped /
   * padded to clip_seconds exactly as in training (one window, e.g. the centre of a longer clip). */
  windows?: boolean;
  /** Speaker-normalised bundles only: the speaker's statistics (e.g.
   * `bundleNormalizer(bundle).speakerStats(acc)` over several clips of the speaker). Default: the
   * clip's own frames, shrunk toward the bundle's speaker prior. Ignored by the other modes. */
  speaker?: ZScoreStats;
}

/** A clip's windows as raw features, before normalisation (see {@link clipFeatures}). */
export interface ClipFeatures {
  /** One raw feature matrix (frames, features) per window. */
  windows: Matrix[];
  /** Start sample of each window in the analysed audio (at the bundle's rate). */
  starts: number[];
  single: boolean;
  /** Samples of the analysed audio (after resampling and trimming). */
  n: number;
}

/** A clip turned into model inputs: `x` holds `starts.length` windows (frames, features). */
export interface PreparedClip {
  x: Float32Array;
  /** Start sample of each window in the analysed audio (at the bundle's rate). */
  starts: number[];
  /** One cropped / padded window (clip ≤ clip_seconds, or windows off). */
  single: boolean;
  /** Samples of the analysed audio (after resampling and trimming). */
  n: number;
}

/** Steps 1–3 of {@link predictClip} (no model call): validation, resampling, trimming, windows, features, normalisation. */
export function prepareClip(bundle: ModelBundle, samples: Float32Array, sr: number, options: PredictOptions = {}): PreparedClip {
  return normalizeClip(bundle, clipFeatures(bundle, samples, sr, options), options);
}

/** Adds the frames of every window of a clip to a speaker's accumulator; returns `acc`. */
export function accumulateSpeaker(acc: SpeakerStatsAccumulator, clip: ClipFeatures): SpeakerStatsAccumulator {
  for (const w of clip.windows) acc.add(w);
  return acc;
}

/**
 * Step 3's normalisation of a clip's raw window features into the model input (see the module
 * doc): speaker mode uses `options.speaker`, else the clip's own frames shrunk toward the prior.
 */
export function normalizeClip(bundle: ModelBundle, clip: ClipFeatures, options: Pick<PredictOptions, 'speaker'> = {}): PreparedClip {
  const norm = bundleNormalizer(bundle);
  const speaker = norm.mode === 'speaker' ? (options.speaker ?? norm.speakerStats(accumulateSpeaker(new SpeakerStatsAccumulator(norm.cols), clip))) : undefined;
  const [frames, features] = bundle.meta.input_shape;
  const per = frames * features;
  const x = new Float32Array(clip.windows.length * per);
  clip.windows.forEach((w, i) => x.set(norm.apply(w, speaker).data, i * per));
  return { x, starts: clip.starts, single: clip.single, n: clip.n };
}

/** Steps 1–3 of {@link predictClip} without the normalisation: each window's raw features. */
export function clipFeatures(bundle: ModelBundle, samples: Float32Array, sr: number, options: Pick<PredictOptions, 'windows'> = {}): ClipFeatures {
  check(samples instanceof Float32Array, 'predictClip: samples must be a Float32Array');
  if (!(Number.isFinite(sr) && sr > 0)) throw new SerError('ERATE', `predictClip: sample rate must be a positive number, got ${sr}`);
  if (samples.length === 0) throw new SerError('EEMPTY', 'predictClip: the audio is empty');
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw new SerError('ENONFINITE', `predictClip: the audio has a non-finite sample at index ${i}`);
  }
  const { meta } = bundle;
  const rate = meta.sample_rate;
  const resampled = sr === rate ? samples : resample(samples, sr, rate);
  // silence trimming as in training (when the bundle says so); an all-silent clip stays whole
  let y = resampled;
  if (meta.trim) {
    const t = trim(resampled, meta.trim).y;
    if (t.length > 0) y = t;
  }
  const L = Math.round(meta.clip_seconds * rate);
  const hop = Math.max(1, Math.round(meta.window_hop_seconds * rate));
  const single = y.length <= L || options.windows === false;
  const starts = single ? [0] : windowStarts(y.length, L, hop);
  const windows = starts.map((s) => rawWindowFeatures(bundle, single ? fitClip(y, L, meta.crop, meta.pad) : y.subarray(s, s + L)));
  return { windows, starts, single, n: y.length };
}

/** Step 4 of {@link predictClip}: the prediction from the windows' probabilities (windows × classes, from `offset`). */
export function finishClip(bundle: ModelBundle, prep: PreparedClip, probs: Float32Array, offset = 0): Prediction {
  const { meta } = bundle;
  const rate = meta.sample_rate;
  const L = Math.round(meta.clip_seconds * rate);
  const k = meta.labels.length;
  const { starts, single, n } = prep;
  const mean = new Float64Array(k);
  for (let w = 0; w < starts.length; w++) for (let c = 0; c < k; c++) mean[c] += probs[offset + w * k + c] / starts.length;
  let best = 0;
  for (let c = 1; c < k; c++) if (mean[c] > mean[best]) best = c;
  const duration = n / rate;
  const windows: PredictionWindow[] = starts.map((s, w) => ({
    t_start: single ? (n <= L ? 0 : fitClipOffset(n, L, meta.crop) / rate) : s / rate,
    t_end: single ? (n <= L ? duration : (fitClipOffset(n, L, meta.crop) + L) / rate) : (s + L) / rate,
    probabilities: toRecord(meta.labels, probs, offset + w * k),
  }));
  return { label: meta.labels[best], probabilities: toRecord(meta.labels, mean), windows, duration };
}

/**
 * {@link predictClip} for several clips with one model call for all their windows (much faster
 * per window than one call each). Same results as predicting the clips one by one, up to float
 * rounding (the backend's kernels may sum in another order for another batch size).
 */
export function predictClips(bundle: ModelBundle, clips: { samples: Float32Array; sr: number }[], options: PredictClipsOptions = {}): Prediction[] {
  const norm = bundleNormalizer(bundle);
  if (!options.sameSpeaker || norm.mode !== 'speaker' || options.speaker) {
    return predictPrepared(bundle, clips.map((c) => prepareClip(bundle, c.samples, c.sr, options)));
  }
  const feats = clips.map((c) => clipFeatures(bundle, c.samples, c.sr, options));
  const acc = new SpeakerStatsAccumulator(norm.cols);
  for (const f of feats) accumulateSpeaker(acc, f);
  const speaker = norm.speakerStats(acc);
  return predictPrepared(bundle, feats.map((f) => normalizeClip(bundle, f, { speaker })));
}

export interface PredictClipsOptions extends PredictOptions {
  /** Speaker-normalised bundles: the clips are one speaker — their frames are pooled into one set
   * of speaker statistics (shrunk toward the prior) used for every clip. Default false: each clip
   * by its own frames. */
  sameSpeaker?: boolean;
}

/** Runs the model once over all windows of already prepared clips. */
export function predictPrepared(bundle: ModelBundle, preps: PreparedClip[]): Prediction[] {
  const total = preps.reduce((s, p) => s + p.starts.length, 0);
  const [frames, features] = bundle.meta.input_shape;
  const per = frames * features;
  const x = preps.length === 1 ? preps[0].x : new Float32Array(total * per);
  if (preps.length !== 1) {
    let o = 0;
    for (const p of preps) {
      x.set(p.x, o);
      o += p.x.length;
    }
  }
  const probs = predictProbabilities(bundle.model, x, total, 32);
  const k = bundle.meta.labels.length;
  let w = 0;
  return preps.map((p) => {
    const r = finishClip(bundle, p, probs, w * k);
    w += p.starts.length;
    return r;
  });
}

/**
 * Predicts the emotion of one clip. `samples` mono, any rate `sr` (Hz).
 * Returns {label, probabilities: {label: p}, windows: [{t_start, t_end, probabilities}], duration}.
 * Throws SerError for empty or non-finite audio or a bad rate.
 */
export function predictClip(bundle: ModelBundle, samples: Float32Array, sr: number, options: PredictOptions = {}): Prediction {
  return predictPrepared(bundle, [prepareClip(bundle, samples, sr, options)])[0];
}
