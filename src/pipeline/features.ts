/**
 * Feature stage of the training pipeline: every (recording, augmentation) pair a run needs is
 * extracted once into the project's feature cache (src/data/cache.ts: one checksummed `.serf`
 * entry per pair, written atomically, keyed by content, feature config, rate, trimming,
 * augmentation and clip policy), in parallel over the feature worker pool, and re-used by later
 * runs and by every fold of a cross-validation. Interrupted runs resume: existing valid entries
 * are kept.
 */
import { readFile } from 'node:fs/promises';
import { SerError } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import type { DatasetItem } from '../data/types.js';
import { buildFeatureCache } from '../data/cache.js';
import { normalizeFeatureConfig, type FeatureConfig } from '../features/extract.js';
import { decodeFeatureEntry } from '../io/featfile.js';
import type { ClipCrop, ClipPad } from '../dsp/clip.js';

export interface FeatureRequest {
  item: DatasetItem;
  /** Augmentation key (describeAugmentation) or 'none'. */
  augmentation: string;
}

export interface FeatureStageOptions {
  featureConfig: Partial<FeatureConfig>;
  trimDb: number | null;
  clipSeconds: number;
  crop: ClipCrop;
  pad: ClipPad;
  cacheDir: string;
  jobs: number;
  /** Called after every finished entry: done, total to build, failed so far. */
  onProgress?: (done: number, toBuild: number, failed: number) => void;
  /** Abort: no new task is started; what was extracted stays in the cache. */
  signal?: AbortSignal;
}

export interface FeatureStageResult {
  /** Frame-major (n_frames, n_features) per request key ("<path>|<augmentation>"); failed ones absent. */
  features: Map<string, Matrix>;
  failed: { file: string; augmentation: string; error: Error }[];
  built: number;
  existing: number;
  config: FeatureConfig;
  elapsedMs: number;
}

export const requestKey = (path: string, augmentation: string): string => `${path}|${augmentation}`;

/**
 * Extracts (or reads from the cache) the features of every request. Unreadable or undecodable
 * files are reported in `failed`, not thrown; the caller decides (the pipeline refuses to train
 * when a test or validation file is missing).
 */
export async function extractRequests(requests: readonly FeatureRequest[], opts: FeatureStageOptions): Promise<FeatureStageResult> {
  const t0 = performance.now();
  const config = normalizeFeatureConfig(opts.featureConfig);
  const { parseAugmentation } = await import('../augment/keys.js');
  // one cache item per distinct file, with the augmentation keys requested for it
  const byPath = new Map<string, { item: DatasetItem; augs: string[] }>();
  for (const r of requests) {
    const e = byPath.get(r.item.path) ?? byPath.set(r.item.path, { item: r.item, augs: [] }).get(r.item.path)!;
    if (!e.augs.includes(r.augmentation)) e.augs.push(r.augmentation);
  }
  const groups = [...byPath.values()];
  const res = await buildFeatureCache({
    items: groups.map((g) => g.item),
    augmentations: groups.map((g) => g.augs.map((k) => (k === 'none' ? null : parseAugmentation(k)))),
    featureConfig: config,
    trimDb: opts.trimDb,
    clip: { seconds: opts.clipSeconds, align: opts.crop, pad: opts.pad },
    cacheDir: opts.cacheDir,
    jobs: opts.jobs,
    signal: opts.signal,
    onProgress: (p) => opts.onProgress?.(p.done, p.toBuild, p.failed),
  });
  if (res.interrupted) throw new SerError('EDATA', `interrupted during feature extraction (${res.built} entries built; the cache keeps them, run again to resume)`);

  const failed: FeatureStageResult['failed'] = [];
  const bad = new Set<string>();
  for (const f of res.failed) {
    const g = groups[f.ref.itemIndex];
    // an unreadable file fails every augmentation of it (augIndex -1)
    const augs = f.ref.augIndex >= 0 ? [g.augs[f.ref.augIndex]] : g.augs;
    for (const aug of augs) {
      failed.push({ file: f.file, augmentation: aug, error: f.error });
      bad.add(f.ref.augIndex >= 0 ? f.ref.path : requestKey(g.item.path, aug));
    }
  }
  const features = new Map<string, Matrix>();
  for (const ref of res.entries) {
    const key = requestKey(groups[ref.itemIndex].item.path, groups[ref.itemIndex].augs[ref.augIndex]);
    if (bad.has(ref.path) || features.has(key)) continue;
    const bytes = await readFile(ref.path).catch((err: Error) => {
      throw new SerError('EIO', `cannot read cache entry (${err.message})`, { file: ref.path, cause: err });
    });
    features.set(key, decodeFeatureEntry(bytes, ref.path).features);
  }
  return { features, failed, built: res.built, existing: res.existing, config, elapsedMs: performance.now() - t0 };
}
