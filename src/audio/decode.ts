/**
 * Audio decoding from bytes (browser-safe: typed arrays and wasm only, no node: imports).
 *
 * The format is sniffed from the bytes, never from the file name:
 * - RIFF/WAVE → own reader (src/audio/wav.ts)
 * - fLaC (optionally after an ID3v2 tag) → own FLAC decoder (src/audio/flac.ts: a WebAssembly SIMD
 *   decoder with the JS decoder as fallback and source of every error message); bit-exact against
 *   the RAVDESS WAV originals. @wasm-audio-decoders/flac is not used (the JS decoder alone was
 *   already ~3× faster).
 * - ID3v2 / MPEG audio frame sync → `mpg123-decoder` (wasm)
 * - OggS with a Vorbis identification header → `@wasm-audio-decoders/ogg-vorbis` (wasm); Ogg
 *   Opus / Ogg FLAC are refused with 'ECODEC'.
 *
 * Every failure is a SerError naming the file: EEMPTY (no bytes, or no samples), ETRUNC, EFORMAT
 * (unrecognised or corrupt), ECODEC (known container, unsupported codec), ERATE (sample rate
 * outside [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE]), ENONFINITE (NaN/Inf samples in float WAV).
 * Errors of the wasm decoders are converted; their console output is silenced while they run.
 */
import { SerError } from '../errors.js';
import { decodeWav, isWav } from './wav.js';
import { decodeFlac, isFlac } from './flac.js';

/** Lowest accepted sample rate in Hz (documented bound; below it a header is taken as corrupt). */
export const MIN_SAMPLE_RATE = 1000;
/** Highest accepted sample rate in Hz (768 kHz, the highest rate in professional use). */
export const MAX_SAMPLE_RATE = 768000;

export interface DecodedAudio {
  /** One array per channel, all the same length, samples in [-1, 1] for integer formats. */
  channels: Float32Array[];
  /** Native sample rate in Hz. */
  sr: number;
}

export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg';

/** Length of an ID3v2 tag at `off` (0 when there is none). */
export function id3Length(b: Uint8Array, off = 0): number {
  if (b.length < off + 10 || b[off] !== 0x49 || b[off + 1] !== 0x44 || b[off + 2] !== 0x33) return 0;
  const size = ((b[off + 6] & 0x7f) << 21) | ((b[off + 7] & 0x7f) << 14) | ((b[off + 8] & 0x7f) << 7) | (b[off + 9] & 0x7f);
  return 10 + size + (b[off + 5] & 0x10 ? 10 : 0);
}

function isMpegSync(b: Uint8Array, o: number): boolean {
  // 11-bit frame sync, a valid version (not 01) and layer (not 00), bitrate index not 1111.
  return o + 4 <= b.length && b[o] === 0xff && (b[o + 1] & 0xe0) === 0xe0 && (b[o + 1] & 0x18) !== 0x08 && (b[o + 1] & 0x06) !== 0 && (b[o + 2] & 0xf0) !== 0xf0;
}

/**
 * Identifies the container from the first bytes. Returns the format and the byte offset where
 * its stream starts (after an ID3v2 tag), or throws SerError('EFORMAT' / 'ECODEC' / 'EEMPTY').
 */
export function sniffFormat(b: Uint8Array, file = '<bytes>'): { format: AudioFormat; offset: number } {
  if (b.length === 0) throw new SerError('EEMPTY', 'empty file', { file });
  if (b.length >= 4) {
    const tag = String.fromCharCode(b[0], b[1], b[2], b[3]);
    if (tag === 'RIFF') {
      if (isWav(b)) return { format: 'wav', offset: 0 };
      if (b.length < 12) throw new SerError('ETRUNC', 'truncated RIFF header', { file });
      throw new SerError('EFORMAT', 'RIFF file is not WAVE audio', { file });
    }
    if (tag === 'RF64' || tag === 'RIFX') throw new SerError('ECODEC', `${tag} WAV variant is not supported`, { file });
    if (tag === 'fLaC') return { format: 'flac', offset: 0 };
    if (tag === 'OggS') {
      // The first page carries the codec identification header at offset 27 + segment count.
      if (b.length < 28) throw new SerError('ETRUNC', 'truncated Ogg page', { file });
      const start = 27 + b[26];
      const id = b.length >= start + 8 ? String.fromCharCode(...b.subarray(start, start + 8)) : '';
      if (id.slice(1, 7) === 'vorbis' && b[start] === 1) return { format: 'ogg', offset: 0 };
      if (id.startsWith('OpusHead')) throw new SerError('ECODEC', 'Ogg Opus is not supported (Ogg Vorbis is)', { file });
      if (id.slice(1, 5) === 'FLAC') throw new SerError('ECODEC', 'Ogg FLAC is not supported (native FLAC is)', { file });
      if (b.length < start + 8) throw new SerError('ETRUNC', 'truncated Ogg header', { file });
      throw new SerError('ECODEC', 'Ogg stream with an unsupported codec', { file });
    }
  }
  const id3 = id3Length(b);
  if (id3 > 0) {
    if (id3 >= b.length) throw new SerError('ETRUNC', 'file ends inside its ID3 tag', { file });
    if (isFlac(b, id3)) return { format: 'flac', offset: id3 };
    return { format: 'mp3', offset: 0 };
  }
  if (isMpegSync(b, 0)) return { format: 'mp3', offset: 0 };
  if (b.length < 12) throw new SerError('ETRUNC', `file too short to be audio (${b.length} bytes)`, { file });
  throw new SerError('EFORMAT', 'unrecognised audio format (expected WAV, FLAC, MP3 or Ogg Vorbis)', { file });
}

/**
 * Checks rate, length and (unless `checkFinite` is false, for integer formats where it cannot
 * fail) finiteness of decoded audio; throws SerError naming `file`.
 */
export function validateDecoded(a: DecodedAudio, file: string, checkFinite = true): DecodedAudio {
  if (!Number.isFinite(a.sr) || a.sr < MIN_SAMPLE_RATE || a.sr > MAX_SAMPLE_RATE) {
    throw new SerError('ERATE', `sample rate ${a.sr} Hz is outside the supported ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`, { file });
  }
  if (a.channels.length === 0 || a.channels[0].length === 0) throw new SerError('EEMPTY', 'no audio samples (zero-length audio)', { file });
  for (let c = 0; checkFinite && c < a.channels.length; c++) {
    const y = a.channels[c];
    for (let i = 0; i < y.length; i++) {
      // x - x is NaN exactly when x is NaN or ±Inf.
      if (y[i] - y[i] !== 0) {
        throw new SerError('ENONFINITE', `non-finite sample (${y[i]}) at frame ${i}${a.channels.length > 1 ? `, channel ${c}` : ''}`, { file });
      }
    }
  }
  return a;
}

/**
 * Decodes a whole audio file held in memory. `name` is used in error messages only.
 * Returns per-channel float32 samples at the native rate (channels[c] has shape (n_frames,)).
 */
export async function decodeAudio(bytes: Uint8Array, name = '<bytes>'): Promise<DecodedAudio> {
  const { format, offset } = sniffFormat(bytes, name);
  if (format === 'mp3') return validateDecoded(await decodeMp3(bytes, name), name);
  if (format === 'ogg') return validateDecoded(await decodeOgg(bytes, name), name);
  return decodeSync(bytes, name, format, offset);
}

/**
 * Synchronous decoding for WAV and FLAC (MP3 / Ogg need the asynchronous wasm decoders:
 * SerError('ECODEC') here, use decodeAudio). With `scratch`, the channels may be views of a
 * decoder's reused memory (FLAC files up to 1 MB), valid only until the next decode: for a caller
 * that copies them at once (resampling, mixing down) and saves the allocation and copy.
 */
export function decodeAudioSync(bytes: Uint8Array, name = '<bytes>', opts: { scratch?: boolean } = {}): DecodedAudio {
  const { format, offset } = sniffFormat(bytes, name);
  return decodeSync(bytes, name, format, offset, opts.scratch === true);
}

function decodeSync(bytes: Uint8Array, name: string, format: AudioFormat, offset: number, scratch = false): DecodedAudio {
  if (format === 'wav') {
    const { channels, sr, header } = decodeWav(bytes, name);
    return validateDecoded({ channels, sr }, name, header.formatTag === 3);
  }
  if (format === 'flac') {
    const { channels, sr } = decodeFlac(bytes, name, offset, scratch);
    return validateDecoded({ channels, sr }, name, false);
  }
  throw new SerError('ECODEC', `${format.toUpperCase()} needs the asynchronous decoder (decodeAudio / loadAudio)`, { file: name });
}

interface WasmResult {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

/** Runs `fn` with console output silenced (the wasm decoders print warnings on bad input). */
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const c = console as unknown as Record<string, (...a: unknown[]) => void>;
  const saved = { log: c.log, warn: c.warn, error: c.error, info: c.info };
  const noop = () => {};
  c.log = c.warn = c.error = c.info = noop;
  try {
    return await fn();
  } finally {
    Object.assign(c, saved);
  }
}

function fromWasm(r: WasmResult, codec: string, file: string): DecodedAudio {
  if (r.errors && r.errors.length > 0) {
    throw new SerError('EFORMAT', `corrupt ${codec}: ${r.errors[0].message}${r.errors.length > 1 ? ` (+${r.errors.length - 1} more errors)` : ''}`, { file });
  }
  if (!r.samplesDecoded || r.channelData.length === 0) throw new SerError('EEMPTY', `no ${codec} audio frames decoded`, { file });
  const channels = r.channelData.map((ch) => (ch.length === r.samplesDecoded ? ch : ch.slice(0, r.samplesDecoded)));
  return { channels, sr: r.sampleRate };
}

interface Mp3Dec {
  ready: Promise<void>;
  decode(b: Uint8Array): WasmResult;
  free(): void;
}
interface OggDec {
  ready: Promise<void>;
  decodeFile(b: Uint8Array): Promise<WasmResult>;
  free(): void;
}

// A fresh decoder per file, freed afterwards: reset() re-instantiates the wasm module and costs
// as much as a new instance (~40 ms measured), so caching buys nothing. Calls are serialised so
// the console silencing of one call cannot overlap another's.
let chain: Promise<unknown> = Promise.resolve();

function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn, fn);
  chain = run.catch(() => undefined);
  return run;
}

async function withDecoder<D extends { ready: Promise<void>; free(): void }>(
  make: () => Promise<D>,
  use: (d: D) => Promise<WasmResult> | WasmResult,
  codec: string,
  file: string,
): Promise<DecodedAudio> {
  return serial(() =>
    quiet(async () => {
      let d: D | undefined;
      try {
        d = await make();
        return fromWasm(await use(d), codec, file);
      } catch (e) {
        if (e instanceof SerError) throw e;
        throw new SerError('EFORMAT', `corrupt ${codec} (${(e as Error)?.message ?? String(e)})`, { file, cause: e });
      } finally {
        try {
          d?.free();
        } catch {
          /* already freed */
        }
      }
    }),
  );
}

async function decodeMp3(bytes: Uint8Array, file: string): Promise<DecodedAudio> {
  const a = await withDecoder<Mp3Dec>(
    async () => {
      const { MPEGDecoder } = await import('mpg123-decoder');
      const d = new MPEGDecoder() as unknown as Mp3Dec;
      await d.ready;
      return d;
    },
    (d) => d.decode(bytes),
    'MP3',
    file,
  );
  // mpg123 always returns two channels; keep one for a mono stream (channel mode 3 in the first
  // frame header).
  const o = id3Length(bytes);
  if (a.channels.length === 2 && isMpegSync(bytes, o) && bytes[o + 3] >> 6 === 3) a.channels = [a.channels[0]];
  return a;
}

async function decodeOgg(bytes: Uint8Array, file: string): Promise<DecodedAudio> {
  return withDecoder<OggDec>(
    async () => {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      const d = new OggVorbisDecoder() as unknown as OggDec;
      await d.ready;
      return d;
    },
    (d) => d.decodeFile(bytes),
    'Ogg Vorbis',
    file,
  );
}
