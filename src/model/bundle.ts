/**
 * Model bundles: one folder holding everything a prediction needs.
 *
 *   model.json   tfjs LayersModel topology + weights manifest (paths: ["weights.bin"])
 *   weights.bin  the weights, float32, in manifest order
 *   bundle.json  {format_version: 1, labels, sample_rate, clip_seconds, trim, crop, pad, window_hop_seconds,
 *                 input_shape: [frames, features], feature_config, feature_config_hash,
 *                 normalization: {kind: 'zscore', mode, mean, std, count, speaker_prior?}, model_config,
 *                 training: {command, protocol, data, seed, date, metrics}, weights: {bytes, fnv1a}}
 *   history.json (optional) the training history
 *
 * This file is browser-safe (no Node imports): it turns a model + metadata into the files' bytes
 * ({@link createBundleFiles}) and files' bytes back into a model ({@link parseBundle},
 * {@link loadBundleFromUrl}). The folder I/O is in ./bundle-node.ts.
 *
 * A bundle is refused with SerError('EMODEL') naming its source when: a file is missing, not JSON,
 * or truncated; the format_version is unknown; weights.bin does not match the manifest or its
 * checksum; or the stored feature_config_hash differs from what the current code computes for the
 * stored feature config (the features would not be the ones the model was trained on).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SerError } from '../errors.js';
import { featureConfigHash, normalizeFeatureConfig, type FeatureConfig } from '../features/index.js';
import { zscoreFromJSON, zscoreToJSON, type ZScoreStats } from '../data/preprocess.js';
import { createNormalizer, normalizationProblem, NORMALIZATION_MODES, type BundleNormalization, type NormalizationMode, type Normalizer, type SpeakerPrior } from './normalizer.js';
import { modelInputShape, modelOutputClasses } from './train.js';
// Side-effect import: registers the project's custom layers so their topology can be deserialised.
import './build.js';

export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_FILES = { bundle: 'bundle.json', model: 'model.json', weights: 'weights.bin', history: 'history.json' } as const;

import type { ClipCrop, ClipPad } from '../dsp/clip.js';
export type { ClipCrop, ClipPad } from '../dsp/clip.js';
/** librosa.effects.trim parameters (ref = max). */
export interface BundleTrim {
  top_db: number;
  frame_length: number;
  hop_length: number;
}

/** How features are normalised before the model ('global', 'utterance', 'speaker'): see ./normalizer.ts. */
export type { BundleNormalization, NormalizationMode, SpeakerPrior } from './normalizer.js';

export interface BundleTraining {
  /** The command line that trained the model. */
  command: string;
  /** The data protocol (split descriptor), e.g. {name: 'speaker-5fold', fold: 0, ...}. */
  protocol: unknown;
  /** The training data: folders, counts, ... By convention `{speakers: string[]}` lists the
   * speaker ids (DatasetItem.speaker) the model saw in training (training + validation), so that
   * `ser evaluate` can flag evaluation data from seen speakers. */
  data: unknown;
  seed: number;
  /** ISO 8601 date of training. */
  date: string;
  /** Evaluation metrics on held-out data, if any. */
  metrics?: unknown;
}

export interface BundleMeta {
  format_version: number;
  labels: string[];
  /** Rate the features are computed at (Hz); inputs are resampled to it. */
  sample_rate: number;
  /** Length of one model input in seconds; shorter clips are padded, longer ones windowed. */
  clip_seconds: number;
  /** Silence trimming applied to every clip before cropping / padding (librosa.effects.trim
   * parameters), or null for none. */
  trim: BundleTrim | null;
  /** Which part of a longer clip training kept: the middle ('center', as padOrCrop) or the start. */
  crop: ClipCrop;
  /** Where training put the zeros of a shorter clip: split on both sides ('both', as padOrCrop's
   * 'center' mode) or all at the end ('end'). */
  pad: ClipPad;
  /** Hop between windows for clips longer than clip_seconds (default clip_seconds / 2). */
  window_hop_seconds: number;
  /** Model input [frames, features]. */
  input_shape: [number, number];
  feature_config: FeatureConfig;
  feature_config_hash: string;
  normalization: BundleNormalization;
  model_config: unknown;
  training: BundleTraining;
  weights?: { bytes: number; fnv1a: string };
}

export interface ModelBundle {
  meta: BundleMeta;
  model: tfl.LayersModel;
  /** Where it was loaded from (folder or URL), for messages. */
  source: string;
  /** The global-stage z-score statistics as typed arrays. */
  stats: ZScoreStats;
  /** The bundle's normalisation (mode stage + global stage), see ./normalizer.ts. Absent on
   * hand-made bundle objects: use {@link bundleNormalizer}. */
  normalizer?: Normalizer;
}

/** The files of a bundle as bytes / text. */
export interface BundleFiles {
  'bundle.json': string;
  'model.json': string;
  'weights.bin': Uint8Array;
  'history.json'?: string;
}

export interface CreateBundleInput {
  model: tfl.LayersModel;
  labels: string[];
  sampleRate: number;
  clipSeconds: number;
  featureConfig: FeatureConfig;
  /** Global-stage statistics (fitted on the training partition after the mode stage). */
  normalization: ZScoreStats;
  /** Default 'global'. 'speaker' needs `speakerPrior`. */
  normalizationMode?: NormalizationMode;
  /** The prior of speaker normalisation (mode 'speaker' only), see ./normalizer.ts. */
  speakerPrior?: SpeakerPrior;
  modelConfig: unknown;
  training: Omit<BundleTraining, 'date'> & { date?: string };
  /** Silence trimming training applied before cropping / padding (default none). Missing fields
   * take librosa's defaults: top_db 60, frame_length 2048, hop_length 512. */
  trim?: Partial<BundleTrim> | null;
  /** Default 'center'. */
  crop?: ClipCrop;
  /** Default 'both'. */
  pad?: ClipPad;
  windowHopSeconds?: number;
  /** Optional training history, stored as history.json. */
  history?: unknown;
}

/** 32-bit FNV-1a of bytes, as 8 hex digits (corruption check of weights.bin). */
export function fnv1aHex(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/** Serialises a model and its metadata into the bundle's files (no I/O). */
export async function createBundleFiles(input: CreateBundleInput): Promise<BundleFiles> {
  const { model, labels } = input;
  const fail = (msg: string): never => {
    throw new SerError('EPARAM', `saveBundle: ${msg}`);
  };
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== 'string' || l === '')) fail('labels must be ≥ 2 non-empty strings');
  if (new Set(labels).size !== labels.length) fail(`labels must be unique, got ${JSON.stringify(labels)}`);
  const k = modelOutputClasses(model);
  if (k !== labels.length) fail(`the model has ${k} outputs but ${labels.length} labels were given`);
  const [frames, features] = modelInputShape(model);
  if (!(Number.isFinite(input.sampleRate) && input.sampleRate > 0)) fail(`sampleRate must be > 0, got ${input.sampleRate}`);
  if (!(Number.isFinite(input.clipSeconds) && input.clipSeconds > 0)) fail(`clipSeconds must be > 0, got ${input.clipSeconds}`);
  const norm = zscoreToJSON(input.normalization);
  if (norm.mean.length !== features) fail(`normalization has ${norm.mean.length} columns, the model input has ${features} features`);
  const mode = input.normalizationMode ?? 'global';
  if (!(NORMALIZATION_MODES as readonly string[]).includes(mode)) fail(`normalizationMode must be one of ${NORMALIZATION_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (mode === 'speaker' && !input.speakerPrior) fail("normalizationMode 'speaker' needs speakerPrior");
  if (mode !== 'speaker' && input.speakerPrior) fail(`speakerPrior is only stored with normalizationMode 'speaker' (got '${mode}')`);
  const normalization: BundleNormalization = { kind: 'zscore', mode, mean: norm.mean, std: norm.std, count: norm.count };
  if (input.speakerPrior) {
    const p = input.speakerPrior;
    normalization.speaker_prior = { mean: Array.from(p.mean), std: Array.from(p.std), speakers: p.speakers, pseudo_count: p.pseudo_count };
  }
  const normProblem = normalizationProblem(normalization, features);
  if (normProblem) fail(normProblem);
  const featureConfig = normalizeFeatureConfig(input.featureConfig);
  if (featureConfig.sr !== input.sampleRate) fail(`the feature config's sr (${featureConfig.sr}) differs from sampleRate (${input.sampleRate})`);
  const hop = input.windowHopSeconds ?? input.clipSeconds / 2;
  if (!(hop > 0 && hop <= input.clipSeconds)) fail(`windowHopSeconds must be in (0, clipSeconds], got ${hop}`);

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts || !artifacts.modelTopology || !artifacts.weightSpecs) throw new SerError('EMODEL', 'saveBundle: the model could not be serialised');
  const weights = artifacts.weightData ? concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array(0);
  const modelJson = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [BUNDLE_FILES.weights], weights: artifacts.weightSpecs }],
  };
  const meta: BundleMeta = {
    format_version: BUNDLE_FORMAT_VERSION,
    labels: labels.slice(),
    sample_rate: input.sampleRate,
    clip_seconds: input.clipSeconds,
    trim: input.trim ? { top_db: input.trim.top_db ?? 60, frame_length: input.trim.frame_length ?? 2048, hop_length: input.trim.hop_length ?? 512 } : null,
    crop: input.crop ?? 'center',
    pad: input.pad ?? 'both',
    window_hop_seconds: hop,
    input_shape: [frames, features],
    feature_config: featureConfig,
    feature_config_hash: featureConfigHash(featureConfig),
    normalization,
    model_config: input.modelConfig ?? null,
    training: { ...input.training, date: input.training.date ?? new Date().toISOString() },
    weights: { bytes: weights.byteLength, fnv1a: fnv1aHex(weights) },
  };
  const files: BundleFiles = {
    'bundle.json': JSON.stringify(meta, null, 2) + '\n',
    'model.json': JSON.stringify(modelJson) + '\n',
    'weights.bin': weights,
  };
  if (input.history !== undefined) files['history.json'] = JSON.stringify(input.history, null, 2) + '\n';
  return files;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string | undefined, name: string, source: string): unknown {
  if (text === undefined) throw new SerError('EMODEL', `not a model bundle: ${name} is missing`, { file: source });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SerError('EMODEL', `${name} is not valid JSON (${(e as Error).message}); the bundle is corrupt or partially written`, { file: source });
  }
}

/**
 * Validates bundle.json's content. Throws SerError('EMODEL') naming `source` and the problem,
 * including an unknown format_version and a feature_config_hash that the current code does not
 * reproduce.
 */
export function validateBundleMeta(raw: unknown, source: string): BundleMeta {
  const bad = (msg: string): never => {
    throw new SerError('EMODEL', `bundle.json: ${msg}`, { file: source });
  };
  if (!isObj(raw)) return bad('must be a JSON object');
  const m = raw;
  if (m.format_version !== BUNDLE_FORMAT_VERSION) {
    bad(`unknown format_version ${JSON.stringify(m.format_version)} (this version of ser reads format_version ${BUNDLE_FORMAT_VERSION})`);
  }
  const labels = m.labels;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string' && l !== '') || new Set(labels).size !== labels.length) {
    bad('labels must be a list of ≥ 2 unique non-empty strings');
  }
  const num = (key: string): number => {
    const v = m[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return bad(`${key} must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  num('sample_rate');
  const clip = num('clip_seconds');
  const hop = num('window_hop_seconds');
  if (hop > clip) bad(`window_hop_seconds (${hop}) exceeds clip_seconds (${clip})`);
  if (m.trim === undefined) m.trim = null;
  if (m.trim !== null) {
    const t = m.trim as Json;
    if (!isObj(t) || !(typeof t.top_db === 'number' && t.top_db > 0) || !Number.isInteger(t.frame_length) || !Number.isInteger(t.hop_length) || (t.frame_length as number) < 1 || (t.hop_length as number) < 1) {
      bad(`trim must be null or {top_db > 0, frame_length, hop_length}, got ${JSON.stringify(m.trim)}`);
    }
  }
  if (m.crop !== 'center' && m.crop !== 'start') bad(`crop must be 'center' or 'start', got ${JSON.stringify(m.crop)}`);
  if (m.pad !== 'both' && m.pad !== 'end') bad(`pad must be 'both' or 'end', got ${JSON.stringify(m.pad)}`);
  const shape = m.input_shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((v) => Number.isInteger(v) && v > 0)) bad('input_shape must be [frames, features]');
  if (!isObj(m.feature_config)) bad('feature_config is missing');
  if (typeof m.feature_config_hash !== 'string') bad('feature_config_hash is missing');
  let current: string;
  try {
    current = featureConfigHash(m.feature_config as unknown as FeatureConfig);
  } catch (e) {
    return bad(`feature_config is not valid for this version of ser: ${(e as Error).message}`);
  }
  if ((m.feature_config as Json).sr !== m.sample_rate) bad(`feature_config.sr (${String((m.feature_config as Json).sr)}) differs from sample_rate (${String(m.sample_rate)})`);
  if (current !== m.feature_config_hash) {
    bad(
      `feature config mismatch: the bundle was made with feature_config_hash ${m.feature_config_hash}, but this version of ser computes ${current} for that config — ` +
        'the features would differ from those the model was trained on; retrain the model (or use the ser version that made it)',
    );
  }
  const n = m.normalization;
  if (!isObj(n)) return bad('normalization is missing');
  // bundles written before the modes existed have mode 'global' (kept loading as they are)
  const problem = normalizationProblem(n, (shape as number[])[1]);
  if (problem) bad(problem);
  try {
    zscoreFromJSON(n);
  } catch (e) {
    bad(`normalization: ${(e as Error).message}`);
  }
  if (!isObj(m.training)) bad('training is missing');
  // bundles of `ser train --normalize utterance|speaker` made before the modes were stored say
  // 'global' but hold statistics of mode-normalised features: predicting with them would be wrong
  const trained = isObj((m.training as Json).data) ? ((m.training as Json).data as Json).input_normalization : undefined;
  if ((trained === 'utterance' || trained === 'speaker') && n.mode !== trained) {
    bad(
      `the model was trained with --normalize ${trained} but normalization.mode is ${JSON.stringify(n.mode)} (a bundle written before ser stored ` +
        `normalisation modes): its predictions would be wrong; retrain it with this version of ser`,
    );
  }
  return m as unknown as BundleMeta;
}

/**
 * Builds a ModelBundle from its files' contents (Node or browser). `source` (a folder or URL) is
 * named in every error. Throws SerError('EMODEL') for a missing, truncated, corrupt or mismatched bundle.
 */
export async function parseBundle(
  files: { 'bundle.json'?: string; 'model.json'?: string; 'weights.bin'?: Uint8Array | ArrayBuffer },
  source: string,
): Promise<ModelBundle> {
  const meta = validateBundleMeta(parseJson(files['bundle.json'], BUNDLE_FILES.bundle, source), source);
  const mj = parseJson(files['model.json'], BUNDLE_FILES.model, source);
  const bad = (msg: string): never => {
    throw new SerError('EMODEL', msg, { file: source });
  };
  if (!isObj(mj) || !isObj(mj.modelTopology) || !Array.isArray(mj.weightsManifest)) return bad('model.json: not a tfjs layers model (modelTopology / weightsManifest missing)');
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of mj.weightsManifest as unknown[]) {
    if (!isObj(group) || !Array.isArray(group.weights)) return bad('model.json: malformed weightsManifest');
    specs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
  }
  const wb = files['weights.bin'];
  if (wb === undefined) return bad('not a model bundle: weights.bin is missing');
  const weights = wb instanceof Uint8Array ? wb : new Uint8Array(wb);
  const bytesPer: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  let expected = 0;
  for (const s of specs) {
    const b = bytesPer[s.dtype];
    if (b === undefined || s.quantization) return bad(`model.json: weight ${s.name} has unsupported dtype ${s.dtype}${s.quantization ? ' (quantized)' : ''}`);
    expected += b * s.shape.reduce((a, c) => a * c, 1);
  }
  if (weights.byteLength !== expected) {
    bad(`weights.bin has ${weights.byteLength} bytes, model.json needs ${expected}: the bundle is truncated or corrupt`);
  }
  if (meta.weights && (meta.weights.bytes !== weights.byteLength || meta.weights.fnv1a !== fnv1aHex(weights))) {
    bad(`weights.bin does not match the checksum recorded in bundle.json: the bundle is corrupt or its files come from different models`);
  }
  const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: mj.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: specs, weightData: buf }),
    );
  } catch (e) {
    return bad(`model.json: the model cannot be built (${(e as Error).message})`);
  }
  const [frames, features] = modelInputShape(model);
  if (frames !== meta.input_shape[0] || features !== meta.input_shape[1]) {
    model.dispose();
    bad(`the model's input is [${frames}, ${features}] but bundle.json says input_shape [${meta.input_shape.join(', ')}]`);
  }
  const k = modelOutputClasses(model);
  if (k !== meta.labels.length) {
    model.dispose();
    bad(`the model has ${k} outputs but bundle.json lists ${meta.labels.length} labels`);
  }
  return { meta, model, source, stats: zscoreFromJSON(meta.normalization), normalizer: createNormalizer(meta.normalization) };
}

const normalizers = new WeakMap<BundleMeta, Normalizer>();

/** The bundle's {@link Normalizer} (built from `meta.normalization` when the object has none). */
export function bundleNormalizer(bundle: Pick<ModelBundle, 'meta' | 'normalizer' | 'source'>): Normalizer {
  if (bundle.normalizer) return bundle.normalizer;
  let n = normalizers.get(bundle.meta);
  if (!n) {
    try {
      n = createNormalizer(bundle.meta.normalization);
    } catch (e) {
      throw new SerError('EMODEL', `bundle.json: ${(e as Error).message}`, { file: bundle.source });
    }
    normalizers.set(bundle.meta, n);
  }
  return n;
}

/**
 * Loads a bundle from a base URL (browser or any environment with fetch): fetches
 * `base/bundle.json`, `base/model.json`, `base/weights.bin`.
 */
export async function loadBundleFromUrl(baseUrl: string, fetchFn: typeof fetch = fetch): Promise<ModelBundle> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const get = async (name: string): Promise<Response | undefined> => {
    let r: Response;
    try {
      r = await fetchFn(base + name);
    } catch (e) {
      throw new SerError('EMODEL', `cannot fetch ${name}: ${(e as Error).message}`, { file: baseUrl });
    }
    if (r.status === 404) return undefined;
    if (!r.ok) throw new SerError('EMODEL', `cannot fetch ${name}: HTTP ${r.status}`, { file: baseUrl });
    return r;
  };
  const [b, m, w] = await Promise.all([get(BUNDLE_FILES.bundle), get(BUNDLE_FILES.model), get(BUNDLE_FILES.weights)]);
  return parseBundle(
    {
      'bundle.json': b ? await b.text() : undefined,
      'model.json': m ? await m.text() : undefined,
      'weights.bin': w ? new Uint8Array(await w.arrayBuffer()) : undefined,
    },
    baseUrl,
  );
}

/** Releases the model's tensors. */
export function disposeBundle(bundle: ModelBundle): void {
  bundle.model.dispose();
}

/** Speaker ids the bundle says the model saw in training (`training.data.speakers`), or null when not recorded. */
export function trainingSpeakers(meta: BundleMeta): Set<string> | null {
  const d = meta.training?.data as { speakers?: unknown } | null | undefined;
  if (!d || typeof d !== 'object' || !Array.isArray(d.speakers)) return null;
  return new Set(d.speakers.filter((s): s is string => typeof s === 'string'));
}
