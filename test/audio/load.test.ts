import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAudio, loadAudioSync, audioInfo, audioInfoSync, writeWav, decodeAudioSync, resample } from '../../src/audio/index.js';
import { SerError } from '../../src/errors.js';
import { FIXTURES, RAVDESS, hasRavdess, riff, chunk, fmtBody, sampleBytes } from './helpers.js';
import { fixturePath } from '../fixtures/audio/flac-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ser-load-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('librosa.load defaults: 22050 Hz, mono; length ceil(n · 22050 / 48000)', async (t) => {
  if (!hasRavdess) return t.skip('../shared/data/ravdess not present');
  const p = RAVDESS + 'Actor_01/03-01-05-02-01-01-01.flac';
  const a = await loadAudio(p);
  assert.equal(a.sr, 22050);
  assert.equal(a.channels, 1);
  assert.equal(a.y.length, Math.ceil((196997 * 22050) / 48000));
  assert.equal(a.duration, a.y.length / 22050);
  assert.equal(a.channelData, undefined);
  const native = loadAudioSync(p, { sr: 'native' });
  assert.equal(native.sr, 48000);
  assert.equal(native.y.length, 196997);
});

test('mono is the mean of the channels; mono:false keeps each channel', async () => {
  const p = FIXTURES + 's16-stereo.wav';
  const raw = decodeAudioSync(readFileSync(p), p);
  const a = await loadAudio(p, { sr: 'native' });
  assert.equal(a.channels, 2);
  assert.equal(a.sr, 44100);
  for (let i = 0; i < a.y.length; i++) assert.equal(a.y[i], Math.fround((raw.channels[0][i] + raw.channels[1][i]) / 2));
  const b = await loadAudio(p, { sr: 'native', mono: false });
  assert.deepEqual(b.channelData, raw.channels);
  const c = await loadAudio(p, { sr: 16000, mono: false });
  assert.equal(c.channelData!.length, 2);
  assert.deepEqual(Array.from(c.channelData![1]), Array.from(resample(raw.channels[1], 44100, 16000)));
  assert.equal(c.y.length, Math.ceil((8820 * 16000) / 44100));
});

test('bytes and paths give the same result; loadAudioSync equals loadAudio for WAV/FLAC', async () => {
  for (const f of ['s24-mono.flac', 's16-stereo.flac', 's16-wasted.wav']) {
    const p = fixturePath(f);
    const a = await loadAudio(p, { sr: 22050 });
    const b = await loadAudio(new Uint8Array(readFileSync(p)), { sr: 22050, name: f });
    const c = loadAudioSync(p, { sr: 22050 });
    assert.deepEqual(Array.from(b.y), Array.from(a.y));
    assert.deepEqual(Array.from(c.y), Array.from(a.y));
  }
  assert.throws(() => loadAudioSync(FIXTURES + 'sine440.mp3'), (e: unknown) => e instanceof SerError && e.code === 'ECODEC');
});

test('invalid sr option → EPARAM', async () => {
  for (const sr of [0, -1, NaN, 5e6]) {
    await assert.rejects(loadAudio(FIXTURES + 's16-wasted.wav', { sr }), (e: unknown) => e instanceof SerError && e.code === 'EPARAM');
  }
});

/** Amplitude of the f-Hz component (least squares) over the middle of y. */
function toneAmp(y: Float32Array, sr: number, f: number): number {
  let s = 0, c = 0;
  const a = Math.floor(y.length * 0.2), b = Math.floor(y.length * 0.8);
  for (let i = a; i < b; i++) {
    s += y[i] * Math.sin((2 * Math.PI * f * i) / sr);
    c += y[i] * Math.cos((2 * Math.PI * f * i) / sr);
  }
  return (2 * Math.hypot(s, c)) / (b - a);
}

test('MP3 and Ogg Vorbis decode to the 0.5-amplitude 440 Hz tone they encode', async () => {
  for (const f of ['sine440.mp3', 'sine440.ogg']) {
    const a = await loadAudio(FIXTURES + f, { sr: 'native' });
    assert.equal(a.sr, 44100, f);
    assert.equal(a.channels, 1, f);
    assert.ok(Math.abs(a.y.length - 22050) <= 1152, `${f}: ${a.y.length} samples`);
    const amp = toneAmp(a.y, a.sr, 440);
    assert.ok(Math.abs(amp - 0.5) < 0.03, `${f}: 440 Hz amplitude ${amp}`);
    assert.ok(toneAmp(a.y, a.sr, 1000) < 0.01, `${f}: no 1 kHz content`);
  }
});

test('audioInfo: header facts equal what decoding gives (WAV, FLAC, MP3, Ogg)', async () => {
  for (const f of ['s16-stereo.wav', 's16-stereo.flac', 's24-mono.flac', 's16-wasted.wav', 'sine440.mp3', 'sine440.ogg']) {
    const p = fixturePath(f);
    const info = await audioInfo(p);
    const a = await loadAudio(p, { sr: 'native', mono: false });
    assert.deepEqual([info.sr, info.channels, info.frames], [a.sr, a.channels, a.y.length], f);
    assert.equal(info.duration, info.frames / info.sr);
    assert.equal(info.format, f.split('.')[1] === 'mp3' ? 'mp3' : f.split('.')[1] === 'ogg' ? 'ogg' : f.split('.')[1]);
  }
  assert.throws(() => audioInfoSync(FIXTURES + 'sine440.ogg'), (e: unknown) => e instanceof SerError && e.code === 'ECODEC');
});

test('audioInfoSync finds the data chunk behind a chunk larger than its head read (16 KiB)', () => {
  const p = join(dir, 'big-junk.wav');
  writeFileSync(p, riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 8000, bits: 16 })), chunk('JUNK', new Array(70000).fill(0)), chunk('data', sampleBytes('i16', [1, 2, 3]))]));
  const info = audioInfoSync(p);
  assert.deepEqual([info.sr, info.channels, info.frames], [8000, 1, 3]);
});

test('writeWav writes atomically (no temp file left) and round-trips', async () => {
  const y = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i / 10) * 0.9);
  const p = join(dir, 'out.wav');
  writeWav(p, y, 16000);
  writeWav(p, y, 16000, { format: 's16' }); // overwrite in place
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('out.wav')), ['out.wav']);
  const a = await loadAudio(p, { sr: 'native' });
  assert.equal(a.sr, 16000);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(a.y[i] - y[i]) <= 0.5 / 32768 + 1e-7);
  assert.throws(() => writeWav(join(dir, 'no-such-dir', 'x.wav'), y, 16000), (e: unknown) => e instanceof SerError && e.code === 'ENOENT' && /no-such-dir/.test(e.message));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
