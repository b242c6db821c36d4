/**
 * `ser dataset inspect DIR... [--json] [--dataset NAME] [--emotions LIST|all] [--include-song]
 *  [--concurrency N]`
 *
 * Reports what the folders (or CSV manifests) hold: files per label, speaker and dataset, total
 * duration (audio headers only), and every file that cannot be used with its reason. Without
 * --emotions all eight labels are counted (an inventory; training defaults to the recipe's six).
 * Exit 0 when a report could be made, even with unreadable files (they are listed); exit 1 with
 * `ser: DIR: no such file or directory` for a missing folder.
 *
 * `ser dataset split DIR... --protocol random|speaker-independent|speaker-kfold [--seed S]
 *  [--val F] [--test F] [--test-speakers LIST] [--val-speakers LIST] [--val-fraction F] [--k N]
 *  [--dataset NAME] [--emotions LIST|recipe|all] [--include-song] [--json] [--out FILE]`
 *
 * Makes the split(s) of a protocol (src/data/splits.ts; emotions default to the recipe's six),
 * checks them for leaks, and prints per partition the files, speakers and labels with the
 * protocol's description (`--json`: an array of {protocol, train, val, test} summaries).
 * `--out FILE` writes {kind: 'splits', sources, splits: [{protocol, train, val, test}]} with every
 * item's path, label, speaker and recording id (atomically).
 */
import type { Command } from 'commander';
import { SerError } from '../../errors.js';
import { inspectDataset, formatInspectReport } from '../../data/inspect.js';
import { parseEmotions } from '../../data/labels.js';
import { DATASET_NAMES, type DatasetName } from '../../data/types.js';
import { createProgress } from '../../util/progress.js';
import { loadDataset } from '../../data/load.js';
import { makeSplits, splitToJSON, summariseSplit, type ProtocolName, type SplitSpec, type SplitSummary } from '../../data/splits.js';
import { writeFileAtomic } from '../../util/atomic.js';

export interface InspectCliOptions {
  json?: boolean;
  dataset?: string;
  emotions?: string;
  includeSong?: boolean;
  concurrency?: string;
}

export function parseDatasetOption(v: string | undefined): 'auto' | DatasetName {
  if (v === undefined || v === 'auto') return 'auto';
  const name = v.toLowerCase() === 'cremad' || v.toLowerCase() === 'crema' ? 'crema-d' : v.toLowerCase();
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new SerError('EPARAM', `--dataset must be auto, ${DATASET_NAMES.join(', ')}; got '${v}'`);
  }
  return name as DatasetName;
}

export function register(program: Command): void {
  const dataset = program.command('dataset').description('dataset tools: inspect folders, make leakage-free splits');
  dataset
    .command('inspect')
    .description('count files per label, speaker and dataset, total duration, and list unusable files')
    .argument('<dirs...>', 'dataset folders or CSV manifests')
    .option('--json', 'print the report as JSON')
    .option('--dataset <name>', `adapter: auto (default), ${DATASET_NAMES.join(', ')}`)
    .option('--emotions <list>', "comma-separated labels, 'recipe' (six) or 'all' (default for inspect: all)")
    .option('--include-song', 'include RAVDESS song recordings (vocal channel 02)')
    .option('--concurrency <n>', 'audio headers read at once', '8')
    .action(async (dirs: string[], opts: InspectCliOptions) => {
      await runInspect(dirs, opts, (text) => process.stdout.write(text));
    });
  dataset
    .command('split')
    .description('make the train/val/test split(s) of a protocol, check them for leaks, print their contents')
    .argument('<dirs...>', 'dataset folders or CSV manifests')
    .option('--protocol <name>', 'random | speaker-independent | speaker-kfold', 'speaker-kfold')
    .option('--seed <s>', 'seed (integer or string)')
    .option('--val <f>', 'random: validation fraction per label (default 0.1)')
    .option('--test <f>', 'random: test fraction per label (default 0.2)')
    .option('--test-speakers <list>', "speaker-independent: test speakers, e.g. '01,02' or 'ravdess:01'")
    .option('--val-speakers <list>', 'speaker-independent: validation speakers')
    .option('--val-fraction <f>', 'speaker-independent: share of other speakers drawn for validation (default 0.1)')
    .option('--k <n>', 'speaker-kfold: number of folds (default 5)')
    .option('--dataset <name>', `adapter: auto (default), ${DATASET_NAMES.join(', ')}`)
    .option('--emotions <list>', "comma-separated labels, 'recipe' (default: the six) or 'all'")
    .option('--include-song', 'include RAVDESS song recordings')
    .option('--json', 'print the summaries as JSON')
    .option('--out <file>', 'write every partition\'s items as JSON')
    .action(async (dirs: string[], opts: SplitCliOptions) => {
      await runSplit(dirs, opts, (text) => process.stdout.write(text));
    });
}

interface SplitCliOptions {
  protocol?: string;
  seed?: string;
  val?: string;
  test?: string;
  testSpeakers?: string;
  valSpeakers?: string;
  valFraction?: string;
  k?: string;
  dataset?: string;
  emotions?: string;
  includeSong?: boolean;
  json?: boolean;
  out?: string;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SerError('EPARAM', `${name} must be a number, got '${v}'`);
  return n;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean);
}

/** Command-line options → SplitSpec (throws SerError('EPARAM') on a bad value). */
export function splitSpecFromOptions(o: SplitCliOptions): SplitSpec {
  const protocol = (o.protocol ?? 'speaker-kfold') as ProtocolName;
  if (!['random', 'speaker-independent', 'speaker-kfold'].includes(protocol)) {
    throw new SerError('EPARAM', `--protocol must be random, speaker-independent or speaker-kfold; got '${o.protocol}'`);
  }
  const seed = o.seed === undefined ? undefined : /^-?\d+$/.test(o.seed) ? Number(o.seed) : o.seed;
  const k = num('--k', o.k);
  if (k !== undefined && !(Number.isInteger(k) && k >= 2)) throw new SerError('EPARAM', `--k must be an integer ≥ 2, got '${o.k}'`);
  return {
    protocol,
    seed,
    val: num('--val', o.val),
    test: num('--test', o.test),
    testSpeakers: list(o.testSpeakers),
    valSpeakers: list(o.valSpeakers),
    valFraction: num('--val-fraction', o.valFraction),
    k,
  };
}

function formatSummary(s: SplitSummary): string {
  const lines = [`${s.protocol.name}: ${s.protocol.description}`];
  for (const part of ['train', 'val', 'test'] as const) {
    const p = s[part];
    const labels = Object.entries(p.labels).map(([k, v]) => `${k} ${v}`).join(', ');
    const aug = p.augmented ? ` (${p.augmented} augmented)` : '';
    lines.push(`  ${part.padEnd(5)} ${String(p.files).padStart(6)} files${aug}, ${p.speakers.length} speaker${p.speakers.length === 1 ? '' : 's'}; ${labels || 'empty'}`);
  }
  return lines.join('\n') + '\n';
}

/** The `dataset split` action; writes the report through `write`. */
export async function runSplit(dirs: string[], opts: SplitCliOptions, write: (text: string) => void): Promise<void> {
  const spec = splitSpecFromOptions(opts);
  const loaded = await loadDataset(dirs, {
    dataset: parseDatasetOption(opts.dataset),
    emotions: opts.emotions === undefined ? undefined : opts.emotions.trim().toLowerCase() === 'all' ? 'all' : parseEmotions(opts.emotions),
    includeSong: Boolean(opts.includeSong),
  });
  if (loaded.items.length === 0) throw new SerError('EDATA', `no usable items in ${dirs.join(', ')}`);
  const splits = makeSplits(loaded.items, spec);
  const summaries = splits.map(summariseSplit);
  if (opts.out) {
    const body = { kind: 'splits', sources: loaded.sources, splits: splits.map(splitToJSON) };
    await writeFileAtomic(opts.out, JSON.stringify(body) + '\n');
  }
  write(opts.json ? JSON.stringify(summaries, null, 2) + '\n' : summaries.map(formatSummary).join(''));
}

/** The `dataset inspect` action: validates options, inspects, writes the report through `write`. */
export async function runInspect(dirs: string[], opts: InspectCliOptions, write: (text: string) => void): Promise<void> {
  const concurrency = Number(opts.concurrency ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new SerError('EPARAM', `--concurrency must be a positive integer, got '${opts.concurrency}'`);
  const tty = Boolean(process.stderr.isTTY);
  let progress: ReturnType<typeof createProgress> | undefined;
  const report = await inspectDataset(dirs, {
    dataset: parseDatasetOption(opts.dataset),
    emotions: opts.emotions === undefined ? 'all' : parseEmotions(opts.emotions),
    includeSong: Boolean(opts.includeSong),
    concurrency,
    onProgress: tty
      ? (done, total, failed) => {
          progress ??= createProgress({ total, label: 'inspect', stream: process.stderr, tty: true });
          progress.update(done, failed);
        }
      : undefined,
  });
  progress?.stop();
  write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatInspectReport(report));
}
