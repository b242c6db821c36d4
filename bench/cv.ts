/**
 * Speaker-independent cross-validation on RAVDESS actors 01–20 (../shared/data/ravdess): by
 * default 5 folds of 4 held-out actors (2 male, 2 female; validation = the next fold's actors,
 * training = the other 12), the recipe's 6 classes. Runs the same pipeline as `ser train --folds 5`
 * (src/pipeline) and prints a table per fold (accuracy, UAR, macro-F1), the mean ± std, and the
 * wall time. `--random` also runs a clean random split (recordings, not speakers: speaker-DEPENDENT,
 * an optimistic figure), printed separately and labelled as such.
 *
 *   npm run bench:cv -- [every `ser train` option, e.g. --epochs 20 --normalize speaker
 *                        --model-config m.json --augment none] [--folds K] [--random]
 *
 * Default data: ../shared/data/ravdess; default run folder: runs/cv-<date>; cache .ser-cache/train.
 */
import { Command } from 'commander';
import { addTrainOptions, resolveTrainOptions, runTrainPipeline, type RawTrainOptions, type PipelineResult } from '../src/pipeline/index.js';
import { SerError } from '../src/errors.js';

const argv = process.argv.slice(2);
const wantRandom = argv.includes('--random');
const args = argv.filter((a) => a !== '--random');
if (!args.includes('--data')) args.push('--data', new URL('../../shared/data/ravdess', import.meta.url).pathname);
if (!args.includes('--folds')) args.push('--folds', '5');
if (!args.includes('--no-report')) args.push('--no-report');

const pct = (v: number) => (100 * v).toFixed(1).padStart(5);

function table(title: string, r: PipelineResult): void {
  console.log(`\n${title}`);
  console.log('fold  test speakers                         n    acc    UAR  macroF1  epochs  time');
  for (const f of r.folds) {
    const t = f.test!;
    const spk = (f.protocol.testSpeakers ?? []).map((s) => s.replace(/^ravdess:/, '')).join(',') || '(random)';
    console.log(
      `${String(f.fold === null ? '-' : f.fold + 1).padEnd(5)} ${spk.padEnd(36)} ${String(t.n).padStart(4)}  ${pct(t.accuracy)}  ${pct(t.uar)}  ${pct(t.macro_f1)}   ${String(f.history.history.length).padStart(5)}  ${(f.wallMs / 60000).toFixed(1)} min`,
    );
  }
  if (r.mean && r.std && r.folds.length > 1) {
    console.log(`mean                                            ${pct(r.mean.accuracy)}  ${pct(r.mean.uar)}  ${pct(r.mean.macro_f1)}`);
    console.log(`std                                             ${pct(r.std.accuracy)}  ${pct(r.std.uar)}  ${pct(r.std.macro_f1)}`);
  }
  console.log(`wall time ${(r.wallMs / 60000).toFixed(1)} min; run folder ${r.out}${r.interrupted ? ' (INTERRUPTED)' : ''}`);
}

async function run(extra: string[], title: string): Promise<void> {
  const program = addTrainOptions(new Command('cv')).exitOverride();
  let raw: RawTrainOptions | undefined;
  program.action((o: RawTrainOptions) => {
    raw = o;
  });
  program.parse([...args, ...extra], { from: 'user' });
  const config = await resolveTrainOptions(raw!);
  if (!args.includes('--out')) config.out = `runs/cv-${new Date().toISOString().replace(/[:.]/g, '-')}${extra.length ? '-random' : ''}`;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const r = await runTrainPipeline(config, {
    command: `npm run bench:cv -- ${argv.join(' ')}`,
    signal: controller.signal,
    log: (l) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${l}`),
  });
  table(title, r);
}

try {
  const t0 = Date.now();
  await run([], 'speaker-independent cross-validation (test actors never seen in training)');
  if (wantRandom) {
    const i = args.indexOf('--folds');
    args.splice(i, 2);
    await run(['--protocol', 'random'], 'RANDOM split (speaker-DEPENDENT: the test actors are also in training; optimistic, not comparable)');
  }
  console.log(`total wall time ${((Date.now() - t0) / 60000).toFixed(1)} min`);
} catch (err) {
  console.error(err instanceof SerError ? `cv: ${err.message}` : err);
  process.exit(1);
}
