import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAudio, loadAudioSync, audioInfo, decodeAudio } from '../../src/audio/index.js';
import { SerError, type SerErrorCode } from '../../src/errors.js';
import { riff, chunk, fmtBody, sampleBytes, wav16, rng, ascii, FIXTURES } from './helpers.js';
import { flacFixture } from '../fixtures/audio/flac-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ser-bad-audio-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function put(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * Asserts one SerError with `code` whose message starts with the file name, from loadAudio,
 * loadAudioSync and (unless `headerOnly` is false: audioInfo reads headers, not samples) audioInfo.
 */
async function rejects(p: string, code: SerErrorCode, re?: RegExp, headerOnly = true) {
  const ok = (e: unknown) => {
    assert.ok(e instanceof SerError, `expected SerError, got ${String(e)}`);
    assert.equal(e.code, code, `${p}: ${e.message}`);
    assert.ok(e.message.startsWith(`${p}: `), `message names the file: ${e.message}`);
    if (re) assert.match(e.message, re);
    return true;
  };
  await assert.rejects(loadAudio(p), ok);
  assert.throws(() => loadAudioSync(p), ok);
  if (headerOnly) await assert.rejects(audioInfo(p), ok);
}

const good = wav16([1, 2, 3, 4, 5, 6, 7, 8]);
const fmt16 = chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 16000, bits: 16 }));

test('empty file → EEMPTY', async () => rejects(put('empty.wav', new Uint8Array(0)), 'EEMPTY', /empty file/));

test('truncated header → ETRUNC', async () => {
  await rejects(put('trunc-20.wav', good.subarray(0, 20)), 'ETRUNC');
  await rejects(put('trunc-8.wav', good.subarray(0, 8)), 'ETRUNC');
  await rejects(put('trunc-40.wav', good.subarray(0, 40)), 'ETRUNC');
});

test('WAV whose data chunk is larger than the file → ETRUNC', async () => {
  await rejects(put('big-data.wav', riff([fmt16, chunk('data', sampleBytes('i16', [1, 2, 3]), 4000)])), 'ETRUNC', /4000 bytes/);
});

test('random bytes → EFORMAT', async () => {
  const r = rng(99);
  const b = Uint8Array.from({ length: 2000 }, () => Math.floor(r() * 256));
  b[0] = 0x12; // not 0xFF (MPEG sync) / 'R' / 'f' / 'O' / 'I'
  await rejects(put('noise.bin', b), 'EFORMAT', /unrecognised audio format/);
});

test('zero-length audio → EEMPTY', async () => {
  await rejects(put('zero.wav', riff([fmt16, chunk('data', [])])), 'EEMPTY', /zero-length/);
});

test('NaN / Inf samples in a float WAV → ENONFINITE', async () => {
  const fmt = chunk('fmt ', fmtBody({ tag: 3, channels: 1, sr: 16000, bits: 32 }));
  await rejects(put('nan.wav', riff([fmt, chunk('data', sampleBytes('f32', [0, 0.5, NaN, 0]))])), 'ENONFINITE', /frame 2/, false);
  await rejects(put('inf.wav', riff([fmt, chunk('data', sampleBytes('f32', [0, -Infinity]))])), 'ENONFINITE', undefined, false);
  const fmt64 = chunk('fmt ', fmtBody({ tag: 3, channels: 2, sr: 16000, bits: 64 }));
  await rejects(put('inf64.wav', riff([fmt64, chunk('data', sampleBytes('f64', [0, 0, 0, Infinity]))])), 'ENONFINITE', /channel 1/, false);
});

test('sample rate 0, below 1 kHz or above 768 kHz → ERATE', async () => {
  for (const sr of [0, 500, 999, 768001, 2_000_000]) {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr, bits: 16 })), chunk('data', sampleBytes('i16', [1, 2]))]);
    await rejects(put(`rate-${sr}.wav`, b), 'ERATE', new RegExp(`${sr} Hz`));
  }
  // The bounds themselves are accepted.
  for (const sr of [1000, 768000]) {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr, bits: 16 })), chunk('data', sampleBytes('i16', [1, 2]))]);
    assert.equal((await loadAudio(put(`rate-ok-${sr}.wav`, b), { sr: 'native' })).sr, sr);
  }
});

test('unsupported codecs (WAV MP3 0x0055, MS ADPCM 0x0002, Ogg Opus) → ECODEC', async () => {
  for (const [tag, re] of [[0x0055, /0x0055 \(MPEG layer 3\)/], [0x0002, /0x0002 \(Microsoft ADPCM\)/], [0x0006, /A-law/]] as const) {
    const b = riff([chunk('fmt ', fmtBody({ tag, channels: 1, sr: 16000, bits: 16 })), chunk('data', [1, 2, 3, 4])]);
    await rejects(put(`codec-${tag}.wav`, b), 'ECODEC', re);
  }
  // Ogg page whose first packet is an Opus header.
  const opus = new Uint8Array([...ascii('OggS'), 0, 2, ...new Array(20).fill(0), 1, 19, ...ascii('OpusHead'), 1, 1, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0]);
  await rejects(put('opus.ogg', opus), 'ECODEC', /Opus/);
  // WAVE_FORMAT_EXTENSIBLE with an unknown GUID.
  const ext = fmtBody({ tag: 0xfffe, channels: 1, sr: 16000, bits: 16, subTag: 1 });
  ext[ext.length - 1] = 0x00;
  await rejects(put('guid.wav', riff([chunk('fmt ', ext), chunk('data', [1, 2])])), 'ECODEC', /GUID/);
});

test('missing file → ENOENT, directory → EISDIR', async () => {
  await rejects(join(dir, 'does-not-exist.wav'), 'ENOENT', /no such file/);
  const d = join(dir, 'a-directory.wav');
  mkdirSync(d);
  await rejects(d, 'EISDIR', /directory/);
});

test('FLAC: cut mid-stream → ETRUNC, flipped bits → EFORMAT (CRC), bad STREAMINFO → SerError', async () => {
  const f = new Uint8Array(readFileSync(flacFixture('s16-wasted')));
  await rejects(put('cut.flac', f.subarray(0, Math.floor(f.length / 2))), 'ETRUNC', undefined, false);
  const flipped = f.slice();
  flipped[f.length - 3000] ^= 0x01;
  await rejects(put('flip.flac', flipped), 'EFORMAT', /CRC/, false);
  const zeroRate = f.slice();
  // STREAMINFO sample rate: 20 bits from byte 8 + 10 of the block body (block header at 4, body at 8).
  zeroRate[18] = 0;
  zeroRate[19] = 0;
  zeroRate[20] &= 0x0f;
  await assert.rejects(loadAudio(put('rate0.flac', zeroRate)), (e: unknown) => e instanceof SerError && ['ERATE', 'EFORMAT'].includes(e.code));
  await rejects(put('fLaC-only.flac', new Uint8Array(ascii('fLaC'))), 'ETRUNC');
});

test('MP3 / Ogg garbage after a valid signature → SerError or finite audio, never another error', async () => {
  // MP3 has no checksum or length header: junk after a frame sync may decode to (finite) noise.
  const r = rng(5);
  const mp3 = new Uint8Array(readFileSync(FIXTURES + 'sine440.mp3'));
  for (let k = 0; k < 5; k++) {
    const junk = mp3.slice(0, 300 + 200 * k);
    for (let i = 4; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
    const p = put(`junk${k}.mp3`, junk);
    try {
      const a = await loadAudio(p);
      assert.ok(a.y.every(Number.isFinite));
    } catch (e) {
      assert.ok(e instanceof SerError && e.message.startsWith(p), String(e));
    }
  }
  const ogg = new Uint8Array(readFileSync(FIXTURES + 'sine440.ogg'));
  const cut = ogg.slice(0, 200);
  await assert.rejects(loadAudio(put('cut.ogg', cut)), (e: unknown) => e instanceof SerError && e.message.startsWith(join(dir, 'cut.ogg')));
});

test('bytes without a name are reported as <bytes> (or the given name)', async () => {
  await assert.rejects(decodeAudio(new Uint8Array(0)), (e: unknown) => e instanceof SerError && e.message === '<bytes>: empty file');
  await assert.rejects(loadAudio(new Uint8Array(0), { name: 'clip.wav' }), (e: unknown) => e instanceof SerError && e.message === 'clip.wav: empty file');
});
