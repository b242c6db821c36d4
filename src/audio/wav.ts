/**
 * RIFF/WAVE reader (browser-safe: typed arrays only).
 *
 * Supported: PCM integer 8-bit (unsigned, offset 128), 16/24/32-bit (and any whole-byte container
 * up to 32 bits), IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE (the sub-format GUID decides PCM or
 * float), any number of channels. Unknown chunks (LIST, FLLR, fact, ...) are skipped, odd-sized
 * chunks are followed by their one pad byte. Integers are scaled by exactly 1/2^(container bits − 1)
 * (int16 / 32768), as soundfile does.
 *
 * Data-chunk size policy: a `data` chunk that declares more bytes than the file holds is a
 * truncated file → SerError('ETRUNC'). The one exception is the streaming placeholder size
 * 0xFFFFFFFF (written by recorders that never patch the header), which means "read to the end of
 * the file". A trailing partial sample frame is ignored, as soundfile does.
 */
import { SerError } from '../errors.js';

export interface WavHeader {
  formatTag: number; // resolved tag: 1 PCM, 3 float
  channels: number;
  sr: number;
  bitsPerSample: number; // container bits per sample
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
  frames: number;
}

const CODEC_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG layer 3',
  0x00ff: 'AAC',
  0x1610: 'HE-AAC',
  0xf1ac: 'FLAC',
};

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
}

export function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && fourcc(b, 0) === 'RIFF' && fourcc(b, 8) === 'WAVE';
}

/**
 * Parses the RIFF chunk list; reads only headers. `b` may be just the start of the file when
 * `fileLength` (the whole file's size) is given. Throws SerError naming `file`.
 */
export function parseWavHeader(b: Uint8Array, file: string, fileLength = b.length): WavHeader {
  if (b.length < 12) throw new SerError('ETRUNC', 'truncated WAV header', { file });
  if (!isWav(b)) throw new SerError('EFORMAT', 'not a RIFF/WAVE file', { file });
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let off = 12;
  let fmt: { tag: number; channels: number; sr: number; blockAlign: number; bits: number } | null = null;
  let dataOffset = -1;
  let dataBytes = 0;
  while (off + 8 <= b.length) {
    const id = fourcc(b, off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) throw new SerError('ETRUNC', 'truncated fmt chunk', { file });
      let tag = dv.getUint16(body, true);
      const channels = dv.getUint16(body + 2, true);
      const sr = dv.getUint32(body + 4, true);
      const blockAlign = dv.getUint16(body + 12, true);
      const bits = dv.getUint16(body + 14, true);
      if (tag === 0xfffe) {
        if (size < 40 || body + 40 > b.length) throw new SerError('ETRUNC', 'truncated WAVE_FORMAT_EXTENSIBLE fmt chunk', { file });
        // Sub-format GUID: first two bytes are the format tag, the rest the fixed KSDATAFORMAT suffix.
        const g = body + 24;
        const suffix = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
        for (let i = 0; i < 14; i++) {
          if (b[g + 2 + i] !== suffix[i]) throw new SerError('ECODEC', 'unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID', { file });
        }
        tag = dv.getUint16(g, true);
      }
      fmt = { tag, channels, sr, blockAlign, bits };
    } else if (id === 'data') {
      dataOffset = body;
      if (size === 0xffffffff) dataBytes = fileLength - body;
      else {
        if (body + size > fileLength) {
          throw new SerError('ETRUNC', `truncated WAV: data chunk declares ${size} bytes but only ${fileLength - body} remain`, { file });
        }
        dataBytes = size;
      }
      if (fmt) break;
      if (size === 0xffffffff) break;
    } else if (body + size > fileLength && dataOffset < 0) {
      throw new SerError('ETRUNC', `truncated WAV: chunk '${printable(id)}' declares ${size} bytes but only ${fileLength - body} remain`, { file });
    }
    off = body + size + (size & 1);
  }
  if (!fmt) throw new SerError(dataOffset < 0 && off + 8 > b.length ? 'ETRUNC' : 'EFORMAT', 'WAV has no fmt chunk', { file });
  if (dataOffset < 0) throw new SerError('ETRUNC', 'WAV has no data chunk', { file });
  const { tag, channels, sr, blockAlign, bits } = fmt;
  if (tag !== 1 && tag !== 3) {
    const name = CODEC_NAMES[tag];
    throw new SerError('ECODEC', `unsupported WAV codec 0x${tag.toString(16).padStart(4, '0')}${name ? ` (${name})` : ''}; only PCM and IEEE float are read`, { file });
  }
  if (channels === 0) throw new SerError('EFORMAT', 'WAV declares 0 channels', { file });
  if (blockAlign === 0 || blockAlign % channels !== 0) throw new SerError('EFORMAT', `WAV block align ${blockAlign} does not fit ${channels} channels`, { file });
  const bytesPer = blockAlign / channels;
  if (tag === 1 && (bytesPer < 1 || bytesPer > 4)) throw new SerError('ECODEC', `unsupported PCM sample size ${bytesPer * 8} bits`, { file });
  if (tag === 3 && bytesPer !== 4 && bytesPer !== 8) throw new SerError('ECODEC', `unsupported float sample size ${bytesPer * 8} bits`, { file });
  if (bits > bytesPer * 8 || bits === 0) throw new SerError('EFORMAT', `WAV bits per sample ${bits} does not fit block align ${blockAlign}`, { file });
  return { formatTag: tag, channels, sr, bitsPerSample: bytesPer * 8, blockAlign, dataOffset, dataBytes, frames: Math.floor(dataBytes / blockAlign) };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** Decodes a WAV file into per-channel float32 arrays. */
export function decodeWav(b: Uint8Array, file: string): { channels: Float32Array[]; sr: number; header: WavHeader } {
  const h = parseWavHeader(b, file);
  const { channels: nc, frames, blockAlign, dataOffset, bitsPerSample, formatTag } = h;
  const out: Float32Array[] = [];
  for (let c = 0; c < nc; c++) out.push(new Float32Array(frames));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bytesPer = bitsPerSample >> 3;
  for (let c = 0; c < nc; c++) {
    const y = out[c];
    let o = dataOffset + c * bytesPer;
    if (formatTag === 3) {
      if (bytesPer === 4) for (let i = 0; i < frames; i++, o += blockAlign) y[i] = dv.getFloat32(o, true);
      else for (let i = 0; i < frames; i++, o += blockAlign) y[i] = dv.getFloat64(o, true);
    } else if (bytesPer === 1) {
      for (let i = 0; i < frames; i++, o += blockAlign) y[i] = (b[o] - 128) / 128;
    } else if (bytesPer === 2) {
      if (nc === 1 && (b.byteOffset + o) % 2 === 0) {
        // Fast path: aligned mono int16 view (little-endian hosts; DataView path otherwise).
        const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
        if (le) {
          const v = new Int16Array(b.buffer, b.byteOffset + o, frames);
          for (let i = 0; i < frames; i++) y[i] = v[i] / 32768;
          continue;
        }
      }
      for (let i = 0; i < frames; i++, o += blockAlign) y[i] = dv.getInt16(o, true) / 32768;
    } else if (bytesPer === 3) {
      for (let i = 0; i < frames; i++, o += blockAlign) y[i] = (((b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) << 8) >> 8) / 8388608;
    } else {
      for (let i = 0; i < frames; i++, o += blockAlign) y[i] = dv.getInt32(o, true) / 2147483648;
    }
  }
  return { channels: out, sr: h.sr, header: h };
}
