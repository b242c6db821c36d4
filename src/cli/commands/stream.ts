/**
 * `ser stream FILE|- [--raw --rate N --channels N --format s16le|f32le] [--model DIR] [--window S]
 *  [--hop S] [--smoothing ALPHA|none] [--vad-db DB|off] [--min-speech R] [--backend wasm|cpu]`
 *
 * Streams audio through the real-time engine (src/stream) and prints one JSON line per hop:
 *   {"t_start":…, "t_end":…, "speech":true|false, "label":"…"|null, "probabilities":{…}|null, "rms_db":…}
 * FILE is a WAV/FLAC/MP3/Ogg file read with the project loader (`-` = the file's bytes on stdin);
 * with --raw the input (FILE or stdin) is headerless PCM, interleaved, mixed down to mono by the
 * channel mean, and processed as it arrives. The audio is pushed in 20 ms chunks either way, so the
 * output is what a live source would give.
 * The model's normalisation applies (src/stream/engine.ts): a speaker-normalised model normalises by
 * a running estimate of the speaker's statistics from the speech windows so far, starting from
 * the model's prior (stderr says so); an utterance-normalised one each window by itself.
 * With --raw input (a live source, e.g. `arecord … | ser stream --raw …`, and in `ser listen`) the
 * engine is warmed up before the first sample is read (EmotionStream.warmup: synthetic audio through
 * a twin engine, about a second of CPU) so that the first hops are as fast as the later ones; a
 * decoded file is not (only throughput counts there). `--warmup` / `--no-warmup` override; the
 * events are the same either way.
 */
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SerError } from '../../errors.js';
import type { EmotionStream, StreamEvent } from '../../stream/engine.js';

export interface StreamCliOptions {
  model?: string;
  window?: string;
  hop: string;
  smoothing: string;
  vadDb: string;
  minSpeech: string;
  backend: string;
  /** --warmup / --no-warmup; default (undefined): warm up for live (raw) input only. */
  warmup?: boolean;
}

export type RawFormat = 's16le' | 'f32le';

/** Parses a positive finite number option; SerError('EPARAM') naming the option otherwise. */
export function positiveNumber(v: string, name: string): number {
  const x = Number(v);
  if (!(v.trim() !== '' && Number.isFinite(x) && x > 0)) throw new SerError('EPARAM', `${name} must be a positive number, got '${v}'`);
  return x;
}

/** Parses a positive integer option. */
export function positiveInt(v: string, name: string): number {
  const x = Number(v);
  if (!(Number.isInteger(x) && x > 0)) throw new SerError('EPARAM', `${name} must be a positive integer, got '${v}'`);
  return x;
}

/** The common engine options (--model … --min-speech) of `ser stream` and `ser listen`. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .option('--model <dir>', 'model bundle folder (default: models/default here, else the packaged one)')
    .option('--window <seconds>', "window length (default: the model's clip length)")
    .option('--hop <seconds>', 'hop between events, snapped down to whole STFT hops', '0.5')
    .option('--smoothing <alpha>', "exponential smoothing weight of the newest window in (0, 1], or 'none'", '0.5')
    .option('--vad-db <dB>', "voice-activity threshold in dBFS per 23 ms block, or 'off'", '-50')
    .option('--min-speech <ratio>', 'fraction of the new blocks above the threshold for a window to count as speech', '0.2')
    .option('--backend <name>', "TensorFlow.js backend: 'wasm' or 'cpu'", 'wasm')
    .option('--warmup', 'warm the engine up before the first sample (synthetic audio through a twin engine, so that the first hops are not slower than the later ones); default for raw / live input')
    .option('--no-warmup', 'skip the warm-up');
}

/**
 * Loads the bundle (lazily importing tfjs) and creates the engine for input at `srIn` Hz, warmed up
 * (EmotionStream.warmup) when `opts.warmup` says so, by default when the input is `live`.
 */
export async function openEngine(opts: StreamCliOptions, srIn: number, live = false): Promise<{ engine: EmotionStream; dispose: () => void }> {
  const smoothing =
    opts.smoothing === 'none'
      ? ({ type: 'none' } as const)
      : (() => {
          const a = Number(opts.smoothing);
          if (!(opts.smoothing.trim() !== '' && a > 0 && a <= 1)) throw new SerError('EPARAM', `--smoothing must be a number in (0, 1] or 'none', got '${opts.smoothing}'`);
          return { type: 'ema', alpha: a } as const;
        })();
  let vad: { threshold_db: number; min_speech_ratio: number } | false = false;
  if (opts.vadDb !== 'off') {
    const db = Number(opts.vadDb);
    if (!(opts.vadDb.trim() !== '' && Number.isFinite(db))) throw new SerError('EPARAM', `--vad-db must be a number (dBFS) or 'off', got '${opts.vadDb}'`);
    const r = Number(opts.minSpeech);
    if (!(opts.minSpeech.trim() !== '' && r >= 0 && r <= 1)) throw new SerError('EPARAM', `--min-speech must be a number in [0, 1], got '${opts.minSpeech}'`);
    vad = { threshold_db: db, min_speech_ratio: r };
  }
  const hop = positiveNumber(opts.hop, '--hop');
  const window = opts.window === undefined ? undefined : positiveNumber(opts.window, '--window');
  const { parseBackend, resolveModelDir } = await import('./predict.js');
  const backend = parseBackend(opts.backend);
  const { initBackend } = await import('../../model/backend.js');
  const { loadBundle } = await import('../../model/bundle-node.js');
  const { disposeBundle } = await import('../../model/bundle.js');
  const { createEmotionStream } = await import('../../stream/engine.js');
  await initBackend(backend);
  const bundle = await loadBundle(resolveModelDir(opts.model));
  try {
    const engine = createEmotionStream({ bundle, sr_in: srIn, window_seconds: window, hop_seconds: hop, smoothing, vad });
    if (opts.warmup ?? live) engine.warmup();
    if (engine.normalization_mode === 'speaker') {
      // how a speaker-normalised model behaves in a stream (src/stream/engine.ts)
      process.stderr.write(
        "ser: speaker-normalised model: features are normalised by a running estimate of the speaker's statistics from the speech heard so far, " +
          "starting from the model's prior (the first seconds are less reliable)\n",
      );
    }
    return { engine, dispose: () => disposeBundle(bundle) };
  } catch (e) {
    disposeBundle(bundle);
    throw e;
  }
}

/** One output line (fixed key order; times rounded to µs, dB to 0.01). */
export function eventLine(e: StreamEvent): string {
  return (
    JSON.stringify({
      t_start: Math.round(e.t_start * 1e6) / 1e6,
      t_end: Math.round(e.t_end * 1e6) / 1e6,
      speech: e.speech,
      label: e.label,
      probabilities: e.probabilities,
      rms_db: Math.round(e.rms_db * 100) / 100,
    }) + '\n'
  );
}

/** Writes lines to stdout, waiting when the pipe is full; a closed pipe (EPIPE) ends quietly. */
let epipeHandled = false;
export function writeOut(s: string): Promise<void> {
  if (!epipeHandled) {
    epipeHandled = true;
    // the reader went away (e.g. `| head`): stop quietly
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  return new Promise((resolve) => {
    if (process.stdout.write(s)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Converts raw interleaved PCM bytes to mono float samples incrementally (partial frames are kept
 * for the next chunk). s16le is scaled by 1/32768; channels are averaged.
 */
export class RawPcmDecoder {
  private rest = new Uint8Array(0);
  readonly frameBytes: number;
  constructor(
    readonly format: RawFormat,
    readonly channels: number,
  ) {
    this.frameBytes = (format === 's16le' ? 2 : 4) * channels;
  }
  push(chunk: Uint8Array): Float32Array {
    let b = chunk;
    if (this.rest.length) {
      b = new Uint8Array(this.rest.length + chunk.length);
      b.set(this.rest);
      b.set(chunk, this.rest.length);
    }
    const n = Math.floor(b.length / this.frameBytes);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = new Float32Array(n);
    const c = this.channels;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let ch = 0; ch < c; ch++) {
        const o = i * this.frameBytes + ch * (this.frameBytes / c);
        s += this.format === 's16le' ? dv.getInt16(o, true) / 32768 : dv.getFloat32(o, true);
      }
      out[i] = c === 1 ? s : s / c;
    }
    this.rest = b.slice(n * this.frameBytes);
    return out;
  }
  /** Bytes of an incomplete last frame (0 when the input ended on a frame boundary). */
  get leftover(): number {
    return this.rest.length;
  }
}

/** Reads a byte stream of raw PCM, decodes it and streams it through the engine, printing events. */
export async function streamRaw(input: Readable, source: string, engine: EmotionStream, dec: RawPcmDecoder, opts: { maxSeconds?: number; srIn: number } ): Promise<number> {
  let events = 0;
  let samples = 0;
  const limit = opts.maxSeconds !== undefined ? Math.round(opts.maxSeconds * opts.srIn) : Infinity;
  for await (const chunk of input as AsyncIterable<Uint8Array>) {
    let y = dec.push(chunk);
    if (samples + y.length > limit) y = y.subarray(0, limit - samples);
    samples += y.length;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new SerError('ENONFINITE', `non-finite float sample at frame ${samples - y.length + i}`, { file: source });
    }
    for (const e of engine.push(y)) {
      events++;
      await writeOut(eventLine(e));
    }
    if (samples >= limit) break;
  }
  for (const e of engine.flush()) {
    events++;
    await writeOut(eventLine(e));
  }
  return samples;
}

async function readAll(input: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of input as AsyncIterable<Buffer>) parts.push(c);
  const b = Buffer.concat(parts);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

interface StreamCommandOptions extends StreamCliOptions {
  raw?: boolean;
  rate?: string;
  channels: string;
  format: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('stream')
    .description('stream an audio file or stdin through the real-time emotion engine; one JSON line per hop')
    .argument('<file>', "audio file (.wav, .flac, .mp3, .ogg), or '-' for stdin")
    .option('--raw', 'the input is headerless PCM (needs --rate)')
    .option('--rate <hz>', 'sample rate of --raw input')
    .option('--channels <n>', 'interleaved channels of --raw input (mixed down by their mean)', '1')
    .option('--format <fmt>', "sample format of --raw input: 's16le' or 'f32le'", 's16le');
  addEngineOptions(cmd).action(async (file: string, opts: StreamCommandOptions) => {
    const source = file === '-' ? '<stdin>' : file;
    if (file !== '-') {
      const st = await stat(file).catch(() => null);
      if (!st) throw new SerError('ENOENT', 'no such file', { file });
      if (st.isDirectory()) throw new SerError('EISDIR', 'is a directory, expected an audio file', { file });
    }
    if (opts.raw) {
      if (opts.rate === undefined) throw new SerError('EPARAM', '--raw needs --rate <hz> (the sample rate of the PCM data)');
      const { MIN_SAMPLE_RATE, MAX_SAMPLE_RATE } = await import('../../audio/decode.js');
      const rate = positiveInt(opts.rate, '--rate');
      if (rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) throw new SerError('ERATE', `--rate ${rate} Hz is outside ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz`);
      const channels = positiveInt(opts.channels, '--channels');
      if (channels > 64) throw new SerError('EPARAM', `--channels must be at most 64, got ${channels}`);
      if (opts.format !== 's16le' && opts.format !== 'f32le') throw new SerError('EPARAM', `--format must be 's16le' or 'f32le', got '${opts.format}'`);
      const { engine, dispose } = await openEngine(opts, rate, true);
      try {
        const dec = new RawPcmDecoder(opts.format, channels);
        const input = file === '-' ? process.stdin : createReadStream(file);
        const n = await streamRaw(input, source, engine, dec, { srIn: rate });
        if (n === 0) throw new SerError('EEMPTY', 'no audio samples in the raw input', { file: source });
        if (dec.leftover) process.stderr.write(`ser: ${source}: warning: ignored ${dec.leftover} trailing bytes (an incomplete ${opts.format} frame)\n`);
      } finally {
        dispose();
      }
      return;
    }
    const { loadAudio } = await import('../../audio/load.js');
    const audio = file === '-' ? await loadAudio(await readAll(process.stdin), { sr: 'native', name: '<stdin>' }) : await loadAudio(file, { sr: 'native' });
    if (audio.y.length === 0) throw new SerError('EEMPTY', 'the audio is empty', { file: source });
    if (!Number.isInteger(audio.sr)) throw new SerError('ERATE', `sample rate ${audio.sr} Hz is not an integer`, { file: source });
    const { engine, dispose } = await openEngine(opts, audio.sr);
    try {
      const chunk = Math.max(1, Math.round(audio.sr * 0.02));
      for (let i = 0; i < audio.y.length; i += chunk) {
        for (const e of engine.push(audio.y.subarray(i, i + chunk))) await writeOut(eventLine(e));
      }
      for (const e of engine.flush()) await writeOut(eventLine(e));
    } finally {
      dispose();
    }
  });
}
