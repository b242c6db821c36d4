/**
 * `loadRunDir(dir)`: reads a `ser train` run folder into a {@link RunSummary}, tolerantly.
 *
 * Layout read (see docs/report.md):
 *   history.json   required: a TrainResult ({history: [...], bestEpoch, stoppedBy, ...}), or a bare
 *                  array of history entries; for k-fold {folds: [TrainResult, ...]} or an array of
 *                  TrainResults.
 *   metrics.json   required: test metrics ({n, accuracy, macro_f1, uar, per_class, confusion} plus
 *                  `protocol`, optional `labels`, `split`/`counts`, `wall_time_ms`), or wrapped as
 *                  {test: {...}}; for k-fold {protocol, folds: [{fold, protocol, ...metrics}], mean}.
 *   config.json    optional: the training configuration.
 *   command.txt    optional: the command line.
 *   bundle/bundle.json optional: labels and training.protocol when metrics.json lacks them.
 *   fold-N/ (or folds/N/) alternative k-fold layout: one history.json + metrics.json per fold.
 * A missing required file, invalid JSON or a field of the wrong type → SerError naming the file.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, basename, resolve } from 'node:path';
import { SerError } from '../errors.js';
import { pathExists } from '../util/dirs.js';
import { metricsFromConfusion, type EvaluationMetrics, type ClassMetrics } from '../model/metrics.js';
import type { HistoryEntry } from '../model/train.js';
import type { Protocol } from '../data/splits.js';
import type { DatasetCounts, PartitionCounts, RunPart, RunSummary, TrainingInfo } from './types.js';

type Json = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SerError('ENOENT', `missing ${what}`, { file: path });
    if (code === 'EISDIR') throw new SerError('EISDIR', `is a directory, expected ${what}`, { file: path });
    throw new SerError('EIO', `cannot read ${what}: ${(e as Error).message}`, { file: path, cause: e });
  }
}

async function readJson(path: string, what: string): Promise<Json> {
  const text = await readText(path, what);
  if (text.trim() === '') throw new SerError('EEMPTY', `empty file, expected ${what}`, { file: path });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SerError('EFORMAT', `not valid JSON (${(e as Error).message})`, { file: path, cause: e });
  }
}

async function readJsonOptional(path: string, what: string): Promise<Json | undefined> {
  if (!(await pathExists(path))) return undefined;
  return readJson(path, what);
}

function bad(file: string, message: string): SerError {
  return new SerError('EFORMAT', message, { file });
}

/** Parses history entries (0-based epochs; `accuracy`/`val_accuracy` accepted as aliases). */
export function parseHistoryEntries(raw: unknown, file: string, where = 'history'): HistoryEntry[] {
  if (!Array.isArray(raw)) throw bad(file, `${where} must be an array of epoch entries`);
  return raw.map((e, i) => {
    if (!isObj(e)) throw bad(file, `${where}[${i}] is not an object`);
    const loss = num(e.loss);
    const acc = num(e.acc ?? e.accuracy);
    if (loss === null && e.loss !== null) throw bad(file, `${where}[${i}].loss is missing or not a finite number`);
    const entry: HistoryEntry = {
      epoch: num(e.epoch) ?? i,
      loss: loss ?? NaN,
      acc: acc ?? NaN,
      uar: num(e.uar),
      val_loss: num(e.val_loss),
      val_acc: num(e.val_acc ?? e.val_accuracy),
      val_uar: num(e.val_uar),
      lr: num(e.lr ?? e.learning_rate) ?? NaN,
      ms: num(e.ms) ?? 0,
    };
    return entry;
  });
}

function parseTraining(o: Obj): TrainingInfo {
  return {
    bestEpoch: num(o.bestEpoch ?? o.best_epoch),
    bestValue: num(o.bestValue ?? o.best_value),
    monitor: typeof o.monitor === 'string' ? o.monitor : null,
    stoppedBy: typeof (o.stoppedBy ?? o.stopped_by) === 'string' ? String(o.stoppedBy ?? o.stopped_by) : null,
    restoredBestWeights: typeof o.restoredBestWeights === 'boolean' ? o.restoredBestWeights : null,
    elapsedMs: num(o.elapsedMs ?? o.elapsed_ms),
  };
}

/** One history document → list of {history, training} (one per fold). */
function parseHistoryDoc(raw: unknown, file: string): { history: HistoryEntry[]; training: TrainingInfo | null }[] {
  const one = (r: unknown, where: string) => {
    if (Array.isArray(r)) return { history: parseHistoryEntries(r, file, where), training: null };
    if (isObj(r) && Array.isArray(r.history)) return { history: parseHistoryEntries(r.history, file, `${where}.history`), training: parseTraining(r) };
    throw bad(file, `${where} is neither a training result ({history: [...]}) nor an array of epoch entries`);
  };
  if (isObj(raw) && Array.isArray(raw.folds)) return raw.folds.map((f, i) => one(f, `folds[${i}]`));
  if (Array.isArray(raw) && raw.length > 0 && raw.every((r) => isObj(r) && Array.isArray((r as Obj).history))) {
    return raw.map((f, i) => one(f, `[${i}]`));
  }
  return [one(raw, 'history')];
}

function parseProtocol(v: unknown): Protocol | null {
  if (isObj(v) && typeof v.name === 'string') {
    return { seed: null, description: '', ...v } as Protocol;
  }
  return null;
}

function parsePartition(v: unknown): PartitionCounts | undefined {
  if (num(v) !== null) return { files: num(v)! };
  if (!isObj(v)) return undefined;
  const files = num(v.files) ?? num(v.n) ?? num(v.count) ?? (Array.isArray(v.items) ? v.items.length : null);
  if (files === null) return undefined;
  const out: PartitionCounts = { files };
  if (num(v.recordings) !== null) out.recordings = num(v.recordings)!;
  if (num(v.augmented) !== null) out.augmented = num(v.augmented)!;
  if (Array.isArray(v.speakers)) out.speakers = v.speakers.map(String);
  if (isObj(v.labels)) {
    const l: Record<string, number> = {};
    for (const [k, c] of Object.entries(v.labels)) if (num(c) !== null) l[k] = num(c)!;
    out.labels = l;
  }
  return out;
}

function parseCounts(o: Obj | undefined): DatasetCounts | null {
  if (!o) return null;
  for (const key of ['split', 'counts', 'dataset', 'data']) {
    const v = o[key];
    if (isObj(v) && (v.train !== undefined || v.test !== undefined)) {
      const c: DatasetCounts = {};
      for (const p of ['train', 'val', 'test'] as const) {
        const pc = parsePartition(v[p]);
        if (pc) c[p] = pc;
      }
      // `ser train` writes {train, trainOriginals, val, test} as plain numbers.
      const originals = num(v.trainOriginals ?? v.train_originals);
      if (c.train && originals !== null && c.train.augmented === undefined) {
        c.train.recordings ??= originals;
        c.train.augmented = c.train.files - originals;
      }
      if (Object.keys(c).length) return c;
    }
  }
  return null;
}

/** True when a metrics object says there was no test set (`test: null`, no confusion matrix). */
function hasNoTest(raw: unknown): boolean {
  return isObj(raw) && raw.confusion === undefined && (raw.test === null || raw.test === undefined) && raw.accuracy === undefined;
}

/** Validates one metrics object; fills per_class / n from the confusion matrix when absent. */
function parseMetrics(raw: unknown, file: string, where: string, labels: string[] | null): { metrics: EvaluationMetrics | null; labels: string[] | null } {
  if (!isObj(raw)) throw bad(file, `${where} is not an object`);
  if (hasNoTest(raw)) return { metrics: null, labels: Array.isArray(raw.labels) ? (raw.labels as string[]).map(String) : labels };
  const m = isObj(raw.test) && raw.confusion === undefined ? raw.test : raw;
  const conf = m.confusion;
  if (!Array.isArray(conf) || !conf.every((r) => Array.isArray(r) && r.every((c) => num(c) !== null && (c as number) >= 0))) {
    throw bad(file, `${where}.confusion is missing or is not a matrix of non-negative counts`);
  }
  const k = conf.length;
  if (!conf.every((r) => (r as unknown[]).length === k)) throw bad(file, `${where}.confusion is not square (${k} rows)`);
  let lab: string[] | null = null;
  if (Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string')) lab = m.labels as string[];
  else if (labels) lab = labels;
  else if (isObj(m.per_class)) lab = Object.keys(m.per_class);
  if (!lab) throw bad(file, `${where}: no class labels (neither 'labels' nor 'per_class' present, and no bundle/bundle.json)`);
  if (lab.length !== k) throw bad(file, `${where}.confusion is ${k}×${k} but there are ${lab.length} labels (${lab.join(', ')})`);
  const confusion = conf as number[][];
  const derived = metricsFromConfusion(confusion, lab);
  const per_class: Record<string, ClassMetrics> = {};
  for (const l of lab) {
    const given = isObj(m.per_class) ? m.per_class[l] : undefined;
    if (isObj(given) && num(given.precision) !== null && num(given.recall) !== null) {
      per_class[l] = {
        precision: num(given.precision)!,
        recall: num(given.recall)!,
        f1: num(given.f1) ?? derived.per_class[l].f1,
        support: num(given.support) ?? derived.per_class[l].support,
      };
    } else per_class[l] = derived.per_class[l];
  }
  const pick = (key: 'accuracy' | 'uar' | 'macro_f1') => {
    const v = m[key];
    if (v === undefined) return derived[key];
    if (num(v) === null) throw bad(file, `${where}.${key} is not a finite number`);
    return v as number;
  };
  return {
    metrics: { n: num(m.n) ?? derived.n, accuracy: pick('accuracy'), uar: pick('uar'), macro_f1: pick('macro_f1'), per_class, confusion },
    labels: lab,
  };
}

/** Optional validation metrics: null unless an object with a confusion matrix. */
function parseVal(raw: unknown, file: string, where: string, labels: string[] | null): EvaluationMetrics | null {
  if (!isObj(raw) || raw.confusion === undefined) return null;
  return parseMetrics(raw, file, where, labels).metrics;
}

/** Dataset counts recorded in a bundle (`training.data.counts`, a SplitSummary), if any. */
async function bundleCounts(bundleJson: string): Promise<DatasetCounts | null> {
  const b = await readJsonOptional(bundleJson, 'the model bundle description');
  if (!isObj(b) || !isObj(b.training) || !isObj(b.training.data)) return null;
  return parseCounts(b.training.data);
}

function stripFold(p: Protocol | null): Protocol | null {
  if (!p) return null;
  const { fold: _fold, ...rest } = p;
  void _fold;
  return rest as Protocol;
}

async function foldDirs(dir: string): Promise<string[]> {
  const candidates: string[] = [];
  const scan = async (d: string) => {
    let names: string[] = [];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    const re = d === dir ? /^fold[-_]?(\d+)$/i : /^(?:fold[-_]?)?(\d+)$/i;
    const found = names
      .map((n) => ({ n, m: re.exec(n) }))
      .filter((x) => x.m)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]));
    for (const f of found) {
      const p = join(d, f.n);
      if ((await stat(p).catch(() => null))?.isDirectory()) candidates.push(p);
    }
  };
  await scan(dir);
  if (candidates.length === 0) await scan(join(dir, 'folds'));
  return candidates;
}

/**
 * Reads a run folder into a RunSummary. Throws SerError naming the file: 'ENOENT' when the folder,
 * history.json or metrics.json is missing, 'EFORMAT' for invalid JSON or fields of the wrong type.
 */
export async function loadRunDir(dir: string): Promise<RunSummary> {
  const st = await stat(dir).catch(() => null);
  if (!st) throw new SerError('ENOENT', 'run folder not found', { file: dir });
  if (!st.isDirectory()) throw new SerError('EPARAM', 'not a folder: expected a run folder (history.json, metrics.json, ...)', { file: dir });

  const config = await readJsonOptional(join(dir, 'config.json'), 'the training configuration (JSON)');
  const commandPath = join(dir, 'command.txt');
  const command = (await pathExists(commandPath)) ? (await readText(commandPath, 'the command line')).trim() : null;
  const bundleMeta = await readJsonOptional(join(dir, 'bundle', 'bundle.json'), 'the model bundle description');
  const runMeta = await readJsonOptional(join(dir, 'run.json'), 'run information');
  const bundleLabels =
    isObj(bundleMeta) && Array.isArray(bundleMeta.labels) && bundleMeta.labels.every((l) => typeof l === 'string') ? (bundleMeta.labels as string[]) : null;
  const bundleProtocol = isObj(bundleMeta) && isObj(bundleMeta.training) ? parseProtocol(bundleMeta.training.protocol) : null;

  const histPath = join(dir, 'history.json');
  const metPath = join(dir, 'metrics.json');
  const haveTop = (await pathExists(histPath)) || (await pathExists(metPath));
  const folds = haveTop ? [] : await foldDirs(dir);

  let parts: RunPart[] = [];
  let labels: string[] = bundleLabels ?? [];
  let protocol: Protocol | null = null;
  let topMetrics: Obj | undefined;

  if (folds.length > 0) {
    for (let i = 0; i < folds.length; i++) {
      const fd = folds[i];
      const fh = parseHistoryDoc(await readJson(join(fd, 'history.json'), 'the training history (history.json)'), join(fd, 'history.json'));
      const fmRaw = await readJson(join(fd, 'metrics.json'), 'the test metrics (metrics.json)');
      const { metrics, labels: l } = parseMetrics(fmRaw, join(fd, 'metrics.json'), 'metrics', bundleLabels);
      if (l) labels = l;
      const fp = isObj(fmRaw) ? parseProtocol(fmRaw.protocol) : null;
      parts.push({
        name: `fold ${(fp?.fold ?? i) + 1}`,
        protocol: fp,
        history: fh[0].history,
        training: fh[0].training,
        test: metrics,
        counts: isObj(fmRaw) ? parseCounts(fmRaw) : null,
      });
      protocol ??= stripFold(fp);
    }
  } else {
    const histDoc = await readJson(histPath, 'the training history (history.json)');
    const metRaw = await readJson(metPath, 'the test metrics (metrics.json)');
    if (!isObj(metRaw)) throw bad(metPath, 'metrics.json must be a JSON object');
    topMetrics = metRaw;
    const hist = parseHistoryDoc(histDoc, histPath);
    if (Array.isArray(metRaw.folds)) {
      const foldMetrics = metRaw.folds;
      if (foldMetrics.length !== hist.length) {
        throw bad(metPath, `has ${foldMetrics.length} folds but history.json has ${hist.length}`);
      }
      parts = [];
      for (let i = 0; i < foldMetrics.length; i++) {
        const fm = foldMetrics[i];
        const { metrics, labels: l } = parseMetrics(fm, metPath, `folds[${i}]`, (Array.isArray(metRaw.labels) ? (metRaw.labels as string[]) : null) ?? bundleLabels);
        if (l) labels = l;
        const fp = isObj(fm) ? parseProtocol(fm.protocol) : null;
        const foldIndex = fp?.fold ?? (isObj(fm) ? num(fm.fold) : null) ?? i;
        const counts = (await bundleCounts(join(dir, 'bundles', `fold-${foldIndex + 1}`, 'bundle.json'))) ?? (isObj(fm) ? parseCounts(fm) : null);
        parts.push({
          name: `fold ${foldIndex + 1}`,
          protocol: fp ?? parseProtocol(metRaw.protocol),
          history: hist[i].history,
          training: hist[i].training,
          test: metrics,
          val: isObj(fm) ? parseVal(fm.val, metPath, `folds[${i}].val`, labels) : null,
          counts,
        });
      }
      protocol = stripFold(parseProtocol(metRaw.protocol) ?? parts[0]?.protocol ?? null);
    } else {
      if (hist.length !== 1) throw bad(histPath, `has ${hist.length} folds but metrics.json has no 'folds'`);
      const { metrics, labels: l } = parseMetrics(metRaw, metPath, 'metrics', bundleLabels);
      if (l) labels = l;
      protocol = parseProtocol(metRaw.protocol) ?? parseProtocol(isObj(metRaw.test) ? metRaw.test.protocol : undefined);
      const counts = (await bundleCounts(join(dir, 'bundle', 'bundle.json'))) ?? parseCounts(metRaw);
      const val = parseVal(metRaw.val, metPath, 'val', labels.length ? labels : null);
      parts = [{ name: 'run', protocol, history: hist[0].history, training: hist[0].training, test: metrics, val, counts }];
    }
  }
  protocol ??= bundleProtocol ?? (isObj(config) ? parseProtocol(config.protocol) : null);
  for (const p of parts) p.protocol ??= protocol;

  const wall =
    num(topMetrics?.wall_time_ms) ??
    num(topMetrics?.wallTimeMs) ??
    (isObj(runMeta) ? num(runMeta.wall_time_ms) ?? num(runMeta.wallTimeMs) ?? num(runMeta.elapsed_ms) : null) ??
    (isObj(config) ? num(config.wall_time_ms) : null);

  return {
    name: basename(resolve(dir)),
    protocol,
    labels,
    parts,
    command,
    config: config ?? null,
    wallTimeMs: wall,
    counts: parts.length === 1 ? parts[0].counts ?? null : null,
    interrupted: topMetrics?.interrupted === true || parts.some((p) => p.training?.stoppedBy === 'abort'),
    source: dir,
  };
}
