import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAudio, decodeAudioSync, encodeWav, parseWavHeader } from '../../src/audio/index.js';
import { SerError } from '../../src/errors.js';
import { riff, chunk, fmtBody, sampleBytes, ascii } from './helpers.js';

function assertChannels(got: Float32Array[], want: number[][]) {
  assert.equal(got.length, want.length);
  for (let c = 0; c < want.length; c++) {
    assert.equal(got[c].length, want[c].length);
    // Expected values are exactly representable in float32 (or rounded the same way by Math.fround).
    for (let i = 0; i < want[c].length; i++) assert.equal(got[c][i], Math.fround(want[c][i]), `ch ${c} sample ${i}`);
  }
}

test('8-bit PCM is unsigned with offset 128, scaled by 1/128', () => {
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 8000, bits: 8 })), chunk('data', sampleBytes('u8', [0, 128, 255, 64]))]);
  const a = decodeAudioSync(b, 'u8.wav');
  assert.equal(a.sr, 8000);
  // 4 bytes of data: even length, no pad byte.
  assertChannels(a.channels, [[-1, 0, 127 / 128, -0.5]]);
});

test('8-bit PCM with an odd data size is followed by its pad byte', () => {
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 8000, bits: 8 })), chunk('data', sampleBytes('u8', [0, 128, 255])), chunk('LIST', ascii('INFOxxxx'))]);
  assertChannels(decodeAudioSync(b, 'u8odd.wav').channels, [[-1, 0, 127 / 128]]);
});

test('16-bit PCM scales by exactly 1/32768 (as soundfile)', () => {
  const v = [0, 1, -1, 32767, -32768, 16384];
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 16000, bits: 16 })), chunk('data', sampleBytes('i16', v))]);
  assertChannels(decodeAudioSync(b, 's16.wav').channels, [v.map((x) => x / 32768)]);
});

test('24-bit PCM scales by 1/2^23, sign-extended', () => {
  const v = [0, 1, -1, 8388607, -8388608, -4194304];
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 48000, bits: 24 })), chunk('data', sampleBytes('i24', v))]);
  assertChannels(decodeAudioSync(b, 's24.wav').channels, [v.map((x) => x / 8388608)]);
});

test('32-bit PCM scales by 1/2^31', () => {
  const v = [0, 1 << 16, -(2 ** 31), 2 ** 31 - 1, -(1 << 30)];
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 48000, bits: 32 })), chunk('data', sampleBytes('i32', v))]);
  assertChannels(decodeAudioSync(b, 's32.wav').channels, [v.map((x) => x / 2 ** 31)]);
});

test('IEEE float 32 and 64 are read as is (with a fact chunk)', () => {
  const v = [0, 0.25, -0.5, 1.5, -1e-3];
  const f32 = riff([chunk('fmt ', fmtBody({ tag: 3, channels: 1, sr: 22050, bits: 32 })), chunk('fact', [5, 0, 0, 0]), chunk('data', sampleBytes('f32', v))]);
  assertChannels(decodeAudioSync(f32, 'f32.wav').channels, [v]);
  const f64 = riff([chunk('fmt ', fmtBody({ tag: 3, channels: 1, sr: 22050, bits: 64 })), chunk('data', sampleBytes('f64', v))]);
  assertChannels(decodeAudioSync(f64, 'f64.wav').channels, [v]);
});

test('WAVE_FORMAT_EXTENSIBLE: sub-format GUID decides PCM (24 in 32 container) or float', () => {
  // 24 valid bits left-justified in a 32-bit container, stereo: scale by the container (2^31).
  const v = [0x7fffff00, -0x80000000, 256, -256];
  const b = riff([chunk('fmt ', fmtBody({ tag: 0xfffe, channels: 2, sr: 96000, bits: 32, validBits: 24, subTag: 1 })), chunk('data', sampleBytes('i32', v))]);
  const a = decodeAudioSync(b, 'ext.wav');
  assert.equal(a.sr, 96000);
  assertChannels(a.channels, [
    [v[0] / 2 ** 31, v[2] / 2 ** 31],
    [v[1] / 2 ** 31, v[3] / 2 ** 31],
  ]);
  const fl = riff([chunk('fmt ', fmtBody({ tag: 0xfffe, channels: 1, sr: 44100, bits: 32, subTag: 3 })), chunk('data', sampleBytes('f32', [0.5, -0.75]))]);
  assertChannels(decodeAudioSync(fl, 'extf.wav').channels, [[0.5, -0.75]]);
  const ext16 = riff([chunk('fmt ', fmtBody({ tag: 0xfffe, channels: 1, sr: 44100, bits: 16, subTag: 1 })), chunk('data', sampleBytes('i16', [-32768, 8192]))]);
  assertChannels(decodeAudioSync(ext16, 'ext16.wav').channels, [[-1, 0.25]]);
});

test('many channels are de-interleaved in order', () => {
  const nc = 6;
  const frames = 5;
  const vals: number[] = [];
  for (let i = 0; i < frames; i++) for (let c = 0; c < nc; c++) vals.push((c + 1) * 1000 + i);
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: nc, sr: 48000, bits: 16 })), chunk('data', sampleBytes('i16', vals))]);
  const a = decodeAudioSync(b, '6ch.wav');
  const want = Array.from({ length: nc }, (_, c) => Array.from({ length: frames }, (_, i) => ((c + 1) * 1000 + i) / 32768));
  assertChannels(a.channels, want);
});

test('unknown chunks are skipped, odd-sized ones with their pad byte (like RAVDESS FLLR)', () => {
  const v = [100, -200, 300];
  const b = riff([
    chunk('JUNK', [1, 2, 3, 4]),
    chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 16000, bits: 16 })),
    chunk('FLLR', [9, 9, 9]), // odd: 3 bytes + 1 pad
    chunk('bext', [7]), // odd: 1 byte + 1 pad
    chunk('data', sampleBytes('i16', v)),
    chunk('LIST', ascii('INFOISFT')),
  ]);
  assertChannels(decodeAudioSync(b, 'chunks.wav').channels, [v.map((x) => x / 32768)]);
});

test('fmt after data is accepted; a trailing partial frame is ignored', () => {
  const data = [...sampleBytes('i16', [1000, 2000, 3000, 4000]), 0x11]; // 2 stereo frames + 1 stray byte
  const b = riff([chunk('data', data), chunk('fmt ', fmtBody({ tag: 1, channels: 2, sr: 16000, bits: 16 }))]);
  assertChannels(decodeAudioSync(b, 'late-fmt.wav').channels, [
    [1000 / 32768, 3000 / 32768],
    [2000 / 32768, 4000 / 32768],
  ]);
});

test('streaming placeholder data size 0xFFFFFFFF reads to the end of the file', () => {
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 16000, bits: 16 })), chunk('data', sampleBytes('i16', [5, 6, 7]), 0xffffffff)], 0xffffffff);
  const a = decodeAudioSync(b, 'stream.wav'); // 6 data bytes: no pad byte
  assertChannels(a.channels, [[5 / 32768, 6 / 32768, 7 / 32768]]);
});

test('a data chunk declaring more bytes than the file holds is ETRUNC naming the file', () => {
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sr: 16000, bits: 16 })), chunk('data', sampleBytes('i16', [1, 2, 3, 4]), 1000)]);
  assert.throws(
    () => decodeAudioSync(b, 'short.wav'),
    (e: unknown) => e instanceof SerError && e.code === 'ETRUNC' && e.message.startsWith('short.wav: ') && /1000 bytes/.test(e.message),
  );
});

test('parseWavHeader reports frames without decoding; works on a head of the file', () => {
  const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 2, sr: 44100, bits: 16 })), chunk('data', new Array(4 * 1000).fill(0))]);
  const h = parseWavHeader(b.subarray(0, 60), 'h.wav', b.length);
  assert.deepEqual([h.channels, h.sr, h.frames, h.bitsPerSample], [2, 44100, 1000, 16]);
});

test('encodeWav round-trips: f32 exactly, s16 to within half an LSB with clipping', async () => {
  const y0 = new Float32Array([0, 0.5, -0.25, 0.999, -1, 0.123456]);
  const y1 = new Float32Array([1, -1, 0.1, 0.2, 0.3, 2]);
  const f = await decodeAudio(encodeWav([y0, y1], 16000, { format: 'f32' }), 'rt.wav');
  assert.deepEqual(f.channels.map((c) => Array.from(c)), [Array.from(y0), Array.from(y1)]);
  assert.equal(f.sr, 16000);
  const s = await decodeAudio(encodeWav(y1, 8000, { format: 's16' }), 'rt16.wav');
  const want = [32767 / 32768, -1, 0.1, 0.2, 0.3, 32767 / 32768];
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(s.channels[0][i] - want[i]) <= 0.5 / 32768 + 1e-9, `s16 sample ${i}`);
  const three = encodeWav([y0.subarray(0, 3), y0.subarray(0, 3), y0.subarray(0, 3)], 16000);
  assert.equal(decodeAudioSync(three, '3ch.wav').channels.length, 3);
});
