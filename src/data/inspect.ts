/**
 * `inspectDataset`: what is in one or more dataset folders (Node). Counts per label, speaker and
 * dataset over the files whose headers read; total duration from the audio headers (audioInfo,
 * bounded concurrency); every file that cannot be used, with its reason.
 */
import { audioInfo } from '../audio/index.js';
import { SerError } from '../errors.js';
import { loadDataset, type LoadDatasetOptions } from './load.js';
import { ALL_EMOTIONS, type DatasetItem, type DatasetName, type DatasetProblem, type Emotion } from './types.js';

export interface InspectOptions extends LoadDatasetOptions {
  /** Header reads in flight at once. Default 8. */
  concurrency?: number;
  /** Called after each file's header was read (done, total). */
  onProgress?: (done: number, total: number, failed: number) => void;
  /** Header reader (default: src/audio's audioInfo); must return the duration in seconds. */
  info?: (path: string) => Promise<{ duration: number; sr: number; channels: number }>;
}

/** The JSON printed by `ser dataset inspect --json`. */
export interface InspectReport {
  /** Readable files (header read fine), i.e. the items counted below. */
  files: number;
  /** Distinct speakers among them. */
  speakers: number;
  /** Files per label (labels present, in the unified vocabulary's order). */
  labels: Partial<Record<Emotion, number>>;
  /** Total duration of the readable files, seconds. */
  duration_s: number;
  /** Files that could not be used: bad names, unknown labels, duplicates, unreadable audio. */
  problems: DatasetProblem[];
  /** Files per dataset (adapter). */
  datasets: Record<string, number>;
  /** Files per speaker id (naturally sorted). */
  speaker_counts: Record<string, number>;
  /** Shortest / mean / longest file, seconds (0 when no file). */
  duration: { min_s: number; mean_s: number; max_s: number };
  /** Files per sample rate (Hz, as a string key) and per channel count. */
  sample_rates: Record<string, number>;
  channels: Record<string, number>;
  /** Files parsed fine but left out on purpose (labels outside --emotions; RAVDESS song). */
  excluded: { labels: Partial<Record<Emotion, number>>; song: number };
  /** Non-audio files found and ignored. */
  ignored: number;
  /** Each input and the adapter that read it. */
  sources: { dir: string; dataset: DatasetName }[];
}

const collator = new Intl.Collator('en', { numeric: true });

/** Runs `fn` over `xs` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(xs: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, xs.length)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= xs.length) return;
      out[i] = await fn(xs[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

function stripFile(err: unknown, file: string): string {
  if (err instanceof SerError) {
    const prefix = err.file !== undefined ? `${err.file}: ` : '';
    return prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  }
  return `cannot read (${(err as Error)?.message ?? String(err)})`.replace(`${file}: `, '');
}

/**
 * Inspects dataset folders / manifests. Emotion selection defaults to ALL eight labels here (an
 * inventory, not a training set); pass `emotions` to restrict it. Unreadable files are reported
 * in `problems` and not counted; a missing folder throws SerError('ENOENT').
 */
export async function inspectDataset(dirs: readonly string[], options: InspectOptions = {}): Promise<InspectReport> {
  const loaded = await loadDataset(dirs, { ...options, emotions: options.emotions ?? 'all' });
  const info = options.info ?? audioInfo;
  const concurrency = options.concurrency ?? 8;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new SerError('EPARAM', `concurrency must be a positive integer, got ${concurrency}`);
  let done = 0;
  let failed = 0;
  const total = loaded.items.length;
  const facts = await mapLimit(loaded.items, concurrency, async (item) => {
    let r: { duration: number; sr: number; channels: number } | { error: string };
    try {
      const a = await info(item.path);
      r = Number.isFinite(a.duration) && a.duration > 0 ? a : { error: `bad duration ${a.duration}` };
    } catch (err) {
      r = { error: stripFile(err, item.path) };
    }
    done++;
    if ('error' in r) failed++;
    options.onProgress?.(done, total, failed);
    return r;
  });
  const readable: DatasetItem[] = [];
  const problems = [...loaded.problems];
  let duration = 0;
  let min = Infinity;
  let max = 0;
  const sampleRates: Record<string, number> = {};
  const channels: Record<string, number> = {};
  loaded.items.forEach((item, i) => {
    const f = facts[i];
    if ('error' in f) {
      problems.push({ file: item.path, reason: f.error });
      return;
    }
    readable.push(item);
    duration += f.duration;
    min = Math.min(min, f.duration);
    max = Math.max(max, f.duration);
    sampleRates[String(f.sr)] = (sampleRates[String(f.sr)] ?? 0) + 1;
    channels[String(f.channels)] = (channels[String(f.channels)] ?? 0) + 1;
  });
  const labels: Partial<Record<Emotion, number>> = {};
  for (const e of ALL_EMOTIONS) {
    const n = readable.filter((x) => x.label === e).length;
    if (n > 0) labels[e] = n;
  }
  const datasets: Record<string, number> = {};
  const spk: Record<string, number> = {};
  for (const it of readable) {
    datasets[it.dataset] = (datasets[it.dataset] ?? 0) + 1;
    spk[it.speaker] = (spk[it.speaker] ?? 0) + 1;
  }
  const speaker_counts: Record<string, number> = {};
  for (const k of Object.keys(spk).sort(collator.compare)) speaker_counts[k] = spk[k];
  const n = readable.length;
  return {
    files: n,
    speakers: Object.keys(spk).length,
    labels,
    duration_s: Math.round(duration * 1000) / 1000,
    problems,
    datasets,
    speaker_counts,
    duration: n ? { min_s: min, mean_s: duration / n, max_s: max } : { min_s: 0, mean_s: 0, max_s: 0 },
    sample_rates: sampleRates,
    channels,
    excluded: loaded.excluded,
    ignored: loaded.ignored,
    sources: loaded.sources,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function hms(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = t % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m ${String(ss).padStart(2, '0')}s` : `${m}m ${String(ss).padStart(2, '0')}s`;
}

/** The human-readable report printed by `ser dataset inspect` without --json. */
export function formatInspectReport(r: InspectReport): string {
  const lines: string[] = [];
  for (const s of r.sources) lines.push(`${s.dataset.padEnd(9)} ${s.dir}`);
  lines.push(
    `${plural(r.files, 'readable file')}, ${plural(r.speakers, 'speaker')}, ${hms(r.duration_s)} of audio` +
      (r.files ? ` (${r.duration.min_s.toFixed(2)}–${r.duration.max_s.toFixed(2)} s, mean ${r.duration.mean_s.toFixed(2)} s)` : ''),
  );
  const row = (title: string, o: Record<string, number>) => {
    const entries = Object.entries(o);
    if (!entries.length) return;
    lines.push(`${title}:`);
    const w = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) lines.push(`  ${k.padEnd(w)}  ${String(v).padStart(6)}`);
  };
  row('labels', r.labels as Record<string, number>);
  if (Object.keys(r.datasets).length > 1) row('datasets', r.datasets);
  row('speakers', r.speaker_counts);
  row('sample rates (Hz)', r.sample_rates);
  const ex = Object.entries(r.excluded.labels).map(([k, v]) => `${k} ${v}`);
  if (r.excluded.song) ex.push(`song ${r.excluded.song}`);
  if (ex.length) lines.push(`excluded on purpose: ${ex.join(', ')}`);
  if (r.ignored) lines.push(`non-audio files ignored: ${r.ignored}`);
  lines.push(`problems: ${r.problems.length}`);
  for (const p of r.problems) lines.push(`  ${p.file}: ${p.reason}`);
  return lines.join('\n') + '\n';
}
