/**
 * `ser listen [--rate HZ] [--device NAME] [--duration S] [--recorder CMD] [engine options of ser stream]`
 *
 * Streams the system microphone through the real-time engine, one JSON line per hop (as
 * `ser stream`). Capture: `arecord` (alsa-utils) or else sox's `rec`, spawned to write raw mono
 * s16le at --rate on stdout. `--recorder CMD` (or the SER_RECORDER environment variable) replaces
 * the capture program with any shell command writing raw mono s16le at --rate to stdout (used by
 * the tests; also handy for `ffmpeg -f pulse …`). Ctrl-C (SIGINT) or --duration ends the stream
 * cleanly (the last events are flushed). The engine is warmed up before the capture starts
 * (`--no-warmup` skips it; see `ser stream`), so the first hops meet the latency of the later ones.
 */
import type { Command } from 'commander';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { SerError } from '../../errors.js';
import { addEngineOptions, openEngine, positiveInt, positiveNumber, RawPcmDecoder, streamRaw, type StreamCliOptions } from './stream.js';

/** Full path of an executable on PATH, or null. */
export function which(cmd: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

/** The capture command line: [program, args] for arecord or rec, or a shell command; null when none is installed. */
export function captureCommand(rate: number, device: string | undefined, recorder: string | undefined): { cmd: string; args: string[]; shell: boolean; name: string } | null {
  if (recorder) return { cmd: recorder, args: [], shell: true, name: recorder };
  const arecord = which('arecord');
  if (arecord) {
    const args = ['-q', '-t', 'raw', '-f', 'S16_LE', '-c', '1', '-r', String(rate)];
    if (device) args.push('-D', device);
    return { cmd: arecord, args, shell: false, name: 'arecord' };
  }
  const rec = which('rec');
  if (rec) {
    const args = ['-q', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(rate), '-'];
    return { cmd: rec, args, shell: false, name: 'rec' };
  }
  return null;
}

interface ListenOptions extends StreamCliOptions {
  rate: string;
  device?: string;
  duration?: string;
  recorder?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('listen')
    .description('detect emotions live from the microphone (arecord or sox); one JSON line per hop')
    .option('--rate <hz>', 'capture sample rate', '16000')
    .option('--device <name>', 'capture device (arecord -D; for sox set AUDIODEV)')
    .option('--duration <seconds>', 'stop after this much audio (default: until Ctrl-C)')
    .option('--recorder <command>', 'shell command writing raw mono s16le at --rate to stdout (default: $SER_RECORDER, else arecord, else rec)');
  addEngineOptions(cmd).action(async (opts: ListenOptions) => {
    const rate = positiveInt(opts.rate, '--rate');
    const maxSeconds = opts.duration === undefined ? undefined : positiveNumber(opts.duration, '--duration');
    const cap = captureCommand(rate, opts.device, opts.recorder ?? (process.env.SER_RECORDER || undefined));
    if (!cap) {
      throw new SerError(
        'EIO',
        'no audio capture program found: install alsa-utils (arecord) or sox (rec), or pass --recorder "COMMAND" writing raw mono s16le to stdout',
      );
    }
    const { engine, dispose } = await openEngine(opts, rate, true); // warmed up before the capture starts
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(cap.cmd, cap.args, { shell: cap.shell, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      dispose();
      throw new SerError('EIO', `cannot start ${cap.name}: ${(e as Error).message}`);
    }
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    const spawnError = new Promise<never>((_, reject) => child.on('error', (e) => reject(new SerError('EIO', `cannot start ${cap.name}: ${e.message}`))));
    spawnError.catch(() => undefined);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const onSigint = (): void => {
      child.kill('SIGTERM');
    };
    process.once('SIGINT', onSigint);
    try {
      const n = await Promise.race([streamRaw(child.stdout, cap.name, engine, new RawPcmDecoder('s16le', 1), { srIn: rate, maxSeconds }), spawnError]);
      if (maxSeconds !== undefined && child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (n === 0) {
        const why = stderr.trim().split('\n').slice(-3).join(' ').trim();
        const noDevice = /no such (file|device)|audio open error|cannot open|no soundcards|unknown pcm|device/i.test(why);
        throw new SerError(
          'EIO',
          noDevice
            ? `no capture device: ${cap.name} could not open the microphone (${why || `exit code ${code}`})`
            : `${cap.name} produced no audio (exit code ${code}${why ? `: ${why}` : ''})`,
        );
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      if (child.exitCode === null) child.kill('SIGTERM');
      dispose();
    }
  });
}
