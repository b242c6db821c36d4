import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { decodeAudioSync, decodeFlac, parseFlacHeader } from '../../src/audio/index.js';
import { SerError } from '../../src/errors.js';
import { FIXTURES, RAVDESS, RAVDESS_WAV, hasRavdess, hasRavdessWav } from './helpers.js';
import { flacFixture } from '../fixtures/audio/flac-fixtures.js';

function sameSamples(a: Float32Array[], b: Float32Array[], what: string) {
  assert.equal(a.length, b.length, `${what}: channel count`);
  for (let c = 0; c < a.length; c++) {
    assert.equal(a[c].length, b[c].length, `${what}: length of channel ${c}`);
    for (let i = 0; i < a[c].length; i++) if (a[c][i] !== b[c][i]) assert.fail(`${what}: channel ${c} sample ${i}: ${a[c][i]} != ${b[c][i]}`);
  }
}

// Fixtures encoded at test time by libFLAC's `flac` from the .wav beside them (test/fixtures/audio/flac-fixtures.ts):
// stereo with mid/side + a silent stretch (CONSTANT), 24-bit LPC, wasted bits + a VERBATIM noise
// burst + a non-power-of-two block size.
for (const name of ['s16-stereo', 's24-mono', 's16-wasted'] as const) {
  test(`FLAC fixture ${name} decodes bit-exactly to the WAV it was encoded from`, () => {
    const w = decodeAudioSync(readFileSync(FIXTURES + name + '.wav'), name + '.wav');
    const f = decodeAudioSync(readFileSync(flacFixture(name)), name + '.flac');
    assert.equal(f.sr, w.sr);
    sameSamples(f.channels, w.channels, name);
  });
}

test('STREAMINFO is parsed (rate, channels, bits, total samples)', () => {
  const info = parseFlacHeader(readFileSync(flacFixture('s16-stereo')), 'x.flac');
  assert.deepEqual([info.sr, info.channels, info.bitsPerSample, info.totalSamples], [44100, 2, 16, 8820]);
  const w = parseFlacHeader(readFileSync(flacFixture('s16-wasted')), 'x.flac');
  assert.deepEqual([w.sr, w.channels, w.bitsPerSample, w.totalSamples, w.maxBlockSize], [16000, 1, 16, 5000, 1000]);
});

test('every RAVDESS original WAV equals the FLAC of the same name, sample for sample', (t) => {
  if (!hasRavdessWav || !hasRavdess) return t.skip('../shared/data/ravdess(-wav) not present');
  const names = readdirSync(RAVDESS_WAV).filter((f) => f.endsWith('.wav'));
  assert.ok(names.length >= 8);
  for (const f of names) {
    const w = decodeAudioSync(readFileSync(RAVDESS_WAV + f), f);
    const fl = decodeAudioSync(readFileSync(RAVDESS + 'Actor_01/' + f.replace(/\.wav$/, '.flac')), f);
    assert.equal(w.sr, 48000);
    assert.equal(fl.sr, 48000);
    sameSamples(fl.channels, w.channels, f);
  }
});

test('agrees with libFLAC (@wasm-audio-decoders/flac) on corpus files from several actors', async (t) => {
  if (!hasRavdess) return t.skip('../shared/data/ravdess not present');
  const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
  const dec = new FLACDecoder();
  await dec.ready;
  try {
    // Mono files of two actors and two of the five stereo files in the corpus.
    for (const [actor, f] of [
      ['Actor_07', '03-01-01-01-01-01-07.flac'],
      ['Actor_19', '03-01-08-02-02-02-19.flac'],
      ['Actor_05', '03-01-02-01-02-02-05.flac'],
      ['Actor_20', '03-01-06-01-01-02-20.flac'],
    ]) {
      const bytes = readFileSync(RAVDESS + actor + '/' + f);
      const ours = decodeFlac(bytes, f);
      // decode() + flush(): decodeFile alone leaves the last (short) frame in the decoder.
      const a = await dec.decode(new Uint8Array(bytes));
      const z = await dec.flush();
      await dec.reset();
      assert.equal(ours.sr, a.sampleRate);
      const ref = a.channelData.map((c, k) => {
        const all = new Float32Array(a.samplesDecoded + z.samplesDecoded);
        all.set(c.subarray(0, a.samplesDecoded));
        all.set(z.channelData[k]?.subarray(0, z.samplesDecoded) ?? new Float32Array(0), a.samplesDecoded);
        return all;
      });
      // The package (0.2.11) drops the final, shorter frame (even after flush); our length is the
      // STREAMINFO total (checked by the decoder). Compare the common prefix, bit for bit.
      const n = ref[0].length;
      assert.ok(n > 0 && n <= ours.channels[0].length && ours.channels[0].length - n < 4608, `${actor}/${f}: lengths ${n} vs ${ours.channels[0].length}`);
      // The package scales asymmetrically (positive / 32767, negative / 32768): compare integers.
      const toInt = (x: Float32Array, pos: number, neg: number) => Float32Array.from(x, (v) => Math.round(v > 0 ? v * pos : v * neg));
      sameSamples(
        ours.channels.map((c) => toInt(c.subarray(0, n), 32768, 32768)),
        ref.map((c) => toInt(c, 32767, 32768)),
        `${actor}/${f}`,
      );
    }
  } finally {
    dec.free();
  }
});

test('a corrupted frame is detected by the CRC (EFORMAT), a cut file is ETRUNC', () => {
  const b = new Uint8Array(readFileSync(flacFixture('s16-stereo')));
  const bad = b.slice();
  bad[Math.floor(b.length * 0.6)] ^= 0x10;
  assert.throws(() => decodeFlac(bad, 'bad.flac'), (e: unknown) => e instanceof SerError && e.code === 'EFORMAT' && /^bad\.flac: /.test(e.message));
  assert.throws(() => decodeFlac(b.subarray(0, Math.floor(b.length * 0.7)), 'cut.flac'), (e: unknown) => e instanceof SerError && e.code === 'ETRUNC');
  assert.throws(() => decodeFlac(b.subarray(0, 30), 'head.flac'), (e: unknown) => e instanceof SerError && e.code === 'ETRUNC');
});

test('a FLAC behind an ID3v2 tag, and one whose STREAMINFO sample count is 0 (unknown), decode the same', () => {
  const f = new Uint8Array(readFileSync(flacFixture('s16-wasted')));
  const want = decodeAudioSync(f, 'a.flac');
  // ID3v2.3 header with a 20-byte (syncsafe) body.
  const tag = new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 20, ...new Array(20).fill(0x20)]);
  const withTag = new Uint8Array(tag.length + f.length);
  withTag.set(tag);
  withTag.set(f, tag.length);
  sameSamples(decodeAudioSync(withTag, 'id3.flac').channels, want.channels, 'id3');
  // Total samples: low 36 bits of STREAMINFO bytes 13..17 (file bytes 21..25).
  const unknown = f.slice();
  unknown[21] &= 0xf0;
  unknown.fill(0, 22, 26);
  assert.equal(parseFlacHeader(unknown, 'u.flac').totalSamples, 0);
  sameSamples(decodeAudioSync(unknown, 'unknown.flac').channels, want.channels, 'unknown length');
});
