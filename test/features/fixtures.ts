/**
 * Test helpers for the librosa 0.11 reference fixtures in ../shared/fixtures/librosa-0.11
 * (resolved from the repo root; CI clones the repo with shared/ beside it).
 *
 * Each case NAME has NAME.wav (32-bit float mono) and NAME.json with librosa's outputs,
 * `{shape: [rows, frames], data: [[...], ...]}` or `{error: "..."}`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { SerError } from '../../src/errors.js';
import { fromNested, transpose, type Matrix } from '../../src/dsp/matrix.js';

/** Directory of the shared librosa fixtures. */
export const FIXTURE_DIR = fileURLToPath(new URL('../../../shared/fixtures/librosa-0.11/', import.meta.url));

export interface FixtureArray {
  shape: number[];
  data: unknown;
}
export interface FixtureError {
  error: string;
}
export type FixtureFeature = FixtureArray | FixtureError;

export interface FixtureJson {
  oracle: string;
  case: string;
  description: string;
  sr: number;
  input: string;
  n_samples: number;
  params: Record<string, Record<string, unknown>>;
  features: Record<string, FixtureFeature>;
}

export interface Fixture {
  name: string;
  y: Float32Array;
  sr: number;
  json: FixtureJson;
}

/**
 * Minimal RIFF/WAVE reader for the fixtures: IEEE float 32-bit (format 3, or EXTENSIBLE with a
 * float sub-format), any number of channels (mixed down by their mean). Skips unknown chunks
 * (including odd-sized ones, which RIFF pads with one byte).
 */
export function readFloatWav(path: string): { y: Float32Array; sr: number } {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => String.fromCharCode(buf[o], buf[o + 1], buf[o + 2], buf[o + 3]);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${path}: not a RIFF/WAVE file`);
  let off = 12;
  let fmt: { format: number; channels: number; sr: number; bits: number } | undefined;
  let data: { start: number; size: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = tag(off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      let format = dv.getUint16(body, true);
      const channels = dv.getUint16(body + 2, true);
      const sr = dv.getUint32(body + 4, true);
      const bits = dv.getUint16(body + 14, true);
      if (format === 0xfffe && size >= 40) format = dv.getUint16(body + 24, true);
      fmt = { format, channels, sr, bits };
    } else if (id === 'data') {
      data = { start: body, size: Math.min(size, buf.length - body) };
    }
    off = body + size + (size & 1);
  }
  if (!fmt || !data) throw new Error(`${path}: missing fmt or data chunk`);
  if (fmt.format !== 3 || fmt.bits !== 32) throw new Error(`${path}: expected 32-bit float WAV, got format ${fmt.format}/${fmt.bits} bits`);
  const ch = fmt.channels;
  const n = Math.floor(data.size / (4 * ch));
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < ch; c++) s += dv.getFloat32(data.start + 4 * (i * ch + c), true);
    y[i] = ch === 1 ? s : s / ch;
  }
  return { y, sr: fmt.sr };
}

/** Names of every fixture case (NAME for each NAME.json). */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Loads one case: its input samples, sample rate and the parsed JSON. */
export function loadFixture(name: string): Fixture {
  const json = JSON.parse(readFileSync(FIXTURE_DIR + name + '.json', 'utf8')) as FixtureJson;
  const { y, sr } = readFloatWav(FIXTURE_DIR + json.input);
  if (sr !== json.sr) throw new Error(`${name}: WAV rate ${sr} != JSON sr ${json.sr}`);
  if (y.length !== json.n_samples) throw new Error(`${name}: WAV has ${y.length} samples, JSON says ${json.n_samples}`);
  return { name, y, sr, json };
}

/** True when the fixture feature is librosa's refusal (`{error}`). */
export function isFixtureError(f: FixtureFeature | undefined): f is FixtureError {
  return !!f && typeof (f as FixtureError).error === 'string';
}

/**
 * A librosa (rows, frames) feature as a frame-major Matrix (frames, rows) — the project's layout.
 * 1-D arrays (n,) become (n, 1).
 */
export function fixtureFrameMajor(f: FixtureFeature): Matrix {
  if (isFixtureError(f)) throw new Error(`fixture feature is an error: ${f.error}`);
  if (f.shape.length === 2) {
    const m = fromNested(f.data as number[][]);
    if (m.rows !== f.shape[0] || m.cols !== f.shape[1]) throw new Error(`fixture shape mismatch ${f.shape} vs ${m.rows}x${m.cols}`);
    return transpose(m);
  }
  if (f.shape.length === 1) {
    const d = f.data as number[];
    return { rows: d.length, cols: 1, data: Float32Array.from(d) };
  }
  throw new Error(`fixture feature of shape [${f.shape}] is not a matrix`);
}

/** A scalar fixture value (e.g. `tuning`). */
export function fixtureScalar(f: FixtureFeature): number {
  if (isFixtureError(f)) throw new Error(`fixture feature is an error: ${f.error}`);
  return Number(f.data);
}

/** Max |a − b| over all elements (shapes must match). */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`shape ${a.rows}x${a.cols} != ${b.rows}x${b.cols}`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Max |value| of a matrix. */
export function maxAbs(a: Matrix): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

/** Asserts that fn throws the project's SerError with this code (and a message matching re). */
export function throwsSer(fn: () => unknown, code: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SerError, `expected SerError, got ${e}`);
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return true;
  });
}
