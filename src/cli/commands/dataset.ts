/**
 * `ser dataset inspect DIR... [--json] [--dataset NAME] [--emotions LIST|all] [--include-song]
 *  [--concurrency N]`
 *
 * Reports what the folders (or CSV manifests) hold: files per label, speaker and dataset, total
 * duration (audio headers only), and every file that cannot be used with its reason. Without
 * --emotions all eight labels are counted (an inventory; training defaults to the recipe's six).
 * Exit 0 when a report could be made, even with unreadable files (they are listed); exit 1 with
 * `ser: DIR: no such file or directory` for a missing folder.
 */
import type { Command } from 'commander';
import { SerError } from '../../errors.js';
import { inspectDataset, formatInspectReport } from '../../data/inspect.js';
import { parseEmotions } from '../../data/labels.js';
import { DATASET_NAMES, type DatasetName } from '../../data/types.js';
import { createProgress } from '../../util/progress.js';

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
  const dataset = program.command('dataset').description('dataset tools (inspect)');
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
