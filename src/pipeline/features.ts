/**
 * Feature stage of the training pipeline: every (recording, augmentation) pair a run needs is
 * extracted once into the feature cache folder (one checksummed `.serf` entry per pair, written
 * atomically, src/io/featfile.ts), in parallel over a worker pool, and re-used by later runs and
 * by every fold of a cross-validation. Interrupted runs resume: existing valid entries are kept.
 *
 * Entry key = sha256 of {pipeline key version, sha256(file bytes), featureConfigHash, sr,
 * augmentation key, trim, clip seconds, crop, pad}: any change of content or recipe makes a new entry.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SerError } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import type { DatasetItem } from '../data/types.js';
import { augmentationSeed, fileSha256, isValidEntryFile } from '../data/cache.js';
import { featureConfigHash, normalizeFeatureConfig, type FeatureConfig } from '../features/extract.js';
import { decodeFeatureEntry } from '../io/featfile.js';
import { removeStaleTemps } from '../util/atomic.js';
import { createPool, workerUrl } from '../util/pool.js';
import type { ClipCrop, ClipPad } from '../model/bundle.js';
import { runPipelineFeatureTask, type PipelineFeatureResult, type PipelineFeatureTask } from './feature-task.js';
import { ensureDir } from '../util/dirs.js';

export const PIPELINE_CACHE_VERSION = 'ser-train-features/1';

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
  const configHash = featureConfigHash(config);
  try {
    await ensureDir(opts.cacheDir);
  } catch (err) {
    throw new SerError('EIO', `cannot create the feature cache folder (${(err as Error).message})`, { file: opts.cacheDir, cause: err });
  }
  await removeStaleTemps(opts.cacheDir);
  const { parseAugmentation } = await import('../augment/keys.js');

  // hash every distinct file once
  const paths = [...new Set(requests.map((r) => r.item.path))];
  const hashes = new Map<string, string | Error>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, paths.length) }, async () => {
      while (next < paths.length) {
        const p = paths[next++];
        hashes.set(p, await fileSha256(p).catch((e: Error) => e));
      }
    }),
  );

  const failed: FeatureStageResult['failed'] = [];
  const planned: { key: string; entryPath: string; task: PipelineFeatureTask | null }[] = [];
  const seenKeys = new Set<string>();
  const toBuild: { entryPath: string; task: PipelineFeatureTask; rkey: string }[] = [];
  let existing = 0;
  for (const r of requests) {
    const rkey = requestKey(r.item.path, r.augmentation);
    if (seenKeys.has(rkey)) continue;
    seenKeys.add(rkey);
    const h = hashes.get(r.item.path)!;
    if (h instanceof Error) {
      failed.push({ file: r.item.path, augmentation: r.augmentation, error: h });
      continue;
    }
    const clip = { seconds: opts.clipSeconds, crop: opts.crop, pad: opts.pad };
    const ekey = createHash('sha256')
      .update(JSON.stringify({ v: PIPELINE_CACHE_VERSION, content: h, config: configHash, sr: config.sr, augmentation: r.augmentation, trim: opts.trimDb, clip }))
      .digest('hex');
    const entryPath = join(opts.cacheDir, `${ekey}.serf`);
    planned.push({ key: rkey, entryPath, task: null });
    if (await isValidEntryFile(entryPath)) {
      existing++;
      continue;
    }
    toBuild.push({
      rkey,
      entryPath,
      task: {
        file: r.item.path,
        sr: config.sr,
        config,
        augmentation: r.augmentation === 'none' ? null : parseAugmentation(r.augmentation),
        seed: augmentationSeed(h, r.augmentation),
        trimDb: opts.trimDb,
        clipSeconds: opts.clipSeconds,
        crop: opts.crop,
        pad: opts.pad,
        outPath: entryPath,
        contentSha256: h,
        meta: { format: PIPELINE_CACHE_VERSION, file: r.item.path, label: r.item.label, speaker: r.item.speaker, augmentation: r.augmentation, trim_db: opts.trimDb, clip, feature_config_hash: configHash },
      },
    });
  }

  let done = 0;
  let built = 0;
  const bad = new Set<string>();
  const record = (i: number, ok: boolean, error?: Error) => {
    done++;
    if (ok) built++;
    else {
      const b = toBuild[i];
      bad.add(b.rkey);
      failed.push({ file: b.task.file, augmentation: b.task.augmentation === null ? 'none' : String(b.task.meta.augmentation), error: error! });
    }
    opts.onProgress?.(done, toBuild.length, failed.length);
  };
  opts.onProgress?.(0, toBuild.length, failed.length);
  if (opts.jobs <= 1 || toBuild.length <= 1) {
    for (let i = 0; i < toBuild.length; i++) {
      if (opts.signal?.aborted) break;
      try {
        await runPipelineFeatureTask(toBuild[i].task);
        record(i, true);
      } catch (e) {
        record(i, false, e as Error);
      }
    }
  } else {
    const pool = createPool<PipelineFeatureTask, PipelineFeatureResult>({
      workerUrl: workerUrl(import.meta.url, './feature-worker'),
      size: Math.min(opts.jobs, toBuild.length),
    });
    try {
      const signal = opts.signal;
      async function* tasks() {
        for (const b of toBuild) {
          if (signal?.aborted) return;
          yield b.task;
        }
      }
      for await (const r of pool.map(tasks(), { total: toBuild.length })) record(r.index, r.ok, r.ok ? undefined : r.error);
    } finally {
      await pool.close();
    }
  }
  if (opts.signal?.aborted) throw new SerError('EDATA', `interrupted during feature extraction (${done}/${toBuild.length} entries built; the cache keeps them, run again to resume)`);

  const features = new Map<string, Matrix>();
  for (const p of planned) {
    if (bad.has(p.key)) continue;
    const bytes = await readFile(p.entryPath).catch((err: Error) => {
      throw new SerError('EIO', `cannot read cache entry (${err.message})`, { file: p.entryPath, cause: err });
    });
    features.set(p.key, decodeFeatureEntry(bytes, p.entryPath).features);
  }
  return { features, failed, built, existing, config, elapsedMs: performance.now() - t0 };
}
