/**
 * Node edge of audio loading: read a file (or take bytes), decode, mix to mono, resample —
 * librosa.load's defaults (sr 22050, mono = mean of the channels).
 */
import { readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SerError, check } from '../errors.js';
import { resample, type ResampleOptions } from '../dsp/resample.js';
import { decodeAudio, decodeAudioSync, sniffFormat, validateDecoded, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, type AudioFormat, type DecodedAudio } from './decode.js';
import { parseWavHeader } from './wav.js';
import { parseFlacHeader } from './flac.js';

export interface LoadOptions {
  /** Target rate in Hz, or 'native' to keep the file's rate (default 22050, as librosa.load). */
  sr?: number | 'native';
  /** Mix channels down to their mean (default true). With false, `channelData` holds every channel. */
  mono?: boolean;
  /** Name used in error messages when bytes are passed (default '<bytes>'). */
  name?: string;
  /** Resampler design (default: src/dsp/resample.ts 'hq'). */
  resample?: ResampleOptions;
}

export interface LoadedAudio {
  /** Mono mix (mean of the channels), shape (n,), at `sr`. */
  y: Float32Array;
  /** Sample rate of `y` in Hz. */
  sr: number;
  /** Number of channels in the file. */
  channels: number;
  /** Duration in seconds, y.length / sr. */
  duration: number;
  /** With mono: false, every channel resampled to `sr`, each shape (n,). */
  channelData?: Float32Array[];
}

export interface AudioInfo {
  format: AudioFormat;
  sr: number;
  channels: number;
  /** Samples per channel. */
  frames: number;
  /** Seconds. */
  duration: number;
}

function ioError(err: unknown, file: string): SerError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new SerError('ENOENT', 'no such file', { file, cause: err });
  if (code === 'EISDIR') return new SerError('EISDIR', 'is a directory, expected an audio file', { file, cause: err });
  return new SerError('EIO', `cannot read (${(err as Error)?.message ?? String(err)})`, { file, cause: err });
}

/** Reads a whole file; I/O failures become SerError (ENOENT, EISDIR, EIO). */
export function readBytesSync(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw ioError(err, path);
  }
}

/**
 * Opens `path` for reading and runs `read(fd, size)`; a directory, a missing file or a failed read
 * becomes SerError (EISDIR, ENOENT, EIO) naming the file; the descriptor is always closed.
 */
function withOpenFile<T>(path: string, read: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw ioError(err, path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new SerError('EISDIR', 'is a directory, expected an audio file', { file: path });
    return read(fd, st.size);
  } catch (err) {
    if (err instanceof SerError) throw err;
    throw ioError(err, path);
  } finally {
    closeSync(fd);
  }
}

/** Per-thread buffer reused by {@link readBytesReused}. */
let reuseBuf: Uint8Array | null = null;
/** Files above this size get a buffer of their own instead of growing the shared one. */
const REUSE_MAX = 64 << 20;

/**
 * Reads a whole file, synchronously, into a buffer that this thread reuses from call to call:
 * the returned view is valid only until the next call in the same thread, so decode it before
 * any `await`. It saves the allocation (and, for files of a few hundred kB, the page faults) of
 * a fresh buffer per file, and the thread-pool round trip of an asynchronous read — together
 * ~1 ms per RAVDESS file in the feature pipeline. I/O failures become SerError (ENOENT, EISDIR,
 * EIO). Shape: (n_bytes,).
 */
export function readBytesReused(path: string): Uint8Array {
  return withOpenFile(path, (fd, size) => {
    // size can be 0 for special files (pipes, /proc): read until EOF, growing as needed.
    let buf = size > REUSE_MAX ? new Uint8Array(size + 1) : reuseBuf && reuseBuf.length > size ? reuseBuf : new Uint8Array(Math.max(size + 1, 1 << 16));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        const g = new Uint8Array(buf.length * 2);
        g.set(buf);
        buf = g;
      }
      const r = readSync(fd, buf, got, buf.length - got, null);
      if (r <= 0) break;
      got += r;
    }
    if (buf.length <= REUSE_MAX) reuseBuf = buf;
    return buf.subarray(0, got);
  });
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw ioError(err, path);
  }
}

function checkOpts(opts: LoadOptions): void {
  const sr = opts.sr ?? 22050;
  check(
    sr === 'native' || (typeof sr === 'number' && Number.isFinite(sr) && sr >= MIN_SAMPLE_RATE && sr <= MAX_SAMPLE_RATE),
    `sr must be 'native' or a rate in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}] Hz, got ${String(opts.sr)}`,
  );
}

/** Mean of the channels (a copy for mono input). */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const y = new Float32Array(n);
  const k = channels.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += channels[c][i];
    y[i] = s / k;
  }
  return y;
}

function finish(a: DecodedAudio, opts: LoadOptions): LoadedAudio {
  const target = opts.sr === undefined ? 22050 : opts.sr;
  const sr = target === 'native' ? a.sr : target;
  const mono = opts.mono ?? true;
  const conv = (x: Float32Array) => (sr === a.sr ? x : resample(x, a.sr, sr, opts.resample));
  const y = conv(toMono(a.channels));
  const out: LoadedAudio = { y, sr, channels: a.channels.length, duration: y.length / sr };
  if (!mono) out.channelData = a.channels.length === 1 ? [y] : a.channels.map(conv);
  return out;
}

/**
 * Loads an audio file (WAV, FLAC, MP3, Ogg Vorbis) or in-memory bytes: decode, mix to mono,
 * resample to `opts.sr` (default 22050 Hz). Bad input → SerError naming the file.
 */
export async function loadAudio(pathOrBytes: string | Uint8Array, opts: LoadOptions = {}): Promise<LoadedAudio> {
  checkOpts(opts);
  const name = typeof pathOrBytes === 'string' ? pathOrBytes : (opts.name ?? '<bytes>');
  const bytes = typeof pathOrBytes === 'string' ? await readBytes(pathOrBytes) : pathOrBytes;
  return finish(await decodeAudio(bytes, name), opts);
}

/** Synchronous loadAudio for WAV and FLAC (MP3 / Ogg → SerError 'ECODEC': use loadAudio). */
export function loadAudioSync(pathOrBytes: string | Uint8Array, opts: LoadOptions = {}): LoadedAudio {
  checkOpts(opts);
  const name = typeof pathOrBytes === 'string' ? pathOrBytes : (opts.name ?? '<bytes>');
  const bytes = typeof pathOrBytes === 'string' ? readBytesSync(pathOrBytes) : pathOrBytes;
  return finish(decodeAudioSync(bytes, name), opts);
}

const HEAD_BYTES = 1 << 14;

/**
 * Header-only facts about WAV and FLAC files (reads the first 16 KiB, more only when the headers are longer; a FLAC without a sample
 * count in STREAMINFO is decoded in full). MP3 / Ogg → SerError 'ECODEC' (use audioInfo).
 */
export function audioInfoSync(path: string): AudioInfo {
  let size = 0;
  const head = withOpenFile(path, (fd, n) => {
    size = n;
    const h = new Uint8Array(Math.min(n, HEAD_BYTES));
    let got = 0;
    while (got < h.length) {
      const r = readSync(fd, h, got, h.length - got, got);
      if (r <= 0) break;
      got += r;
    }
    return h.subarray(0, got);
  });
  const { format, offset } = sniffFormat(head, path);
  const rateCheck = (sr: number) => {
    if (sr < MIN_SAMPLE_RATE || sr > MAX_SAMPLE_RATE) {
      throw new SerError('ERATE', `sample rate ${sr} Hz is outside the supported ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`, { file: path });
    }
  };
  if (format === 'wav') {
    let h;
    try {
      h = parseWavHeader(head, path, size);
    } catch (err) {
      // The data chunk may sit after a chunk larger than the head read: parse the whole file.
      if (!(err instanceof SerError) || head.length >= size) throw err;
      h = parseWavHeader(readBytesSync(path), path);
    }
    rateCheck(h.sr);
    if (h.frames === 0) throw new SerError('EEMPTY', 'no audio samples (zero-length audio)', { file: path });
    return { format, sr: h.sr, channels: h.channels, frames: h.frames, duration: h.frames / h.sr };
  }
  if (format === 'flac') {
    let info;
    try {
      info = parseFlacHeader(head, path, offset);
    } catch (err) {
      if (!(err instanceof SerError) || head.length >= size) throw err;
      info = parseFlacHeader(readBytesSync(path), path, offset);
    }
    rateCheck(info.sr);
    let frames = info.totalSamples;
    if (frames === 0) frames = decodeAudioSync(readBytesSync(path), path).channels[0].length;
    return { format, sr: info.sr, channels: info.channels, frames, duration: frames / info.sr };
  }
  throw new SerError('ECODEC', `${format.toUpperCase()} has no cheap header length: use audioInfo`, { file: path });
}

/** Facts about any supported audio file; header-only for WAV / FLAC, a full decode for MP3 / Ogg. */
export async function audioInfo(path: string): Promise<AudioInfo> {
  try {
    return audioInfoSync(path);
  } catch (err) {
    if (!(err instanceof SerError) || err.code !== 'ECODEC' || !/no cheap header/.test(err.message)) throw err;
  }
  const bytes = await readBytes(path);
  const { format } = sniffFormat(bytes, path);
  const a = validateDecoded(await decodeAudio(bytes, path), path);
  const frames = a.channels[0].length;
  return { format, sr: a.sr, channels: a.channels.length, frames, duration: frames / a.sr };
}
