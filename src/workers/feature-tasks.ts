/**
 * The work done per file by `ser features`, the feature benchmark and the dataset cache. The same
 * function runs in-process (`--jobs 1`) and inside worker threads (features.worker.ts), so the
 * output cannot depend on the number of workers.
 *
 * Pipeline per task: decode (native rate) → resample to `sr` → [trim silence] → [augmentation]
 * → [clip] → features. The training pipeline (src/pipeline) and the dataset cache (src/data/cache.ts)
 * both build their entries with the 'cache' task, so a trained model's features and a predicted
 * clip's come from the same steps (src/model/predict.ts: resample → trim → fitClip → features). Feature matrices are frame-major (n_frames, n_features).
 */
import { createHash } from 'node:crypto';
import { decodeAudioSync, loadAudio, readBytesReused, sniffFormat, toMono, type LoadedAudio, type LoadOptions } from '../audio/index.js';
import { resample } from '../dsp/resample.js';
import { fitClip, type ClipCrop, type ClipPad } from '../dsp/clip.js';
import { trim } from '../dsp/trim.js';
import {
  extractFeatures,
  extractAllFeatures,
  featureConfigHash,
  type FeatureConfig,
} from '../features/index.js';
import type { Matrix } from '../dsp/matrix.js';
import { SerError } from '../errors.js';
import { encodeFeatureEntry } from '../io/featfile.js';
import { writeFileAtomic } from '../util/atomic.js';

/** Fixed-length policy applied to the (augmented) waveform before features (src/dsp/clip.ts fitClip). */
export interface ClipPolicy {
  /** Target length in seconds: longer audio is cropped, shorter is zero-padded. */
  seconds: number;
  /** Which part to keep when cropping: the start (default) or the centre. */
  align?: ClipCrop;
  /** Where shorter audio gets its zeros: at the end (default) or split before and after. */
  pad?: ClipPad;
}

/** Human-readable, stable description of a clip policy, for cache keys ('' = whole clip). */
export function describeClip(clip: ClipPolicy | undefined): string {
  if (!clip) return '';
  return `clip(${clip.seconds}s,${clip.align ?? 'start'}${clip.pad === 'both' ? ',pad-both' : ''})`;
}

/** Crops (keeping clip.align) or zero-pads (clip.pad) `y` to exactly round(seconds·sr) samples (src/dsp/clip.ts fitClip). */
export function applyClip(y: Float32Array, sr: number, clip: ClipPolicy): Float32Array {
  const n = Math.round(clip.seconds * sr);
  if (!(n > 0)) throw new SerError('EPARAM', `clip length must be positive, got ${clip.seconds} s`);
  return fitClip(y, n, clip.align ?? 'start', clip.pad ?? 'end');
}

/** Wall-clock milliseconds per stage (and, in `cpu`, process CPU milliseconds per stage). */
export interface StageTimes {
  readMs: number;
  decodeMs: number;
  resampleMs: number;
  augmentMs: number;
  featuresMs: number;
  writeMs: number;
  /**
   * CPU time (user + system) of the whole process during each stage, from process.cpuUsage():
   * meaningful when one task runs at a time in the process (in-process `--jobs 1`); with worker
   * threads it also counts the other threads. Unlike wall time, it is not inflated by other
   * processes competing for the cores.
   */
  cpu: { read: number; decode: number; resample: number; augment: number; features: number; write: number };
}

interface BaseTask {
  file: string;
  /** Target sample rate, or 'native' to keep the file's rate. */
  sr: number | 'native';
  config?: Partial<FeatureConfig>;
}

/** Extract the default feature matrix (all columns), returned by transfer. */
export interface MatrixTask extends BaseTask {
  kind: 'matrix';
  clip?: ClipPolicy;
}
/** Extract every named feature block (for `ser features --json`). */
export interface BlocksTask extends BaseTask {
  kind: 'blocks';
}
/** Extract features and write them as a cache entry at `outPath` (atomic); returns metadata only. */
export interface CacheTask extends BaseTask {
  kind: 'cache';
  outPath: string;
  /** Metadata stored in the entry header. */
  meta: Record<string, unknown>;
  augmentation?: unknown;
  seed?: number;
  /** librosa.effects.trim top_db applied before augmentation (null / absent: no trimming); an all-silent clip stays whole. */
  trimDb?: number | null;
  clip?: ClipPolicy;
  /** Expected sha256 of the file's content; the entry is not written when the file changed. */
  contentSha256?: string;
}
export type FeatureTask = MatrixTask | BlocksTask | CacheTask;

export interface AudioInfo {
  file: string;
  sr: number;
  /** Sample rate of the file itself. */
  nativeSr: number;
  channels: number;
  /** Seconds of audio the features were computed from. */
  duration: number;
  samples: number;
  times: StageTimes;
}
export interface MatrixResult extends AudioInfo {
  kind: 'matrix';
  features: Matrix;
  columns: string[];
  /** The normalised feature configuration used (sr included). */
  config: FeatureConfig;
}
export interface BlocksResult extends AudioInfo {
  kind: 'blocks';
  /** Every named block (librosa's names), frame-major; null when it cannot be computed for this clip. */
  blocks: Record<string, Matrix | null>;
  /** Why a block is null (e.g. deltas of a clip shorter than delta_width frames). */
  errors: Record<string, string>;
  tuning: number;
}
export interface CacheResult extends AudioInfo {
  kind: 'cache';
  outPath: string;
  rows: number;
  cols: number;
  bytes: number;
}
export type FeatureResult = MatrixResult | BlocksResult | CacheResult;

const now = () => performance.now();
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Audio decoded by {@link decodeForFeatures}: mono `y` (n,) at `sr`, with per-stage times. */
export interface DecodedForFeatures {
  y: Float32Array;
  sr: number;
  nativeSr: number;
  channels: number;
  times: StageTimes;
}

/**
 * The audio half of every feature task (`ser features`, the dataset cache, the training
 * pipeline): read `file` → decode at the native rate → mono → resample to `sr` ('native' keeps
 * the file's rate). With `contentSha256`, a file whose bytes no longer hash to it is refused
 * (SerError 'EDATA'). Errors are SerErrors naming the file.
 */
export async function decodeForFeatures(task: { file: string; sr: number | 'native'; contentSha256?: string }): Promise<DecodedForFeatures> {
  const times: StageTimes = {
    readMs: 0,
    decodeMs: 0,
    resampleMs: 0,
    augmentMs: 0,
    featuresMs: 0,
    writeMs: 0,
    cpu: { read: 0, decode: 0, resample: 0, augment: 0, features: 0, write: 0 },
  };
  let t = now();
  let c = cpuNow();
  // Read into this thread's reused buffer; the view is only valid until the next read, so WAV and
  // FLAC are decoded synchronously right away and MP3/Ogg (asynchronous decoders) get a copy.
  let bytes = readBytesReused(task.file);
  if (task.contentSha256) {
    const h = createHash('sha256').update(bytes).digest('hex');
    if (h !== task.contentSha256) throw new SerError('EDATA', 'file changed while its features were being extracted', { file: task.file });
  }
  times.readMs = now() - t;
  times.cpu.read = cpuNow() - c;
  t = now();
  c = cpuNow();
  const format = sniffFormat(bytes, task.file).format;
  let audio: LoadedAudio;
  // WAV and FLAC: decoded synchronously, FLAC into the decoder's own memory (scratch): the samples
  // are copied below by the resampler or the mix-down, or by slice() when neither runs
  let scratch = false;
  if (format === 'wav' || format === 'flac') {
    scratch = format === 'flac';
    audio = loadAudioNamed(bytes, task.file, (b, o) => {
      const d = decodeAudioSync(b, o.name, { scratch });
      return { y: toMono(d.channels), sr: d.sr, channels: d.channels.length, duration: d.channels[0].length / d.sr };
    });
    if (audio.channels > 1) scratch = false; // toMono made a new array
  } else {
    bytes = bytes.slice();
    audio = await loadAudioNamed(bytes, task.file, loadAudio);
  }
  times.decodeMs = now() - t;
  times.cpu.decode = cpuNow() - c;
  let y = audio.y;
  const sr = task.sr === 'native' ? audio.sr : task.sr;
  if (sr !== audio.sr) {
    t = now();
    c = cpuNow();
    y = resample(y, audio.sr, sr);
    times.resampleMs = now() - t;
    times.cpu.resample = cpuNow() - c;
  } else if (scratch) {
    y = y.slice();
  }
  return { y, sr, nativeSr: audio.sr, channels: audio.channels, times };
}

/** Decodes bytes at the native rate with `load` (sync or async); errors name `file` (not "<bytes>"). */
function loadAudioNamed<R extends LoadedAudio | Promise<LoadedAudio>>(bytes: Uint8Array, file: string, load: (b: Uint8Array, o: LoadOptions) => R): R {
  const rename = (err: unknown): never => {
    if (err instanceof SerError && err.file === file) throw err;
    if (err instanceof SerError) {
      const prefix = err.file !== undefined ? `${err.file}: ` : '';
      const msg = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      throw new SerError(err.code, msg, { file, cause: err });
    }
    throw new SerError('EFORMAT', `cannot decode audio (${(err as Error).message})`, { file, cause: err });
  };
  try {
    const r = load(bytes, { sr: 'native', mono: true, name: file });
    return (r instanceof Promise ? r.catch(rename) : r) as R;
  } catch (err) {
    return rename(err);
  }
}

function toMatrix(m: { rows: number; cols: number; data: Float32Array }): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data };
}

/** Runs one task. Used directly for `--jobs 1` and by the worker for `--jobs N`. */
export async function runFeatureTask(task: FeatureTask): Promise<FeatureResult> {
  const d = await decodeForFeatures(task as BaseTask & { contentSha256?: string });
  let y = d.y;
  const times = d.times;
  const info = (): AudioInfo => ({ file: task.file, sr: d.sr, nativeSr: d.nativeSr, channels: d.channels, duration: y.length / d.sr, samples: y.length, times });

  if (task.kind === 'blocks') {
    const t = now();
    const c = cpuNow();
    const all = extractAllFeatures(y, d.sr, task.config);
    times.featuresMs = now() - t;
    times.cpu.features = cpuNow() - c;
    const { tuning, errors, ...named } = all;
    const blocks: Record<string, Matrix | null> = {};
    for (const [name, m] of Object.entries(named)) blocks[name] = m ? toMatrix(m) : null;
    return { kind: 'blocks', ...info(), blocks, errors: { ...errors }, tuning };
  }

  if (task.kind === 'cache' && task.trimDb != null) {
    // before augmentation: a noisy copy is trimmed like its source, and the original goes through
    // exactly what prediction does (trim → fitClip → features)
    const trimmed = trim(y, { top_db: task.trimDb }).y;
    if (trimmed.length > 0) y = trimmed;
  }
  if (task.kind === 'cache' && task.augmentation != null) {
    const t = now();
    const c = cpuNow();
    const { applyAugmentation } = await import('../augment/index.js');
    y = applyAugmentation(y, d.sr, task.augmentation as Parameters<typeof applyAugmentation>[2], task.seed ?? 0);
    times.augmentMs = now() - t;
    times.cpu.augment = cpuNow() - c;
  }
  if (task.clip) y = applyClip(y, d.sr, task.clip);

  let t = now();
  let c = cpuNow();
  const f = extractFeatures(y, d.sr, task.config);
  times.featuresMs = now() - t;
  times.cpu.features = cpuNow() - c;
  const features = toMatrix(f);

  if (task.kind === 'matrix') {
    return { kind: 'matrix', ...info(), features, columns: [...f.columns], config: f.config };
  }
  t = now();
  c = cpuNow();
  const bytes = encodeFeatureEntry({ ...task.meta, sr: d.sr, duration: y.length / d.sr, feature_config_hash: featureConfigHash(f.config), columns: f.columns }, features);
  await writeFileAtomic(task.outPath, bytes);
  times.writeMs = now() - t;
  times.cpu.write = cpuNow() - c;
  return { kind: 'cache', ...info(), outPath: task.outPath, rows: features.rows, cols: features.cols, bytes: bytes.length };
}
