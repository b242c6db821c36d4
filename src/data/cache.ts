/**
 * Dataset feature cache: every (recording, augmentation) pair is decoded, augmented, clipped and
 * turned into a feature matrix once, and stored as one checksummed `.serf` file
 * (src/io/featfile.ts, docs/formats.md) named by its key:
 *
 *   key = sha256(JSON {v, content: sha256(file bytes), config: featureConfigHash(config),
 *                      sr, augmentation: describeAugmentation(aug) | 'none', clip: describeClip(clip)
 *                      [, trim: top_db when silence is trimmed]})
 *   file = CACHEDIR/<key>.serf
 *
 * So renaming or moving audio keeps its entries, while any change of content, feature parameters,
 * rate, trimming, augmentation or clip policy makes a new entry. The one cache of the project: `ser
 * train` (src/pipeline/features.ts) and the library's buildFeatureCache both write it.
 *
 * Crash safety and resume: entries are written to a temporary name in the cache directory, fsynced
 * and renamed; a run killed at any moment (SIGKILL, power loss after the rename) leaves only
 * complete entries plus perhaps `.*.tmp` files, which the next run deletes. The next run checks
 * each existing entry's header and length and extracts only the missing ones.
 *
 * Memory: the work is spread over the worker pool with a bounded window; workers write the entries
 * themselves and send back only a few numbers, so nothing accumulates in the main thread.
 */
import { createHash } from 'node:crypto';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SerError } from '../errors.js';
import type { Matrix } from '../dsp/matrix.js';
import type { DatasetItem } from './types.js';
import { featureConfigHash, normalizeFeatureConfig, type FeatureConfig } from '../features/index.js';
import { decodeFeatureEntry, decodeFeatureEntryHeader, type FeatureEntryHeader } from '../io/featfile.js';
import { removeStaleTemps } from '../util/atomic.js';
import { createPool, workerUrl, type WorkerPool } from '../util/pool.js';
import { runFeatureTask, describeClip, type CacheTask, type ClipPolicy, type FeatureResult, type FeatureTask } from '../workers/feature-tasks.js';
import { ensureDir } from '../util/dirs.js';

/** A worker pool for feature tasks (`size` threads, 0 = cores); close it when done. */
export function createFeaturePool(size: number): WorkerPool<FeatureTask, FeatureResult> {
  return createPool<FeatureTask, FeatureResult>({ workerUrl: workerUrl(import.meta.url, '../workers/features.worker'), size });
}

/** Version of the key recipe; bump to invalidate every cache. */
export const CACHE_KEY_VERSION = 1;
export const CACHE_EXTENSION = '.serf';

/** An augmentation as understood by src/augment (null = the original recording). */
export type CacheAugmentation = unknown;

export interface FeatureCacheOptions {
  items: readonly DatasetItem[];
  /**
   * Augmentations per item (from an augmentation plan): `augmentations[i]` lists the variants of
   * item i; `null` stands for the original. Or a function of the item. Default: `[null]` each.
   */
  augmentations?: readonly (readonly CacheAugmentation[])[] | ((item: DatasetItem, index: number) => readonly CacheAugmentation[]);
  /** Feature parameters (merged over defaultFeatureConfig). */
  featureConfig?: Partial<FeatureConfig>;
  /** Sample rate features are computed at (default featureConfig.sr, else 22050). */
  sr?: number;
  /** Optional fixed-length policy applied after augmentation, before features. */
  clip?: ClipPolicy;
  /** librosa.effects.trim top_db applied to each recording before augmentation (default null: none). */
  trimDb?: number | null;
  cacheDir: string;
}

export interface FeatureCacheBuildOptions extends FeatureCacheOptions {
  /** Worker threads (default 1 = in-process; 0 = number of cores). */
  jobs?: number;
  /**
   * An already started pool running src/workers/features.worker (see {@link createFeaturePool});
   * used instead of starting one (and not closed), e.g. to build several caches in a row.
   */
  pool?: WorkerPool<FeatureTask, FeatureResult>;
  onProgress?: (p: CacheProgress) => void;
  /** Abort: no new entry is started (those finished stay in the cache); see `interrupted` in the result. */
  signal?: AbortSignal;
}

export interface CacheProgress {
  /** Entries finished in this run (built + failed). */
  done: number;
  /** Entries to build in this run (missing ones). */
  toBuild: number;
  failed: number;
  /** Entries that were already present and valid. */
  existing: number;
  elapsedMs: number;
  /** Seconds remaining at the average rate of this run (NaN before the first entry). */
  etaSeconds: number;
}

/** One planned entry: which item, which augmentation, and where it lives. */
export interface CacheEntryRef {
  key: string;
  path: string;
  itemIndex: number;
  /** describeAugmentation(aug), or 'none'. */
  augmentation: string;
  /** Index of the augmentation in the item's list. */
  augIndex: number;
}

export interface CacheBuildResult {
  /** Every planned entry, in item order then augmentation order (failed ones included). */
  entries: CacheEntryRef[];
  total: number;
  existing: number;
  built: number;
  failed: { ref: CacheEntryRef; file: string; error: Error }[];
  /** Temporary files of killed runs removed before starting. */
  staleTempsRemoved: number;
  /** True when `signal` aborted the build before every missing entry was built. */
  interrupted: boolean;
  elapsedMs: number;
}

/** The normalised feature config (sr = the cache's rate); throws SerError('EPARAM') on a bad config. */
function resolvedConfig(opts: FeatureCacheOptions): FeatureConfig {
  const sr = opts.sr ?? opts.featureConfig?.sr ?? 22050;
  if (opts.featureConfig?.sr !== undefined && opts.featureConfig.sr !== sr) {
    throw new SerError('EPARAM', `feature cache: sr ${opts.sr} contradicts featureConfig.sr ${opts.featureConfig.sr}`);
  }
  return normalizeFeatureConfig({ ...(opts.featureConfig ?? {}), sr });
}

async function describeAug(aug: CacheAugmentation): Promise<string> {
  if (aug === null || aug === undefined) return 'none';
  const { describeAugmentation } = await import('../augment/index.js');
  return describeAugmentation(aug as Parameters<typeof describeAugmentation>[0]);
}

function augList(opts: FeatureCacheOptions, item: DatasetItem, i: number): readonly CacheAugmentation[] {
  const a = opts.augmentations;
  if (!a) return [null];
  const list = typeof a === 'function' ? a(item, i) : a[i];
  if (!list) throw new SerError('EPARAM', `augmentations has no entry for item ${i} (${item.path})`);
  return list;
}

/** sha256 of a file's bytes (hex). Throws SerError naming the file. */
export async function fileSha256(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SerError(code === 'ENOENT' ? 'ENOENT' : code === 'EISDIR' ? 'EISDIR' : 'EIO', code === 'ENOENT' ? 'no such file' : `cannot read (${(err as Error).message})`, { file: path, cause: err });
  }
}

/** The cache key of one (content, config, rate, augmentation, clip) combination. */
export function cacheKey(parts: { contentSha256: string; configHash: string; sr: number; augmentation: string; clip?: ClipPolicy; trimDb?: number | null }): string {
  const recipe = JSON.stringify({
    v: CACHE_KEY_VERSION,
    content: parts.contentSha256,
    config: parts.configHash,
    sr: parts.sr,
    augmentation: parts.augmentation,
    clip: describeClip(parts.clip),
    ...(parts.trimDb != null ? { trim: parts.trimDb } : {}),
  });
  return createHash('sha256').update(recipe).digest('hex');
}

/** 32-bit seed for an augmentation, fixed by the recording's content and the augmentation. */
export function augmentationSeed(contentSha256: string, augmentation: string): number {
  return createHash('sha256').update(`${contentSha256}\n${augmentation}`).digest().readUInt32LE(0);
}

interface PlannedEntry {
  ref: CacheEntryRef;
  aug: CacheAugmentation;
  contentSha256: string;
}

interface Plan {
  entries: PlannedEntry[];
  unreadable: { itemIndex: number; error: Error }[];
}

async function plan(opts: FeatureCacheOptions): Promise<Plan> {
  const config = resolvedConfig(opts);
  const configHash = featureConfigHash(config);
  const sr = config.sr;
  const entries: PlannedEntry[] = [];
  const unreadable: { itemIndex: number; error: Error }[] = [];
  // hash files with a little I/O concurrency, keep item order
  const hashes: (string | Error)[] = new Array(opts.items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(8, opts.items.length) }, async () => {
    while (next < opts.items.length) {
      const i = next++;
      hashes[i] = await fileSha256(opts.items[i].path).catch((e: Error) => e);
    }
  });
  await Promise.all(workers);
  for (let i = 0; i < opts.items.length; i++) {
    const item = opts.items[i];
    const h = hashes[i];
    if (h instanceof Error) {
      unreadable.push({ itemIndex: i, error: h });
      continue;
    }
    const list = augList(opts, item, i);
    for (let a = 0; a < list.length; a++) {
      const augmentation = await describeAug(list[a]);
      const key = cacheKey({ contentSha256: h, configHash, sr, augmentation, clip: opts.clip, trimDb: opts.trimDb });
      entries.push({ ref: { key, path: join(opts.cacheDir, key + CACHE_EXTENSION), itemIndex: i, augmentation, augIndex: a }, aug: list[a], contentSha256: h });
    }
  }
  return { entries, unreadable };
}

/**
 * Cheap validity check of an entry on disk: magic, JSON header, and file size equal to what the
 * header announces (a complete CRC check happens when the entry is read).
 */
export async function isValidEntryFile(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    const h = new DataView(head.buffer).getUint32(8, true);
    let buf = head;
    if (16 + h > head.length) {
      if (16 + h > size) return false;
      buf = new Uint8Array(16 + h);
      await fh.read(buf, 0, buf.length, 0);
    }
    const { expectedLength } = decodeFeatureEntryHeader(buf, path);
    return expectedLength === size;
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/**
 * The planned entries (keys and paths) for items × augmentations, without building anything.
 * Reads and hashes every audio file. Items whose file cannot be read are left out.
 */
export async function planFeatureCache(opts: FeatureCacheOptions): Promise<CacheEntryRef[]> {
  return (await plan(opts)).entries.map((e) => e.ref);
}

/**
 * Builds the cache: extracts every planned (item, augmentation) entry not already present and
 * valid, in parallel over `jobs` worker threads, writing each entry atomically as it is finished.
 * Failures (unreadable or undecodable audio) are collected per entry in `failed`, not thrown.
 */
export async function buildFeatureCache(opts: FeatureCacheBuildOptions): Promise<CacheBuildResult> {
  const t0 = performance.now();
  try {
    await ensureDir(opts.cacheDir);
  } catch (err) {
    throw new SerError('EIO', `cannot create cache directory (${(err as Error).message})`, { file: opts.cacheDir, cause: err });
  }
  const config = resolvedConfig(opts);
  const configHash = featureConfigHash(config);
  const sr = config.sr;
  const staleTempsRemoved = await removeStaleTemps(opts.cacheDir);
  const p = await plan(opts);
  const failed: CacheBuildResult['failed'] = p.unreadable.map((u) => ({
    ref: { key: '', path: '', itemIndex: u.itemIndex, augmentation: '', augIndex: -1 },
    file: opts.items[u.itemIndex].path,
    error: u.error,
  }));

  const missing: PlannedEntry[] = [];
  const seen = new Set<string>();
  let existing = 0;
  for (const e of p.entries) {
    if (seen.has(e.ref.key)) continue; // duplicate content (same recording listed twice)
    seen.add(e.ref.key);
    if (await isValidEntryFile(e.ref.path)) existing++;
    else missing.push(e);
  }

  const toTask = (e: PlannedEntry): CacheTask => {
    const item = opts.items[e.ref.itemIndex];
    return {
      kind: 'cache',
      file: item.path,
      sr,
      config,
      outPath: e.ref.path,
      augmentation: e.aug ?? undefined,
      seed: augmentationSeed(e.contentSha256, e.ref.augmentation),
      trimDb: opts.trimDb ?? null,
      clip: opts.clip,
      contentSha256: e.contentSha256,
      meta: {
        format: 'ser-cache/1',
        key: e.ref.key,
        file: item.path,
        label: item.label,
        speaker: item.speaker,
        dataset: item.dataset,
        augmentation: e.ref.augmentation,
        clip: describeClip(opts.clip),
        trim_db: opts.trimDb ?? null,
        content_sha256: e.contentSha256,
        feature_config_hash: configHash,
        hop_length: config.hop_length,
      },
    };
  };

  let built = 0;
  let done = 0;
  const tRun = performance.now();
  const report = () => {
    const elapsedMs = performance.now() - tRun;
    const etaSeconds = done > 0 ? ((missing.length - done) * elapsedMs) / done / 1000 : NaN;
    opts.onProgress?.({ done, toBuild: missing.length, failed: failed.length, existing, elapsedMs, etaSeconds });
  };
  const record = (e: PlannedEntry, r: { ok: true } | { ok: false; error: Error }) => {
    done++;
    if (r.ok) built++;
    else failed.push({ ref: e.ref, file: opts.items[e.ref.itemIndex].path, error: r.error });
    report();
  };
  report();

  const jobs = opts.jobs === 0 ? 0 : opts.jobs ?? 1;
  const signal = opts.signal;
  // tasks are handed out lazily, so an abort stops new ones from starting
  function* tasks() {
    for (const e of missing) {
      if (signal?.aborted) return;
      yield toTask(e);
    }
  }
  if (opts.pool) {
    for await (const r of opts.pool.map(tasks(), { total: missing.length })) {
      record(missing[r.index], r.ok ? { ok: true } : { ok: false, error: r.error });
    }
  } else if (jobs === 1 || missing.length <= 1) {
    for (const e of missing) {
      if (signal?.aborted) break;
      try {
        await runFeatureTask(toTask(e));
        record(e, { ok: true });
      } catch (error) {
        record(e, { ok: false, error: error as Error });
      }
    }
  } else {
    const pool = createFeaturePool(jobs === 0 ? 0 : Math.min(jobs, missing.length));
    try {
      for await (const r of pool.map(tasks(), { total: missing.length })) {
        record(missing[r.index], r.ok ? { ok: true } : { ok: false, error: r.error });
      }
    } finally {
      await pool.close();
    }
  }

  return {
    entries: p.entries.map((e) => e.ref),
    total: seen.size,
    existing,
    built,
    failed,
    staleTempsRemoved,
    interrupted: done < missing.length,
    elapsedMs: performance.now() - t0,
  };
}

export interface CachedFeatures {
  ref?: CacheEntryRef;
  path: string;
  header: FeatureEntryHeader;
  /** Frame-major (n_frames, n_features). */
  features: Matrix;
}

/**
 * Streams entries back (e.g. for training), one at a time, fully validated (length + CRC).
 * - `{cacheDir, entries}`: the given refs in order (e.g. `buildFeatureCache(...).entries`).
 * - `{...FeatureCacheOptions}`: plans items × augmentations first (hashing the audio), then reads.
 * - `{cacheDir}` alone: every entry in the directory, in file-name order.
 * A missing or corrupt entry throws SerError naming the entry file.
 */
export async function* readFeatureCache(
  opts: { cacheDir: string; entries?: readonly CacheEntryRef[] } | FeatureCacheOptions,
): AsyncGenerator<CachedFeatures> {
  let refs: readonly (CacheEntryRef | string)[];
  if ('items' in opts) refs = await planFeatureCache(opts);
  else if (opts.entries) refs = opts.entries;
  else {
    let names: string[];
    try {
      names = await readdir(opts.cacheDir);
    } catch (err) {
      throw new SerError('ENOENT', 'no such cache directory', { file: opts.cacheDir, cause: err });
    }
    refs = names.filter((n) => n.endsWith(CACHE_EXTENSION) && !n.startsWith('.')).sort().map((n) => join(opts.cacheDir, n));
  }
  for (const r of refs) {
    const path = typeof r === 'string' ? r : r.path;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new SerError('ENOENT', 'cache entry missing (run the cache build first)', { file: path, cause: err });
    }
    const { header, features } = decodeFeatureEntry(bytes, path);
    yield { ref: typeof r === 'string' ? undefined : r, path, header, features };
  }
}

/** Checks every file of a cache directory: complete entries, corrupt ones, and leftover temps. */
export async function verifyFeatureCache(cacheDir: string): Promise<{ valid: string[]; invalid: string[]; temps: string[] }> {
  const valid: string[] = [];
  const invalid: string[] = [];
  const temps: string[] = [];
  for (const name of (await readdir(cacheDir)).sort()) {
    const p = join(cacheDir, name);
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      temps.push(p);
      continue;
    }
    if (!name.endsWith(CACHE_EXTENSION) || !(await stat(p)).isFile()) continue;
    try {
      decodeFeatureEntry(await readFile(p), p);
      valid.push(p);
    } catch {
      invalid.push(p);
    }
  }
  return { valid, invalid, temps };
}
