/**
 * The WebAssembly FLAC decoder (src/audio/flac-wasm.ts, used by decodeFlac) against the JS decoder
 * (decodeFlacJs), whose samples other tests check against the RAVDESS WAV originals, libFLAC and
 * a BigInt LPC reference: the same float32 samples on every RAVDESS file, on libFLAC encodings
 * that exercise the int64 LPC path (orders above 12, 15-bit coefficients, 24-bit audio), stereo
 * decorrelation and wasted bits, through small input windows (refills mid-file); and on mutated
 * files either the same samples or the same SerError (code and message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFlac, decodeFlacJs } from '../../src/audio/flac.js';
import { flacWasmStats, setFlacWasmLimits, wasmFlacAvailable } from '../../src/audio/flac-wasm.js';
import { SerError } from '../../src/errors.js';
import { FIXTURES, RAVDESS, hasRavdess, rng } from './helpers.js';
import { flacFixture } from '../fixtures/audio/flac-fixtures.js';

const OUT = fileURLToPath(new URL('../../test-output/fixtures/', import.meta.url));

/** `flac OPTIONS` encoding of a tracked WAV fixture (cached in test-output/, written atomically). */
function encode(wav: string, tag: string, options: string[]): Uint8Array {
  const path = `${OUT}wasm-${tag}.flac`;
  if (!existsSync(path)) {
    mkdirSync(OUT, { recursive: true });
    const tmp = `${OUT}.wasm-${tag}.${process.pid}.tmp.flac`;
    execFileSync('flac', [...options, '-f', '-s', '-o', tmp, FIXTURES + wav], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, path);
  }
  return new Uint8Array(readFileSync(path));
}

function sameSamples(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: channel count`);
  for (let c = 0; c < a.length; c++) {
    assert.equal(a[c].length, b[c].length, `${what}: length of channel ${c}`);
    // Bit patterns: exact equality (+0 and −0 differ).
    const x = new Int32Array(a[c].buffer, a[c].byteOffset, a[c].length);
    const y = new Int32Array(b[c].buffer, b[c].byteOffset, b[c].length);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) assert.fail(`${what}: channel ${c} sample ${i}: ${a[c][i]} != ${b[c][i]}`);
  }
}

/** decodeFlac through the wasm decoder (asserting it accepted the stream) equals decodeFlacJs. */
function checkWasm(bytes: Uint8Array, what: string): void {
  const before = flacWasmStats.decoded;
  const w = decodeFlac(bytes, what);
  assert.equal(flacWasmStats.decoded, before + 1, `${what}: the wasm decoder declined a valid stream`);
  const j = decodeFlacJs(bytes, what);
  assert.equal(w.sr, j.sr);
  sameSamples(w.channels, j.channels, what);
}

/** Outcome of a decoder: samples, or the SerError's code and message. */
function outcome(fn: () => { channels: Float32Array[] }): { channels?: Float32Array[]; error?: string } {
  try {
    return { channels: fn().channels };
  } catch (e) {
    if (!(e instanceof SerError)) throw e;
    return { error: `${e.code}: ${e.message}` };
  }
}

test('the WebAssembly FLAC decoder is available in Node', () => {
  assert.ok(wasmFlacAvailable());
});

test('libFLAC encodings: stereo mid/side, 24-bit LPC, wasted bits, LPC orders up to 32, 15-bit coefficients', () => {
  for (const name of ['s16-stereo', 's24-mono', 's16-wasted'] as const) checkWasm(new Uint8Array(readFileSync(flacFixture(name))), name);
  // Orders above 12 and exhaustive precision search (15-bit coefficients): the int64 LPC path.
  checkWasm(encode('s16-stereo.wav', 'l32', ['-8', '-l', '32', '--lax', '-b', '4608']), 's16-stereo -l 32');
  checkWasm(encode('s24-mono.wav', 'l32p', ['-8', '-l', '32', '--lax', '-p', '-q', '15']), 's24-mono -l 32 -p -q 15');
  checkWasm(encode('s16-wasted.wav', 'l12p', ['-8', '-p', '-b', '192']), 's16-wasted -8 -p -b 192');
  // Independent / left-side / right-side stereo chosen per frame by the exhaustive stereo search.
  checkWasm(encode('s16-stereo.wav', 'e', ['-8', '-e', '-b', '1152']), 's16-stereo -e');
});

test('every RAVDESS file decodes through wasm to exactly the JS decoder’s samples', (t) => {
  if (!hasRavdess) return t.skip('../shared/data/ravdess not present');
  let n = 0;
  for (const actor of readdirSync(RAVDESS).sort()) {
    for (const f of readdirSync(RAVDESS + actor).sort()) {
      checkWasm(new Uint8Array(readFileSync(RAVDESS + actor + '/' + f)), `${actor}/${f}`);
      n++;
    }
  }
  assert.ok(n >= 1200, `${n} files`);
});

test('small input windows and output blocks (refills between and inside frames) give the same samples', (t) => {
  const files: [string, Uint8Array][] = [
    ['s16-stereo', new Uint8Array(readFileSync(flacFixture('s16-stereo')))],
    ['s16-wasted', new Uint8Array(readFileSync(flacFixture('s16-wasted')))],
  ];
  if (hasRavdess) {
    // A mono file and a stereo one (Actor_05's 03-01-02-01-02-02-05 is one of the stereo files).
    files.push(['Actor_01', new Uint8Array(readFileSync(RAVDESS + 'Actor_01/03-01-01-01-01-01-01.flac'))]);
    files.push(['Actor_05', new Uint8Array(readFileSync(RAVDESS + 'Actor_05/03-01-02-01-02-02-05.flac'))]);
  } else t.diagnostic('RAVDESS absent: fixtures only');
  try {
    for (const [window, samples] of [[8192, 10000], [4099, 4608], [20000, 0]]) {
      setFlacWasmLimits(window, samples);
      for (const [name, bytes] of files) checkWasm(bytes, `${name} (window ${window}, ${samples} samples)`);
    }
  } finally {
    setFlacWasmLimits();
  }
});

test('unknown total length, a stream at an offset, a trailing ID3v1 tag: decoded by wasm, as by JS', () => {
  const base = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  // STREAMINFO total samples (36 bits from byte 8 + 13 of the block, i.e. 4 bits of byte 21, bytes 22–25) zeroed.
  const unknown = base.slice();
  unknown[21] &= 0xf0;
  unknown.fill(0, 22, 26);
  assert.equal(decodeFlacJs(unknown, 'u.flac').info.totalSamples, 0);
  checkWasm(unknown, 'unknown length');
  // Output buffers then start at 65536 samples per channel: a longer stream grows them.
  if (hasRavdess) {
    const long = new Uint8Array(readFileSync(RAVDESS + 'Actor_03/03-01-03-02-01-01-03.flac'));
    long[21] &= 0xf0;
    long.fill(0, 22, 26);
    assert.ok(decodeFlacJs(long, 'long.flac').channels[0].length > 65536);
    checkWasm(long, 'unknown length, > 65536 samples');
    setFlacWasmLimits(0, 4096);
    try {
      checkWasm(long, 'unknown length, output in blocks of 4096');
    } finally {
      setFlacWasmLimits();
    }
  }
  const tagged = new Uint8Array(base.length + 128);
  tagged.set(base);
  tagged.set([0x54, 0x41, 0x47], base.length);
  checkWasm(tagged, 'ID3v1 tag');
  // A stream after 100 other bytes (as after an ID3v2 tag): decodeFlac(bytes, file, 100).
  const shifted = new Uint8Array(base.length + 100);
  shifted.set(base, 100);
  const before = flacWasmStats.decoded;
  const w = decodeFlac(shifted, 'shifted.flac', 100);
  assert.equal(flacWasmStats.decoded, before + 1);
  sameSamples(w.channels, decodeFlacJs(base, 'x.flac').channels, 'at offset 100');
});

test('a window smaller than a frame: the JS decoder answers (same samples)', () => {
  const bytes = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  setFlacWasmLimits(64, 0);
  try {
    const declined = flacWasmStats.declined;
    const r = decodeFlac(bytes, 'x.flac');
    assert.equal(flacWasmStats.declined, declined + 1);
    sameSamples(r.channels, decodeFlacJs(bytes, 'x.flac').channels, 'declined');
  } finally {
    setFlacWasmLimits();
  }
});

test('decoded channels are independent arrays (not views of the wasm memory)', () => {
  const a = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  const b = new Uint8Array(readFileSync(flacFixture('s24-mono')));
  const ra = decodeFlac(a, 'a.flac').channels;
  const copy = ra.map((c) => c.slice());
  decodeFlac(b, 'b.flac');
  sameSamples(ra, copy, 'first result after a second decode');
  assert.notEqual(ra[0].buffer, ra[1].buffer);
});

test('scratch decoding: the same samples as views of the decoder memory (no copy), overwritten by the next decode; large or refilled streams still decode', () => {
  const a = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  const b = new Uint8Array(readFileSync(flacFixture('s24-mono')));
  const ref = decodeFlacJs(a, 'a.flac').channels;
  const ra = decodeFlac(a, 'a.flac', 0, true).channels;
  sameSamples(ra, ref, 'scratch');
  assert.equal(ra[0].buffer, ra[1].buffer, 'both channels are views of one memory');
  assert.ok(!(ra[0].buffer instanceof SharedArrayBuffer) && ra[0].buffer.byteLength > 4 * ra[0].length * 2, 'a view of a larger memory');
  const first = ra[0].slice(0, 64);
  sameSamples(decodeFlac(b, 'b.flac', 0, true).channels, decodeFlacJs(b, 'b.flac').channels, 'second scratch decode');
  assert.notDeepEqual(ra[0].subarray(0, 64), first, 'the first views now show the second stream');
  // through small windows (several kernel calls) the result is copied out as usual
  setFlacWasmLimits(4096, 0);
  try {
    const rs = decodeFlac(a, 'a.flac', 0, true).channels;
    sameSamples(rs, ref, 'scratch with refills');
    assert.notEqual(rs[0].buffer, rs[1].buffer);
  } finally {
    setFlacWasmLimits();
  }
});

test('mutated files: the wasm path gives the JS decoder’s samples or its exact SerError', () => {
  const bases: Uint8Array[] = [
    new Uint8Array(readFileSync(flacFixture('s16-stereo'))),
    new Uint8Array(readFileSync(flacFixture('s24-mono'))),
    new Uint8Array(readFileSync(flacFixture('s16-wasted'))),
  ];
  if (hasRavdess) bases.push(new Uint8Array(readFileSync(RAVDESS + 'Actor_02/03-01-05-02-01-01-02.flac')));
  const r = rng(20261126);
  const int = (n: number) => Math.floor(r() * n);
  let errors = 0;
  let same = 0;
  for (let trial = 0; trial < 300; trial++) {
    const base = bases[trial % bases.length];
    let b = base.slice();
    const op = int(5);
    if (op === 0) for (let j = 0, m = 1 + int(4); j < m; j++) b[int(b.length)] ^= 1 << int(8); // bit flips
    else if (op === 1) b = b.slice(0, 200 + int(b.length - 200)); // truncation
    else if (op === 2) {
      // a byte run overwritten in the middle of the frames
      const at = 100 + int(b.length - 120);
      for (let j = 0; j < 1 + int(16); j++) b[at + j] = int(256);
    } else if (op === 3) b = Uint8Array.from([...b.subarray(0, b.length - 3000 + int(2900)), ...b.subarray(b.length - 40)]); // a cut-out
    else {
      // zeroed stretch (long Rice quotients)
      const at = 100 + int(b.length - 1200);
      b.fill(0, at, at + 1 + int(1000));
    }
    if (trial % 3 === 0) setFlacWasmLimits(4096 + int(4096), 0);
    try {
      const w = outcome(() => decodeFlac(b, `trial-${trial}.flac`));
      const j = outcome(() => decodeFlacJs(b, `trial-${trial}.flac`));
      assert.equal(w.error, j.error, `trial ${trial}: errors differ`);
      if (j.channels) {
        sameSamples(w.channels!, j.channels, `trial ${trial}`);
        same++;
      } else errors++;
    } finally {
      setFlacWasmLimits();
    }
  }
  // Most mutations are caught by a CRC; some (bytes after the last frame, or in padding) are not.
  assert.ok(errors > 150, `${errors} errors`);
  assert.ok(same > 0 || errors === 300);
});
