/**
 * On-disk formats for feature matrices (see docs/formats.md). Pure functions over bytes — no
 * Node imports — so the same code reads features in a browser.
 *
 * 1. NumPy `.npy` v1.0 (`ser features --out`): little-endian float32, C order, shape
 *    (n_frames, n_features) — `numpy.load('x.npy')` reads it as is. A JSON sidecar `x.json`
 *    holds the column names and the parameters ({@link FeatureSidecar}).
 * 2. Cache entry `.serf` (src/data/cache.ts): one self-describing, checksummed file per
 *    (recording, augmentation): magic, JSON header, float32 frame-major matrix, CRC-32.
 */
import type { Matrix } from '../dsp/matrix.js';
import { SerError } from '../errors.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function f32ToLeBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}

function leBytesToF32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// .npy
// ---------------------------------------------------------------------------------------------

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Encodes a frame-major matrix as a NumPy .npy v1.0 file: dtype '<f4', C order,
 * shape (m.rows, m.cols) = (n_frames, n_features). The header is padded so the data starts at a
 * multiple of 64 bytes, as numpy itself writes.
 */
export function encodeNpy(m: Matrix): Uint8Array {
  if (m.data.length !== m.rows * m.cols) throw new SerError('EPARAM', `encodeNpy: data length ${m.data.length} != ${m.rows}x${m.cols}`);
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const unpadded = 10 + dict.length + 1; // magic(6) + version(2) + len(2) + dict + '\n'
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerLen = dict.length;
  const out = new Uint8Array(10 + headerLen + m.data.length * 4);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerLen & 0xff;
  out[9] = headerLen >> 8;
  for (let i = 0; i < headerLen; i++) out[10 + i] = dict.charCodeAt(i);
  out.set(f32ToLeBytes(m.data), 10 + headerLen);
  return out;
}

export interface NpyArray {
  shape: number[];
  /** Values in C order, converted to float32. */
  data: Float32Array;
}

/**
 * Decodes a .npy file (versions 1–3) holding float32 or float64 little-endian data, C or Fortran
 * order (returned in C order). Throws SerError('EFORMAT' | 'ETRUNC') naming `file`.
 */
export function decodeNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new SerError('EFORMAT', 'not a .npy file (bad magic)', { file });
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new SerError('ETRUNC', 'truncated .npy header', { file });
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
    start = 12;
  } else {
    throw new SerError('EFORMAT', `unsupported .npy version ${major}.${bytes[7]}`, { file });
  }
  if (start + headerLen > bytes.length) throw new SerError('ETRUNC', 'truncated .npy header', { file });
  let header = '';
  for (let i = 0; i < headerLen; i++) header += String.fromCharCode(bytes[start + i]);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new SerError('EFORMAT', `malformed .npy header: ${header.trim()}`, { file });
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new SerError('EFORMAT', `bad .npy shape (${shapeText})`, { file });
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!itemSize) throw new SerError('EFORMAT', `unsupported .npy dtype '${descr}' (need '<f4' or '<f8')`, { file });
  const dataStart = start + headerLen;
  if (bytes.length < dataStart + count * itemSize) {
    throw new SerError('ETRUNC', `truncated .npy data: ${bytes.length - dataStart} bytes for ${count} values of ${itemSize}`, { file });
  }
  let data: Float32Array;
  if (itemSize === 4) data = leBytesToF32(bytes, dataStart, count);
  else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * 8);
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat64(i * 8, true);
  }
  if (fortran === 'True' && shape.length === 2) {
    const [r, c] = shape;
    const t = new Float32Array(count);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[i * c + j] = data[j * r + i];
    data = t;
  } else if (fortran === 'True' && shape.length > 2) {
    throw new SerError('EFORMAT', 'Fortran-order .npy arrays of more than 2 dimensions are not supported', { file });
  }
  return { shape, data };
}

/** Decodes a 2-D .npy into a Matrix (rows = shape[0]). */
export function decodeNpyMatrix(bytes: Uint8Array, file = '<npy>'): Matrix {
  const a = decodeNpy(bytes, file);
  if (a.shape.length !== 2) throw new SerError('EFORMAT', `expected a 2-D array, got shape (${a.shape.join(', ')})`, { file });
  return { rows: a.shape[0], cols: a.shape[1], data: a.data };
}

/** The JSON sidecar written next to each `NAME.npy` by `ser features --out`. */
export interface FeatureSidecar {
  format: 'ser-features/1';
  /** The input audio file, as given. */
  file: string;
  /** Sample rate the features were computed at. */
  sr: number;
  n_fft: number;
  hop_length: number;
  /** Number of frames = rows of the .npy. */
  frames: number;
  /** Duration of the audio in seconds (at `sr`). */
  duration: number;
  /** Column names, length = columns of the .npy. */
  columns: string[];
  feature_config_hash: string;
  /** The full feature configuration used. */
  feature_config: unknown;
}

// ---------------------------------------------------------------------------------------------
// .serf cache entries
// ---------------------------------------------------------------------------------------------

/** "SERFEAT" + format version 1. */
const SERF_MAGIC = [0x53, 0x45, 0x52, 0x46, 0x45, 0x41, 0x54, 0x01];
const SERF_FIXED = 16; // magic(8) + header length(4) + reserved(4)

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3, as zlib / PNG), optionally continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Header of a cache entry; `rows`/`cols` are required, the rest is free-form metadata. */
export interface FeatureEntryHeader {
  rows: number;
  cols: number;
  [key: string]: unknown;
}

/**
 * Encodes one cache entry:
 *   bytes 0–7   magic "SERFEAT\x01"
 *   bytes 8–11  uint32 LE: length H of the JSON header (space-padded so the data is 16-aligned)
 *   bytes 12–15 uint32 LE: 0 (reserved)
 *   16 … 16+H   UTF-8 JSON header ({rows, cols, ...metadata})
 *   then        rows × cols float32 LE, frame-major
 *   last 4      uint32 LE CRC-32 of everything before it
 */
export function encodeFeatureEntry(meta: Record<string, unknown>, m: Matrix): Uint8Array {
  if (m.data.length !== m.rows * m.cols) throw new SerError('EPARAM', `encodeFeatureEntry: data length ${m.data.length} != ${m.rows}x${m.cols}`);
  let json = JSON.stringify({ ...meta, rows: m.rows, cols: m.cols });
  let jsonBytes = new TextEncoder().encode(json);
  const pad = (16 - (jsonBytes.length % 16)) % 16;
  if (pad) {
    json += ' '.repeat(pad);
    jsonBytes = new TextEncoder().encode(json);
  }
  const dataOff = SERF_FIXED + jsonBytes.length;
  const out = new Uint8Array(dataOff + m.data.length * 4 + 4);
  out.set(SERF_MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, jsonBytes.length, true);
  dv.setUint32(12, 0, true);
  out.set(jsonBytes, SERF_FIXED);
  out.set(f32ToLeBytes(m.data), dataOff);
  dv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Reads and checks only the fixed part and JSON header (cheap); throws SerError naming `file`. */
export function decodeFeatureEntryHeader(bytes: Uint8Array, file = '<entry>'): { header: FeatureEntryHeader; dataOffset: number; expectedLength: number } {
  if (bytes.length < SERF_FIXED || SERF_MAGIC.some((b, i) => bytes[i] !== b)) throw new SerError('EFORMAT', 'not a feature cache entry (bad magic)', { file });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = dv.getUint32(8, true);
  if (SERF_FIXED + h > bytes.length) throw new SerError('ETRUNC', 'truncated cache entry header', { file });
  let header: FeatureEntryHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(SERF_FIXED, SERF_FIXED + h)));
  } catch {
    throw new SerError('EFORMAT', 'corrupt cache entry header (bad JSON)', { file });
  }
  if (!Number.isInteger(header?.rows) || !Number.isInteger(header?.cols) || header.rows < 0 || header.cols < 0) {
    throw new SerError('EFORMAT', 'corrupt cache entry header (rows/cols)', { file });
  }
  const dataOffset = SERF_FIXED + h;
  return { header, dataOffset, expectedLength: dataOffset + header.rows * header.cols * 4 + 4 };
}

/** Decodes and fully validates (length + CRC) a cache entry. Throws SerError naming `file`. */
export function decodeFeatureEntry(bytes: Uint8Array, file = '<entry>'): { header: FeatureEntryHeader; features: Matrix } {
  const { header, dataOffset, expectedLength } = decodeFeatureEntryHeader(bytes, file);
  if (bytes.length !== expectedLength) {
    throw new SerError('ETRUNC', `cache entry has ${bytes.length} bytes, expected ${expectedLength}`, { file });
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw new SerError('EFORMAT', 'cache entry checksum mismatch', { file });
  const n = header.rows * header.cols;
  return { header, features: { rows: header.rows, cols: header.cols, data: leBytesToF32(bytes, dataOffset, n) } };
}
