/**
 * The `ser` command line. Each sub-command lives in src/cli/commands/NAME.ts and exports
 * `register(program: Command): void`. Errors: a SerError prints its message alone and exits 1
 * (stack trace only with --verbose); anything else prints "internal error" with the stack.
 */
import { Command } from 'commander';
import { SerError } from '../errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('ser')
    .description('Speech emotion recognition: librosa-exact features, CNN-LSTM models, real-time detection.')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError();
  for (const register of commands) register(program);
  await program.parseAsync(argv);
}

export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof SerError) {
    process.stderr.write(`ser: ${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`ser: internal error: ${e?.message ?? String(err)}\n`);
  if (e?.stack) process.stderr.write(e.stack + '\n');
  return 2;
}

const isMain = process.argv[1] !== undefined && /(?:^|[\\/])(?:ser(?:\.js)?|main\.[jt]s)$/.test(process.argv[1]);
if (isMain) {
  // `ser ... | head`: a reader that closes the pipe ends the output quietly, as for Unix tools
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv).catch((err) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });
}
