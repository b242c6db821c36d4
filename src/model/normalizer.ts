/**
 * Feature normalisation of a model bundle — the ONE implementation used by training
 * (src/pipeline/run.ts), `predictClip` / `ser predict`, `ser evaluate`, the streaming engine
 * (`ser stream`, `ser listen`, the web app) and the server. Browser-safe: typed arrays only.
 *
 * Every feature matrix has shape (n_frames, n_features) (frame-major). Normalisation has two stages:
 *
 *   1. mode stage (`modeNormalize`), per feature column:
 *        global     nothing;
 *        utterance  z-score by the clip's (window's) own frames;
 *        speaker    z-score by the speaker's statistics (`speakerStats`, below);
 *   2. global stage: z-score with the statistics fitted on the training partition AFTER stage 1
 *      (`normalization.mean` / `std` of the bundle).
 *
 * Statistics are population statistics (ddof 0) computed in float64; a column whose std is
 * ≤ 1e-8·max(1, |mean|) (constant) gets std 1, as sklearn's StandardScaler and `fitZScore` do.
 *
 * Speaker statistics and the prior. A speaker's statistics come from frames of their own
 * (unlabelled) audio, accumulated with {@link SpeakerStatsAccumulator}. With little audio the
 * estimate is unreliable, so it is shrunk toward a prior stored in the bundle
 * (`speaker_prior`): per column, the mean of the training speakers' means (μp) and the square root
 * of the mean of their variances (σp) — "an average training speaker". The prior counts as
 * `pseudo_count` frames (`ser train`: the frames of {@link SPEAKER_PRIOR_CLIPS} model inputs) of audio with
 * mean μp and variance σp², pooled with the speaker's n frames (mean μs, variance σs²):
 *
 *   μ = (n0·μp + n·μs) / (n0 + n)
 *   σ² = (n0·(σp² + (μp − μ)²) + n·(σs² + (μs − μ)²)) / (n0 + n)
 *
 * With no audio yet (n = 0) this is the prior; with a speaker's 60 RAVDESS clips (~7800 frames)
 * the prior (3 clips' frames) weighs ~5 %. Training applies the same rule to its speakers (the prior from the
 * training speakers of the split), so training, evaluation and prediction see identically
 * normalised features.
 */
import { SerError, check } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import { ZScoreAccumulator, momentsToStats, safeStd, type ZScoreStats } from '../data/preprocess.js';
export type { Moments } from '../data/preprocess.js';

/**
 * Weight of the speaker prior, in model inputs (clips) of frames, that `ser train` stores as
 * `pseudo_count` (`--speaker-prior-clips`): used for every speaker normalised with the bundle —
 * validation and test speakers, `ser predict`, `ser evaluate`, streams. Chosen by single-file
 * accuracy on unseen speakers (`npm run bench:speaker-prior` over the 5-fold CV bundles): a file
 * normalised by its own audio scores 58.9 / 62.7 / 62.7 / 61.7 % with weights 1 / 2 / 3 / 5 (run
 * D's method) and 46.3 / 49.9 / 51.1 / 50.9 % (run E's); the same-speaker figures (a speaker's 48
 * clips pooled, where the prior weighs ~5 %) do not move.
 */
export const SPEAKER_PRIOR_CLIPS = 3;

/**
 * Weight of the prior, in clips, for the TRAINING speakers of `ser train` (and their augmented
 * virtual speakers). Kept at one clip: the same 5-fold CV with the training speakers shrunk by 3
 * clips scored 64.4 % against 68.3 % (docs/training.md).
 */
export const TRAIN_SPEAKER_PRIOR_CLIPS = 1;

export const NORMALIZATION_MODES = ['global', 'utterance', 'speaker'] as const;
/** How features are normalised before the model (see the module comment). */
export type NormalizationMode = (typeof NORMALIZATION_MODES)[number];

/** The prior of speaker normalisation (bundle.json `normalization.speaker_prior`). */
export interface SpeakerPrior {
  /** Per column: the mean of the training speakers' means. */
  mean: number[];
  /** Per column: √(mean of the training speakers' variances), > 0. */
  std: number[];
  /** How many training speakers were averaged. */
  speakers: number;
  /** Weight of the prior, in frames, when pooled with a speaker's own frames (n0 above). */
  pseudo_count: number;
}

/** bundle.json `normalization`. */
export interface BundleNormalization {
  kind: 'zscore';
  mode: NormalizationMode;
  /** Global stage statistics (training partition, after the mode stage), one per column. */
  mean: number[];
  std: number[];
  /** Frames the global statistics were computed from. */
  count: number;
  /** Required for mode 'speaker', absent otherwise. */
  speaker_prior?: SpeakerPrior;
}

/**
 * Running per-column mean / variance over the frames (rows) of any number of matrices of shape
 * (n_frames, n_features), in float64 — the project's one Chan/Welford accumulator
 * (ZScoreAccumulator), with the messages and the `stats()` of a speaker's statistics.
 */
export class SpeakerStatsAccumulator extends ZScoreAccumulator {
  /** `cols` (optional) fixes the number of feature columns up front. */
  constructor(cols?: number) {
    super(cols, 'speaker statistics');
  }

  /** The frames' own z-score statistics (no prior). Throws SerError('EDATA') when empty. */
  stats(): ZScoreStats {
    if (this.n === 0) throw new SerError('EDATA', 'speaker statistics: no frames');
    return momentsToStats(this.moments());
  }
}

/** The z-score statistics of one matrix's own frames (utterance mode). */
export function utteranceStats(m: Matrix): ZScoreStats {
  return new SpeakerStatsAccumulator(m.cols).add(m).stats();
}

/**
 * The prior from training speakers' accumulators (one per speaker): per column the mean of their
 * means and √(mean of their variances). Throws SerError('EDATA') when no speaker has frames.
 */
export function speakerPriorFrom(speakers: Iterable<SpeakerStatsAccumulator>, pseudoCount: number): SpeakerPrior {
  check(Number.isFinite(pseudoCount) && pseudoCount >= 0, `speaker prior: pseudo_count must be ≥ 0, got ${pseudoCount}`);
  let k = 0;
  let mean: Float64Array | null = null;
  let v: Float64Array | null = null;
  for (const acc of speakers) {
    const m = acc.moments();
    if (m.count === 0) continue;
    if (!mean) {
      mean = new Float64Array(m.mean.length);
      v = new Float64Array(m.mean.length);
    }
    if (m.mean.length !== mean.length) throw new SerError('EPARAM', `speaker prior: speakers have ${m.mean.length} and ${mean.length} columns`);
    for (let j = 0; j < mean.length; j++) {
      mean[j] += m.mean[j];
      v![j] += m.variance[j];
    }
    k++;
  }
  if (!mean || k === 0) throw new SerError('EDATA', 'speaker prior: no training speaker has frames');
  const outMean: number[] = [];
  const outStd: number[] = [];
  for (let j = 0; j < mean.length; j++) {
    const mu = mean[j] / k;
    outMean.push(mu);
    outStd.push(safeStd(v![j] / k, mu));
  }
  return { mean: outMean, std: outStd, speakers: k, pseudo_count: pseudoCount };
}

/**
 * A speaker's statistics: their accumulated frames pooled with the prior (see the module
 * comment); the prior alone when `acc` is null or empty. Shapes: one value per column.
 */
export function blendSpeakerStats(acc: SpeakerStatsAccumulator | null, prior: SpeakerPrior): ZScoreStats {
  const c = prior.mean.length;
  const m = acc ? acc.moments() : null;
  const n = m ? m.count : 0;
  if (m && n > 0 && m.mean.length !== c) throw new SerError('EPARAM', `speaker statistics have ${m.mean.length} columns, the prior has ${c}`);
  const n0 = prior.pseudo_count;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const mp = prior.mean[j];
    const vp = prior.std[j] * prior.std[j];
    if (n === 0) {
      mean[j] = mp;
      variance[j] = vp;
      continue;
    }
    const ms = m!.mean[j];
    const vs = m!.variance[j];
    const mu = (n0 * mp + n * ms) / (n0 + n);
    mean[j] = mu;
    variance[j] = (n0 * (vp + (mp - mu) ** 2) + n * (vs + (ms - mu) ** 2)) / (n0 + n);
  }
  return momentsToStats({ count: n, mean, variance });
}

/** (m − mean) / std per column → a new matrix of the same shape (n_frames, n_features). */
function zscore(m: Matrix, s: ZScoreStats): Matrix {
  if (m.cols !== s.mean.length) throw new SerError('EPARAM', `normalisation: matrix has ${m.cols} columns, statistics have ${s.mean.length}`);
  const out = new Float32Array(m.data.length);
  const c = m.cols;
  for (let r = 0; r < m.rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) out[o + j] = (m.data[o + j] - s.mean[j]) / s.std[j];
  }
  return { rows: m.rows, cols: c, data: out };
}

/**
 * Both stages in one pass: (Math.fround((x − s1.mean) / s1.std) − s2.mean) / s2.std per column
 * (stage 1 skipped when `s1` is null) — the same float32 rounding as the two passes of
 * {@link zscore}, without the intermediate matrix. Shape (n_frames, n_features) in and out.
 */
function zscoreTwice(m: Matrix, s1: ZScoreStats | null, s2: ZScoreStats, dest?: Float32Array): Matrix {
  const c = m.cols;
  for (const s of s1 ? [s1, s2] : [s2]) {
    if (c !== s.mean.length) throw new SerError('EPARAM', `normalisation: matrix has ${c} columns, statistics have ${s.mean.length}`);
  }
  const n = m.rows * c;
  if (dest && dest.length < n) throw new SerError('EPARAM', `normalisation: destination holds ${dest.length} values, ${n} needed`);
  const out = dest ? dest.subarray(0, n) : new Float32Array(n);
  zscoreRows(m.data, out, n, c, s1 ? s1.mean : null, s1 ? s1.std : null, s2.mean, s2.std);
  return { rows: m.rows, cols: c, data: out };
}

/**
 * The loops of {@link zscoreTwice}, in a function of their own: called once per hop by a stream,
 * it is optimised as a whole, whereas loops inside the caller ran in on-stack-replaced code that
 * V8 de-optimised on every exit (the statements after the loop had no type feedback yet).
 */
function zscoreRows(
  x: Float32Array,
  out: Float32Array,
  n: number,
  c: number,
  m1: Float32Array | null,
  d1: Float32Array | null,
  m2: Float32Array,
  d2: Float32Array,
): void {
  if (m1 && d1) {
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) out[o + j] = (Math.fround((x[o + j] - m1[j]) / d1[j]) - m2[j]) / d2[j];
    }
  } else {
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) out[o + j] = (x[o + j] - m2[j]) / d2[j];
    }
  }
}

/**
 * Stage 1 alone (training fits the global statistics on its output): 'global' returns `m`
 * unchanged, 'utterance' z-scores `m` by its own frames, 'speaker' by `speaker` (required).
 * Shape (n_frames, n_features) in and out.
 */
export function modeNormalize(mode: NormalizationMode, m: Matrix, speaker?: ZScoreStats): Matrix {
  if (mode === 'global') return m;
  if (mode === 'utterance') return m.rows === 0 ? m : zscore(m, utteranceStats(m));
  if (!speaker) throw new SerError('EPARAM', "normalisation mode 'speaker' needs the speaker's statistics");
  return zscore(m, speaker);
}

export interface Normalizer {
  readonly mode: NormalizationMode;
  /** Feature columns. */
  readonly cols: number;
  /** Global stage statistics. */
  readonly global: ZScoreStats;
  /** Speaker mode: the prior; otherwise null. */
  readonly prior: SpeakerPrior | null;
  /**
   * The model input for a feature matrix (n_frames, n_features) → same shape: stage 1 then
   * stage 2, in one pass (bit-identical to {@link modeNormalize} followed by the global z-score).
   * Speaker mode uses `speaker` (from {@link Normalizer.speakerStats}), or the prior when it is not
   * given; the other modes ignore it. With `dest` (≥ n_frames·n_features floats, e.g. a buffer
   * reused from hop to hop) the result is written there instead of a new array.
   */
  apply(m: Matrix, speaker?: ZScoreStats, dest?: Float32Array): Matrix;
  /** Speaker mode: the statistics of a speaker's accumulated frames blended with the prior
   * (the prior alone for null / no frames). Other modes: throws SerError('EPARAM'). */
  speakerStats(acc: SpeakerStatsAccumulator | null): ZScoreStats;
}

/** Validates serialised normalisation; returns the problem as text, or null when valid. */
export function normalizationProblem(n: unknown, cols?: number): string | null {
  if (typeof n !== 'object' || n === null || Array.isArray(n)) return 'normalization is missing';
  const o = n as Record<string, unknown>;
  if (o.kind !== 'zscore') return `normalization.kind ${JSON.stringify(o.kind)} is not supported (expected 'zscore')`;
  if (!(NORMALIZATION_MODES as readonly unknown[]).includes(o.mode)) {
    return `normalization.mode ${JSON.stringify(o.mode)} is not supported by this version of ser (known modes: ${NORMALIZATION_MODES.join(', ')})`;
  }
  const vec = (v: unknown, name: string, positive: boolean): string | null => {
    if (!Array.isArray(v) || v.length === 0) return `${name} must be a non-empty array`;
    if (!v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) return `${name} must hold finite numbers${positive ? ' > 0' : ''}`;
    if (cols !== undefined && v.length !== cols) return `${name} has ${v.length} columns, input_shape has ${cols} features`;
    return null;
  };
  const p = vec(o.mean, 'normalization.mean', false) ?? vec(o.std, 'normalization.std', true);
  if (p) return p;
  if ((o.mean as unknown[]).length !== (o.std as unknown[]).length) return 'normalization.mean and normalization.std differ in length';
  if (o.count !== undefined && !(typeof o.count === 'number' && o.count >= 0)) return `normalization.count must be a number ≥ 0, got ${JSON.stringify(o.count)}`;
  const c = (o.mean as unknown[]).length;
  if (o.mode === 'speaker') {
    const sp = o.speaker_prior;
    if (typeof sp !== 'object' || sp === null || Array.isArray(sp)) return "normalization.mode 'speaker' needs normalization.speaker_prior";
    const s = sp as Record<string, unknown>;
    const q = vec(s.mean, 'normalization.speaker_prior.mean', false) ?? vec(s.std, 'normalization.speaker_prior.std', true);
    if (q) return q;
    if ((s.mean as unknown[]).length !== c || (s.std as unknown[]).length !== c) return `normalization.speaker_prior must have ${c} columns like normalization.mean`;
    if (!(typeof s.pseudo_count === 'number' && Number.isFinite(s.pseudo_count) && s.pseudo_count >= 0)) {
      return `normalization.speaker_prior.pseudo_count must be a number ≥ 0, got ${JSON.stringify(s.pseudo_count)}`;
    }
    if (!(Number.isInteger(s.speakers) && (s.speakers as number) >= 1)) return `normalization.speaker_prior.speakers must be a positive integer, got ${JSON.stringify(s.speakers)}`;
  } else if (o.speaker_prior !== undefined) {
    return `normalization.speaker_prior is only meaningful for mode 'speaker' (mode is '${String(o.mode)}')`;
  }
  return null;
}

/** A normaliser for serialised (bundle) normalisation. Throws SerError('EMODEL') when it is invalid. */
export function createNormalizer(n: BundleNormalization): Normalizer {
  const problem = normalizationProblem(n);
  if (problem) throw new SerError('EMODEL', problem);
  const global: ZScoreStats = { mean: Float32Array.from(n.mean), std: Float32Array.from(n.std), count: n.count ?? 0 };
  const mode = n.mode;
  const prior = mode === 'speaker' ? n.speaker_prior! : null;
  const priorStats = prior ? blendSpeakerStats(null, prior) : null;
  return {
    mode,
    cols: n.mean.length,
    global,
    prior,
    apply(m: Matrix, speaker?: ZScoreStats, dest?: Float32Array): Matrix {
      const first = mode === 'speaker' ? (speaker ?? priorStats!) : mode === 'utterance' && m.rows > 0 ? utteranceStats(m) : null;
      return zscoreTwice(m, first, global, dest);
    },
    speakerStats(acc: SpeakerStatsAccumulator | null): ZScoreStats {
      if (!prior) throw new SerError('EPARAM', `speaker statistics are only used in normalisation mode 'speaker' (this model uses '${mode}')`);
      return blendSpeakerStats(acc, prior);
    },
  };
}
