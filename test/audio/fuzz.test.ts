/**
 * Property test: mutated WAV / FLAC / MP3 / Ogg files (bytes flipped, truncated, chunk sizes and
 * header fields changed, bytes inserted or deleted) either decode to finite audio with a sane rate
 * or throw SerError — never another error type, never a hang. Seeded: a failure prints the seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeAudio, decodeAudioSync, parseWavHeader, parseFlacHeader, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, type DecodedAudio } from '../../src/audio/index.js';
import { SerError } from '../../src/errors.js';
import { riff, chunk, fmtBody, sampleBytes, ascii, rng, FIXTURES } from './helpers.js';
import { flacFixture } from '../fixtures/audio/flac-fixtures.js';

function checkAudio(a: DecodedAudio, what: string) {
  assert.ok(a.sr >= MIN_SAMPLE_RATE && a.sr <= MAX_SAMPLE_RATE, `${what}: rate ${a.sr}`);
  assert.ok(a.channels.length >= 1, `${what}: no channels`);
  const n = a.channels[0].length;
  assert.ok(n > 0, `${what}: empty`);
  for (const c of a.channels) {
    assert.equal(c.length, n, `${what}: ragged channels`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) assert.fail(`${what}: non-finite sample`);
  }
}

/** Offsets of RIFF chunk-size fields (and the RIFF size) in a well-formed WAV. */
function sizeFields(b: Uint8Array): number[] {
  const out = [4];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let off = 12; off + 8 <= b.length; ) {
    out.push(off + 4);
    const size = dv.getUint32(off + 4, true);
    off += 8 + size + (size & 1);
  }
  return out;
}

function mutate(base: Uint8Array, r: () => number, fields: number[]): Uint8Array {
  let b = base.slice();
  const int = (n: number) => Math.floor(r() * n);
  const nOps = 1 + int(3);
  for (let k = 0; k < nOps; k++) {
    const op = int(8);
    if (b.length === 0) break;
    if (op === 0) {
      for (let j = 0, m = 1 + int(8); j < m; j++) b[int(b.length)] ^= 1 + int(255);
    } else if (op === 1) {
      b = b.slice(0, int(b.length));
    } else if (op === 2 && fields.length) {
      // A chunk / block size (or any header u32) set to an extreme or random value.
      const at = fields[int(fields.length)];
      if (at + 4 <= b.length) {
        const v = [0, 1, 0xffffffff, 0x7fffffff, int(2 ** 32), int(4096)][int(6)];
        new DataView(b.buffer).setUint32(at, v >>> 0, true);
      }
    } else if (op === 3) {
      // Header region: random bytes among the first 64.
      for (let j = 0, m = 1 + int(4); j < m; j++) b[int(Math.min(64, b.length))] = int(256);
    } else if (op === 4) {
      const at = int(b.length + 1);
      const ins = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
      const nb = new Uint8Array(b.length + ins.length);
      nb.set(b.subarray(0, at));
      nb.set(ins, at);
      nb.set(b.subarray(at), at + ins.length);
      b = nb;
    } else if (op === 5) {
      const at = int(b.length);
      const len = Math.min(1 + int(64), b.length - at);
      const nb = new Uint8Array(b.length - len);
      nb.set(b.subarray(0, at));
      nb.set(b.subarray(at + len), at);
      b = nb;
    } else if (op === 6) {
      b.fill(int(2) ? 0 : 0xff, int(b.length), int(b.length));
    } else {
      // A header u16 (channels, block align, bits, format tag, block size, ...).
      const at = int(Math.min(60, Math.max(1, b.length - 1)));
      if (at + 2 <= b.length) new DataView(b.buffer).setUint16(at, [0, 1, 3, 0xfffe, 0xffff, int(65536)][int(6)], true);
    }
  }
  return b;
}

function runSync(bases: Uint8Array[], count: number, seed: number, header: (b: Uint8Array) => unknown) {
  const r = rng(seed);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < count; i++) {
    const base = bases[i % bases.length];
    const m = mutate(base, r, base[0] === 0x52 ? sizeFields(base) : [4, 8, 18, 22, 26, 30]);
    const what = `seed ${seed} case ${i}`;
    for (const fn of [() => checkAudio(decodeAudioSync(m, 'fuzz'), what), () => header(m)]) {
      try {
        fn();
        decoded++;
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        if (!(e instanceof SerError)) assert.fail(`${what}: threw ${(e as Error)?.constructor?.name}: ${String(e)}`);
        assert.ok(e.message.startsWith('fuzz: '), `${what}: message does not name the file: ${e.message}`);
        rejected++;
      }
    }
  }
  // Both outcomes occur (the mutations are neither all harmless nor all fatal).
  assert.ok(decoded > 0 && rejected > 0, `decoded ${decoded}, rejected ${rejected}`);
}

test('2000 mutated WAV files: finite audio or SerError', { timeout: 60_000 }, () => {
  const stereo16 = riff([
    chunk('fmt ', fmtBody({ tag: 1, channels: 2, sr: 16000, bits: 16 })),
    chunk('FLLR', [1, 2, 3]),
    chunk('data', sampleBytes('i16', Array.from({ length: 400 }, (_, i) => (i * 977) % 65536 - 32768))),
    chunk('LIST', ascii('INFOabcd')),
  ]);
  const float32 = riff([
    chunk('fmt ', fmtBody({ tag: 3, channels: 1, sr: 22050, bits: 32 })),
    chunk('fact', [200, 0, 0, 0]),
    chunk('data', sampleBytes('f32', Array.from({ length: 200 }, (_, i) => Math.sin(i / 7)))),
  ]);
  const ext24 = riff([
    chunk('fmt ', fmtBody({ tag: 0xfffe, channels: 2, sr: 48000, bits: 24, subTag: 1 })),
    chunk('data', sampleBytes('i24', Array.from({ length: 300 }, (_, i) => (i * 40503) % 16777216 - 8388608))),
  ]);
  const u8 = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 8000, bits: 8 })), chunk('data', sampleBytes('u8', Array.from({ length: 101 }, (_, i) => i * 2)))]);
  const f64 = riff([chunk('fmt ', fmtBody({ tag: 3, channels: 3, sr: 44100, bits: 64 })), chunk('data', sampleBytes('f64', Array.from({ length: 90 }, (_, i) => i / 100 - 0.4)))]);
  runSync([stereo16, float32, ext24, u8, f64], 2000, 20261126, (b) => parseWavHeader(b, 'fuzz'));
});

test('1000 mutated FLAC files: finite audio or SerError', { timeout: 60_000 }, () => {
  const a = new Uint8Array(readFileSync(flacFixture('s16-wasted')));
  const b = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  // Keep decodes cheap: the first ~4 KB of each (the decoder rejects the cut as ETRUNC unless a
  // mutation happens to make it self-consistent), plus a few whole files.
  const short = [a.subarray(0, 4096), b.subarray(0, 4096)];
  // STREAMINFO fields: block sizes (8..11), frame sizes (12..17), rate/channels/bits (18..21), total (21..25).
  runSync([...short, ...short, a], 1000, 1126, (x) => parseFlacHeader(x, 'fuzz'));
});

test('mutated MP3 and Ogg Vorbis files (wasm decoders): finite audio or SerError', { timeout: 60_000 }, async () => {
  const r = rng(77);
  for (const name of ['sine440.mp3', 'sine440.ogg']) {
    const base = new Uint8Array(readFileSync(FIXTURES + name));
    for (let i = 0; i < 10; i++) {
      const m = mutate(base, r, [4, 8, 12, 16, 20, 26]);
      try {
        checkAudio(await decodeAudio(m, 'fuzz'), `${name} case ${i}`);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        assert.ok(e instanceof SerError, `${name} case ${i}: threw ${String(e)}`);
      }
    }
  }
});
