/**
 * WAV encoding (browser-safe: typed arrays only). `writeWav` (Node, atomic) is in
 * src/audio/write.ts and exported from src/audio/index.ts.
 */
import { check } from '../errors.js';

export interface EncodeWavOptions {
  /** 'f32' IEEE float 32-bit (default, lossless for Float32Array input) or 's16' 16-bit PCM. */
  format?: 'f32' | 's16';
}

/**
 * Encodes mono `y` (shape (n,)) or per-channel arrays (each shape (n,)) as a RIFF/WAVE file.
 * 's16' scales by 32768, rounds to nearest and clips to [-32768, 32767] (NaN → 0).
 * Returns the complete file bytes.
 */
export function encodeWav(y: Float32Array | Float32Array[], sr: number, opts: EncodeWavOptions = {}): Uint8Array {
  const chans = Array.isArray(y) ? y : [y];
  const format = opts.format ?? 'f32';
  check(format === 'f32' || format === 's16', `encodeWav: format must be 'f32' or 's16', got ${String(format)}`);
  check(chans.length >= 1 && chans.length <= 65535, `encodeWav: need 1..65535 channels, got ${chans.length}`);
  check(Number.isInteger(sr) && sr > 0 && sr <= 0xffffffff, `encodeWav: sample rate must be a positive integer, got ${sr}`);
  const n = chans[0].length;
  for (const c of chans) check(c.length === n, 'encodeWav: all channels must have the same length');
  const nc = chans.length;
  const bytesPer = format === 'f32' ? 4 : 2;
  const blockAlign = nc * bytesPer;
  const dataBytes = n * blockAlign;
  check(dataBytes + 64 <= 0xffffffff, 'encodeWav: audio too long for a WAV file (4 GiB limit)');
  const pad = dataBytes & 1;
  // Float files carry the 18-byte fmt (cbSize = 0) and a fact chunk, as the format requires;
  // PCM uses the plain 16-byte fmt.
  const isFloat = format === 'f32';
  const fmtSize = isFloat ? 18 : 16;
  const header = 12 + 8 + fmtSize + (isFloat ? 12 : 0) + 8;
  const buf = new ArrayBuffer(header + dataBytes + pad);
  const dv = new DataView(buf);
  const ascii = (o: number, s: string) => {
    for (let i = 0; i < 4; i++) dv.setUint8(o + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  dv.setUint32(4, header - 8 + dataBytes + pad, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, fmtSize, true);
  dv.setUint16(20, isFloat ? 3 : 1, true);
  dv.setUint16(22, nc, true);
  dv.setUint32(24, sr, true);
  dv.setUint32(28, sr * blockAlign, true);
  dv.setUint16(32, blockAlign, true);
  dv.setUint16(34, bytesPer * 8, true);
  let o0 = 36;
  if (isFloat) {
    dv.setUint16(36, 0, true); // cbSize
    ascii(38, 'fact');
    dv.setUint32(42, 4, true);
    dv.setUint32(46, n, true);
    o0 = 50;
  }
  ascii(o0, 'data');
  dv.setUint32(o0 + 4, dataBytes, true);
  for (let c = 0; c < nc; c++) {
    const x = chans[c];
    let o = header + c * bytesPer;
    if (format === 'f32') {
      for (let i = 0; i < n; i++, o += blockAlign) dv.setFloat32(o, x[i], true);
    } else {
      for (let i = 0; i < n; i++, o += blockAlign) {
        const v = Math.round(x[i] * 32768);
        dv.setInt16(o, v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0, true);
      }
    }
  }
  return new Uint8Array(buf);
}
