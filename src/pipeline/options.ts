/**
 * The options of `ser train` (and of bench/cv.ts): their command-line definitions with defaults,
 * and their resolution into a complete, JSON-serialisable {@link TrainPipelineConfig} (what
 * config.json of a run folder holds). Node-side (reads the JSON config files).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SerError } from '../errors.js';
import { parseEmotions } from '../data/labels.js';
import { ALL_EMOTIONS, DATASET_NAMES, RECIPE_EMOTIONS, type DatasetName, type Emotion } from '../data/types.js';
import { validateModelConfig, type ModelConfig } from '../model/config.js';
import type { FeatureConfig } from '../features/extract.js';
import { parseBatchAugment, type BatchAugmentConfig } from '../augment/batch.js';
import { SPEAKER_PRIOR_CLIPS } from '../model/normalizer.js';

export type Normalize = 'global' | 'utterance' | 'speaker';
export type TrainProtocol = 'speaker-independent' | 'random' | 'speaker-kfold' | 'all';

/** Every resolved option of one `ser train` run. */
export interface TrainPipelineConfig {
  data: string[];
  dataset: 'auto' | DatasetName;
  emotions: Emotion[];
  /** 'speaker-kfold' when --folds K is given; 'all' = final model (no test partition). */
  protocol: TrainProtocol;
  folds: number | null;
  testSpeakers: string[] | null;
  valSpeakers: string[] | null;
  /** Random protocol: validation and test fractions. */
  valFraction: number;
  testFraction: number;
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
  /** Metric of early stopping / best-weight restore / reduce-LR: val_loss (min) or val_acc / val_uar (max). */
  monitor: 'val_loss' | 'val_acc' | 'val_uar';
  /** Augmentation keys (src/augment describeAugmentation), one training copy each. */
  augment: string[];
  /** In-loop augmentation of training batches (src/augment/batch.ts), or null. */
  batchAugment?: BatchAugmentConfig | null;
  clipSeconds: number;
  /** librosa.effects.trim top_db before cropping / padding, or null. */
  trimDb: number | null;
  crop: 'center' | 'start';
  pad: 'both' | 'end';
  modelConfig: ModelConfig;
  modelConfigFile: string | null;
  featureConfig: Partial<FeatureConfig>;
  featureConfigFile: string | null;
  normalize: Normalize;
  /** --normalize speaker: weight of the speaker prior in clips of frames (stored as pseudo_count). */
  speakerPriorClips: number;
  seed: number;
  jobs: number;
  out: string;
  cache: string;
  backend: 'wasm' | 'cpu';
  report: boolean;
}

/** Raw commander values (strings where the user typed them). */
export interface RawTrainOptions {
  data?: string[];
  dataset?: string;
  emotions?: string;
  protocol?: string;
  folds?: string;
  final?: boolean;
  testSpeakers?: string;
  valSpeakers?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  patience?: string;
  monitor?: string;
  augment?: string;
  batchAugment?: string;
  clipSeconds?: string;
  trimDb?: string;
  crop?: string;
  pad?: string;
  modelConfig?: string;
  featureConfig?: string;
  normalize?: string;
  speakerPriorClips?: string;
  seed?: string;
  jobs?: string;
  out?: string;
  cache?: string;
  backend?: string;
  report?: boolean;
}

export const TRAIN_DEFAULTS = {
  dataset: 'auto',
  emotions: 'recipe',
  protocol: 'speaker-independent',
  epochs: '50',
  batchSize: '32',
  lr: '0.001',
  patience: '10',
  monitor: 'val_loss',
  augment: 'recipe',
  batchAugment: 'none',
  clipSeconds: '3',
  trimDb: '60',
  crop: 'center',
  pad: 'both',
  normalize: 'global',
  speakerPriorClips: String(SPEAKER_PRIOR_CLIPS),
  seed: '0',
  jobs: '2',
  cache: '.ser-cache/train',
  backend: 'wasm',
} as const;

/** Adds the training options (with their defaults shown in --help) to a command. */
export function addTrainOptions(cmd: Command): Command {
  const d = TRAIN_DEFAULTS;
  return cmd
    .requiredOption('--data <dirs...>', 'dataset folders or CSV manifests')
    .option('--dataset <name>', `layout of the data folders: auto, ${DATASET_NAMES.join(', ')}`, d.dataset)
    .option('--emotions <list>', `classes: 'recipe' (${RECIPE_EMOTIONS.join(',')}), 'all', or a comma list`, d.emotions)
    .option('--protocol <name>', "split: 'speaker-independent' (unseen test speakers), 'random' (speaker-dependent, optimistic), or 'all' (final model: every speaker, validation speakers for early stopping only)", d.protocol)
    .option('--folds <k>', 'speaker k-fold cross-validation: K trainings, metrics per fold and mean ± std')
    .option('--final', "train the shipped model on all speakers (same as --protocol all)")
    .option('--test-speakers <list>', 'held-out test speakers (e.g. 01,02,03,04); default: 20 % of the speakers, genders balanced')
    .option('--val-speakers <list>', 'validation speakers (early stopping); default: about 20 % of the rest')
    .option('--epochs <n>', 'maximum epochs', d.epochs)
    .option('--batch-size <n>', 'batch size', d.batchSize)
    .option('--lr <x>', 'Adam learning rate (halved on plateau)', d.lr)
    .option('--patience <n>', 'early-stopping patience in epochs (validation loss; best weights restored)', d.patience)
    .option('--monitor <metric>', "validation metric for early stopping, best-weight restore and LR reduction: val_loss, val_acc or val_uar", d.monitor)
    .option('--augment <keys>', "training-only augmentation: 'recipe' (stretch:0.8,pitch:+2,noise:20dB), 'none', or keys separated by ';' (one copy per key, e.g. 'pitch:+2;noise:20dB')", d.augment)
    .option('--batch-augment <keys>', "in-loop augmentation of each training batch, comma-separated: time:NxW (N time masks up to W frames), feat:NxW (feature-band masks), shift:S (circular shift up to S frames), mixup:A (Beta(A,A)), smooth:E (label smoothing), p:P; e.g. 'time:2x12,feat:2x10,shift:10' or 'none'", d.batchAugment)
    .option('--clip-seconds <s>', 'model input length in seconds (crop / zero-pad)', d.clipSeconds)
    .option('--trim-db <db|none>', "trim leading/trailing silence quieter than this many dB below the peak (librosa.effects.trim) before crop/pad, or 'none'", d.trimDb)
    .option('--crop <center|start>', 'which part of a longer clip is kept', d.crop)
    .option('--pad <both|end>', 'where a shorter clip is zero-padded', d.pad)
    .option('--model-config <file>', 'model architecture JSON (fields of ModelConfig; missing fields take the defaults)')
    .option('--feature-config <file>', 'feature parameters JSON (librosa names; missing fields take the defaults)')
    .option('--normalize <mode>', "feature normalisation: 'global' (z-score fitted on the training partition), 'utterance' (each clip by its own statistics, then global) or 'speaker' (each speaker by the statistics of its own unlabelled clips, then global)", d.normalize)
    .option('--speaker-prior-clips <n>', "with --normalize speaker: how many clips' worth of frames the speaker prior weighs against a speaker's own frames (bench:speaker-prior measures its effect on single files)", d.speakerPriorClips)
    .option('--seed <s>', 'seed of splits, initialisation, shuffling and dropout', d.seed)
    .option('--jobs <n>', 'worker threads for features and training (1 = no worker)', d.jobs)
    .option('--out <dir>', 'run folder (default runs/train-<date>)')
    .option('--cache <dir>', 'feature cache folder (shared by runs)', d.cache)
    .option('--backend <name>', "TensorFlow.js backend: 'wasm' or 'cpu'", d.backend)
    .option('--no-report', 'do not render the training report');
}

function int(v: string | undefined, name: string, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new SerError('EPARAM', `--${name} must be an integer in ${min}..${max}, got '${v}'`);
  }
  return n;
}

function float(v: string | undefined, name: string, lo: number, hi: number): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !(n > lo && n <= hi)) {
    throw new SerError('EPARAM', `--${name} must be a number in (${lo}, ${hi}], got '${v}'`);
  }
  return n;
}

function list(v: string | undefined): string[] | null {
  if (v === undefined) return null;
  const l = v.split(',').map((s) => s.trim()).filter(Boolean);
  return l.length ? l : null;
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SerError('ENOENT', `cannot read ${what} (${(err as Error).message})`, { file: path, cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SerError('EPARAM', `${what} is not valid JSON (${(err as Error).message})`, { file: path, cause: err });
  }
}

/** The augmentation keys of an --augment value ('recipe', 'none', or keys separated by ';'). */
export async function parseAugmentOption(v: string): Promise<string[]> {
  const { recipeAugmentations, describeAugmentation } = await import('../augment/keys.js');
  const s = v.trim();
  if (s === '' || s === 'none') return [];
  if (s === 'recipe') return recipeAugmentations.map((a) => describeAugmentation(a));
  return s.split(';').map((k) => k.trim()).filter(Boolean).map((k) => describeAugmentation(k));
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

/** Validates raw options and fills the defaults. Throws SerError('EPARAM') naming the option. */
export async function resolveTrainOptions(raw: RawTrainOptions): Promise<TrainPipelineConfig> {
  const d = TRAIN_DEFAULTS;
  const data = raw.data ?? [];
  if (data.length === 0) throw new SerError('EPARAM', 'no data: pass --data DIR (a dataset folder or CSV manifest)');
  const dataset = (raw.dataset ?? d.dataset) as 'auto' | DatasetName;
  if (dataset !== 'auto' && !DATASET_NAMES.includes(dataset)) {
    throw new SerError('EPARAM', `--dataset: unknown dataset '${dataset}' (auto, ${DATASET_NAMES.join(', ')})`);
  }
  const emo = (raw.emotions ?? d.emotions).trim();
  const emotions: Emotion[] = emo === 'recipe' ? [...RECIPE_EMOTIONS] : emo === 'all' ? [...ALL_EMOTIONS] : parseEmotions(emo);
  if (emotions.length < 2) throw new SerError('EPARAM', `--emotions: need at least 2 classes, got '${emo}'`);

  let protocol = (raw.protocol ?? d.protocol) as string;
  if (!['speaker-independent', 'random', 'all', 'speaker-kfold'].includes(protocol)) {
    throw new SerError('EPARAM', `--protocol must be speaker-independent, random or all, got '${protocol}'`);
  }
  if (raw.final) {
    if (raw.protocol !== undefined && protocol !== 'all' && protocol !== d.protocol) throw new SerError('EPARAM', `--final contradicts --protocol ${protocol}`);
    protocol = 'all';
  }
  let folds: number | null = null;
  if (raw.folds !== undefined) {
    folds = int(raw.folds, 'folds', 2, 1000);
    if (protocol === 'random' || protocol === 'all') throw new SerError('EPARAM', `--folds is speaker k-fold cross-validation; it cannot be combined with --protocol ${protocol}`);
    protocol = 'speaker-kfold';
  } else if (protocol === 'speaker-kfold') folds = 5;
  const testSpeakers = list(raw.testSpeakers);
  const valSpeakers = list(raw.valSpeakers);
  if (testSpeakers && protocol !== 'speaker-independent') throw new SerError('EPARAM', `--test-speakers applies to --protocol speaker-independent only (not ${protocol})`);

  let trimDb: number | null;
  const t = (raw.trimDb ?? d.trimDb).trim();
  if (t === 'none' || t === 'off') trimDb = null;
  else trimDb = float(t, 'trim-db', 0, 200);

  let modelConfig: ModelConfig;
  if (raw.modelConfig !== undefined) modelConfig = validateModelConfig(await readJsonFile(raw.modelConfig, 'model config'), raw.modelConfig);
  else modelConfig = validateModelConfig({});
  let featureConfig: Partial<FeatureConfig> = {};
  if (raw.featureConfig !== undefined) {
    const j = await readJsonFile(raw.featureConfig, 'feature config');
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new SerError('EPARAM', 'feature config must be a JSON object', { file: raw.featureConfig });
    const { normalizeFeatureConfig } = await import('../features/extract.js');
    try {
      normalizeFeatureConfig(j as Partial<FeatureConfig>);
    } catch (err) {
      throw new SerError('EPARAM', `feature config: ${(err as Error).message}`, { file: raw.featureConfig, cause: err });
    }
    featureConfig = j as Partial<FeatureConfig>;
  }
  const normalize = (raw.normalize ?? d.normalize) as Normalize;
  if (!['global', 'utterance', 'speaker'].includes(normalize)) throw new SerError('EPARAM', `--normalize must be global, utterance or speaker, got '${normalize}'`);
  const monitor = (raw.monitor ?? d.monitor) as TrainPipelineConfig['monitor'];
  if (!['val_loss', 'val_acc', 'val_uar'].includes(monitor)) throw new SerError('EPARAM', `--monitor must be val_loss, val_acc or val_uar, got '${monitor}'`);
  const crop = (raw.crop ?? d.crop) as 'center' | 'start';
  if (crop !== 'center' && crop !== 'start') throw new SerError('EPARAM', `--crop must be center or start, got '${crop}'`);
  const pad = (raw.pad ?? d.pad) as 'both' | 'end';
  if (pad !== 'both' && pad !== 'end') throw new SerError('EPARAM', `--pad must be both or end, got '${pad}'`);
  const backend = (raw.backend ?? d.backend) as 'wasm' | 'cpu';
  if (backend !== 'wasm' && backend !== 'cpu') throw new SerError('EPARAM', `--backend must be wasm or cpu, got '${backend}'`);

  return {
    data,
    dataset,
    emotions,
    protocol: protocol as TrainProtocol,
    folds,
    testSpeakers,
    valSpeakers,
    valFraction: 0.1,
    testFraction: 0.2,
    epochs: int(raw.epochs ?? d.epochs, 'epochs', 1, 100000),
    batchSize: int(raw.batchSize ?? d.batchSize, 'batch-size', 1, 65536),
    lr: float(raw.lr ?? d.lr, 'lr', 0, 10),
    patience: int(raw.patience ?? d.patience, 'patience', 1, 100000),
    monitor,
    augment: await parseAugmentOption(raw.augment ?? d.augment),
    batchAugment: parseBatchAugment(raw.batchAugment ?? d.batchAugment),
    clipSeconds: float(raw.clipSeconds ?? d.clipSeconds, 'clip-seconds', 0, 600),
    trimDb,
    crop,
    pad,
    modelConfig,
    modelConfigFile: raw.modelConfig ?? null,
    featureConfig,
    featureConfigFile: raw.featureConfig ?? null,
    normalize,
    speakerPriorClips: float(raw.speakerPriorClips ?? d.speakerPriorClips, 'speaker-prior-clips', 0, 1e6),
    seed: int(raw.seed ?? d.seed, 'seed', 0, 2 ** 31 - 1),
    jobs: int(raw.jobs ?? d.jobs, 'jobs', 1, 64),
    out: raw.out ?? `runs/train-${timestamp()}`,
    cache: raw.cache ?? d.cache,
    backend,
    report: raw.report !== false,
  };
}
