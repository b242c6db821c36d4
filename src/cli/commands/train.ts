/**
 * `ser train --data DIR... [options]`: the whole recipe in one command (src/pipeline/run.ts):
 * data → cached features → leakage-free split → augment training items only → z-score from the
 * training partition → class weights → train → evaluate → run folder. `--folds K` runs speaker
 * k-fold cross-validation; `--final` (= `--protocol all`) trains the shipped model on every speaker.
 * Ctrl-C stops after the current batch, keeps the best weights and still writes the run folder.
 */
import { Command } from 'commander';
import type { RawTrainOptions } from '../../pipeline/options.js';
import { addTrainOptions } from '../../pipeline/options.js';

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model: features, leakage-free split, augmentation, training, evaluation, run folder (--folds K: speaker cross-validation)');
  addTrainOptions(cmd).action(async (raw: RawTrainOptions) => {
    const { resolveTrainOptions } = await import('../../pipeline/options.js');
    const { runTrainPipeline } = await import('../../pipeline/run.js');
    const config = await resolveTrainOptions(raw);
    const tty = Boolean(process.stderr.isTTY);
    let statusShown = false;
    const clear = () => {
      if (statusShown) process.stderr.write('\r\x1b[K');
      statusShown = false;
    };
    const controller = new AbortController();
    const onSigint = () => {
      if (controller.signal.aborted) process.exit(130);
      clear();
      process.stderr.write('ser train: stopping after the current batch (best weights are kept; Ctrl-C again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const r = await runTrainPipeline(config, {
        command: ['ser', ...process.argv.slice(2)].map(shellQuote).join(' '),
        signal: controller.signal,
        log: (line) => {
          clear();
          process.stderr.write(line + '\n');
        },
        status: tty
          ? (line) => {
              process.stderr.write('\r\x1b[K' + line.slice(0, (process.stderr.columns ?? 120) - 1));
              statusShown = true;
            }
          : undefined,
      });
      clear();
      process.stdout.write(`run folder: ${r.out}${r.interrupted ? ' (interrupted)' : ''}\n`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
