/**
 * Streaming / offline equivalence: every window the incremental extractor produces must equal
 * extractFeatures() on that window's samples, block by block and bit for bit, whatever the chunk sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAudioSync } from '../../src/audio/load.js';
import { blockWidth, estimateTuning, extractFeatures, normalizeFeatureConfig, piptrack, FEATURE_BLOCKS, type FeatureConfig } from '../../src/features/index.js';
import { powerSpectrogram } from '../../src/dsp/stft.js';
import { setWasmStftDisabled } from '../../src/dsp/stft-wasm.js';
import { StreamFeatureExtractor, tuningFromPeaks, type StreamFeatureWindow } from '../../src/stream/features.js';
import { snapHopFrames } from '../../src/stream/engine.js';
import { FIXTURES, SHARED, randomSizes } from './helpers.js';

/** Pushes y in random chunk sizes (1..maxChunk) and returns every window (flush included). */
function streamWindows(ex: StreamFeatureExtractor, y: Float32Array, seed: number, maxChunk: number): StreamFeatureWindow[] {
  const next = randomSizes(seed, 1, maxChunk);
  const out: StreamFeatureWindow[] = [];
  for (let i = 0; i < y.length; ) {
    const n = next();
    out.push(...ex.push(y.slice(i, i + n)));
    i += n;
  }
  out.push(...ex.flush());
  return out;
}

/** Worst |stream − offline| / max(1e-3, max |offline|) per block over all windows. */
function compare(wins: StreamFeatureWindow[], y: Float32Array, c: FeatureConfig): Record<string, number> {
  const worst: Record<string, number> = {};
  for (const w of wins) {
    // the window's samples come from the stream itself: check they are the right ones
    if (w.length === w.samples.length) assert.deepEqual(w.samples, y.subarray(w.start, w.start + w.length));
    const f = extractFeatures(w.samples, c.sr, c);
    assert.equal(w.features.rows, f.rows);
    assert.equal(w.features.cols, f.cols);
    let c0 = 0;
    for (const b of c.blocks) {
      const bw = blockWidth(b, c);
      let md = 0;
      let scale = 0;
      for (let t = 0; t < f.rows; t++) {
        for (let j = 0; j < bw; j++) {
          const o = t * f.cols + c0 + j;
          md = Math.max(md, Math.abs(f.data[o] - w.features.data[o]));
          scale = Math.max(scale, Math.abs(f.data[o]));
        }
      }
      worst[b] = Math.max(worst[b] ?? 0, md / Math.max(1e-3, scale));
      c0 += bw;
    }
  }
  return worst;
}

/**
 * The stream runs the offline kernels on the same frames (one feature code path), so every block
 * must be identical, not merely close.
 */
function assertIdentical(worst: Record<string, number>, what: string): void {
  for (const [b, e] of Object.entries(worst)) assert.equal(e, 0, `${what}: block ${b} differs by ${e} (relative to the block's scale)`);
}

test('default config, 3 s windows, 0.5 s hop: every window of a RAVDESS clip equals extractFeatures offline', () => {
  const { y, sr } = loadAudioSync(join(FIXTURES, 'ravdess_angry_a01.wav'), { sr: 'native' });
  assert.equal(sr, 22050);
  const c = normalizeFeatureConfig({ sr });
  const hopFrames = snapHopFrames(0.5, sr, c.hop_length);
  assert.equal(hopFrames, 21); // 0.5 s → 21 × 512 = 10752 samples
  // frames computed when their window completes (precompute_frames 0), and ahead of it, in
  // batches of 4 frames as their samples arrive (the default)
  const byMode: StreamFeatureWindow[][] = [];
  for (const precompute_frames of [0, undefined]) {
    const ex: StreamFeatureExtractor = new StreamFeatureExtractor({ config: c, window_samples: 3 * sr, hop_frames: hopFrames, precompute_frames });
    assert.ok(ex.incremental);
    const wins = streamWindows(ex, y, 7, 5000);
    byMode.push(wins);
    const regular = wins.filter((w) => !w.offline);
    assert.equal(regular.length, Math.floor((y.length - 3 * sr) / 10752) + 1);
    regular.forEach((w, i) => assert.equal(w.start, i * 10752));
    assert.equal(wins.at(-1)!.start + wins.at(-1)!.length, y.length, 'the flush window ends at the last sample');
    assertIdentical(compare(wins, y, c), `default config, precompute_frames ${precompute_frames}`);
    // each stream frame's STFT was computed once: windows after the first add only hop_frames new
    // frames plus their recomputed edge frames (2 at the start, 2 at the end with n_fft 2048)
    const edges = ex.nFrames - (Math.floor((3 * sr - 1024) / 512) - 2 + 1);
    const expected: number = ex.nFrames + (regular.length - 1) * (hopFrames + edges);
    if (precompute_frames === 0) assert.equal(ex.stftFrames, expected);
    else {
      // plus, computed ahead, the frames of the window that never completed (fewer than a hop's)
      assert.ok(ex.stftFrames >= expected && ex.stftFrames < expected + hopFrames, `${ex.stftFrames} STFT frames, expected ${expected} + < ${hopFrames}`);
    }
  }
  // the same windows, bit for bit, whenever the frames are computed
  assert.equal(byMode[0].length, byMode[1].length);
  byMode[0].forEach((w, i) => assert.deepEqual(byMode[1][i].features, w.features, `window ${i}`));
});

test('every block, 1.5 s windows, hop 7 frames, at 16 kHz (RAVDESS) and on the synthetic fixtures', () => {
  const c0 = { blocks: [...FEATURE_BLOCKS] };
  for (const [name, seed] of [['ravdess_sad_a12_16k', 3], ['speech_synth', 5], ['chirp', 9]] as const) {
    const { y, sr } = loadAudioSync(join(FIXTURES, `${name}.wav`), { sr: 'native' });
    const c = normalizeFeatureConfig({ ...c0, sr });
    const ex = new StreamFeatureExtractor({ config: c, window_samples: Math.round(1.5 * sr), hop_frames: 7 });
    const wins = streamWindows(ex, y, seed, 3000);
    assert.ok(wins.filter((w) => !w.offline).length >= 3, `${name}: several windows`);
    assertIdentical(compare(wins, y, c), name);
  }
});

test('a stream shorter than one window gives one zero-padded window at flush (as a short clip)', () => {
  const { y, sr } = loadAudioSync(join(FIXTURES, 'short.wav'), { sr: 'native' });
  const c = normalizeFeatureConfig({ sr, blocks: ['mfcc', 'chroma_stft'] });
  const L = sr; // 1 s
  assert.ok(y.length < L);
  const ex = new StreamFeatureExtractor({ config: c, window_samples: L, hop_frames: 4 });
  assert.deepEqual(ex.push(y), []);
  const [w, ...rest] = ex.flush();
  assert.equal(rest.length, 0);
  const padded = new Float32Array(L);
  padded.set(y, Math.floor((L - y.length) / 2));
  const f = extractFeatures(padded, sr, c);
  assert.deepEqual(w.features.data, f.data);
  assert.deepEqual(ex.flush(), []);
  assert.throws(() => ex.push(new Float32Array(1)), /after flush/);
});

test('RAVDESS corpus: two concatenated recordings at 22050 Hz (skipped without data/ravdess)', (t) => {
  const dir = join(SHARED, 'data/ravdess/Actor_02');
  if (!existsSync(dir)) return t.skip('data/ravdess is absent');
  const files = readdirSync(dir).filter((f) => f.endsWith('.flac')).sort().slice(0, 2);
  const parts = files.map((f) => loadAudioSync(join(dir, f), { sr: 22050 }).y);
  const y = new Float32Array(parts[0].length + parts[1].length);
  y.set(parts[0]);
  y.set(parts[1], parts[0].length);
  const c = normalizeFeatureConfig({ sr: 22050 });
  const ex = new StreamFeatureExtractor({ config: c, window_samples: 66150, hop_frames: 21 });
  const wins = streamWindows(ex, y, 11, 20000);
  assert.ok(wins.length >= 8);
  assertIdentical(compare(wins, y, c), 'RAVDESS corpus');
});

/**
 * A stream whose window-global quantities keep changing: speech, digital silence, speech with a
 * loud 1 kHz burst, faint noise, speech. As the burst enters and leaves the windows, the window
 * maxima (log-mel top_db floor, contrast's peak / valley floors) jump, and the tuning moves.
 */
function changingStream(): { y: Float32Array; sr: number } {
  const { y: speech, sr } = loadAudioSync(join(FIXTURES, 'ravdess_angry_a01.wav'), { sr: 'native' });
  const seg = (a: number, b: number): Float32Array => speech.slice(Math.round(a * sr), Math.round(b * sr));
  const burst = seg(1.0, 2.0);
  for (let i = Math.round(0.4 * sr); i < Math.round(0.65 * sr); i++) burst[i] += 0.9 * Math.sin((2 * Math.PI * 1000 * i) / sr);
  const noise = new Float32Array(Math.round(0.8 * sr));
  let s = 99;
  for (let i = 0; i < noise.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    noise[i] = 1e-4 * (s / 2 ** 32 - 0.5);
  }
  const parts = [seg(0.5, 1.7), new Float32Array(Math.round(0.8 * sr)), burst, noise, seg(2.0, 3.0)];
  const y = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    y.set(p, o);
    o += p.length;
  }
  return { y, sr };
}

test('cached per-frame rows (MFCC at a log-mel floor, chroma at a tuning, contrast dB) stay equal to offline as the window maxima and the tuning change', () => {
  const { y, sr } = changingStream();
  const c = normalizeFeatureConfig({ sr, blocks: [...FEATURE_BLOCKS] });
  const hopFrames = 7;
  const ex = new StreamFeatureExtractor({ config: c, window_samples: Math.round(1.5 * sr), hop_frames: hopFrames });
  const wins = streamWindows(ex, y, 21, 4000);
  const regular = wins.filter((w) => !w.offline);
  assert.ok(regular.length >= 20);
  assertIdentical(compare(wins, y, c), 'changing stream');
  // rows computed if no cached row were ever invalidated: the first window, then per window the
  // new frames and the recomputed edge frames
  const F = ex.nFrames;
  const edges = (ex.stftFrames - F - (regular.length - 1) * hopFrames) / (regular.length - 1);
  assert.ok(Number.isInteger(edges) && edges > 0);
  const fresh = F + (regular.length - 1) * (hopFrames + edges);
  const { mfccFrames, chromaFrames, windows } = ex.counters;
  assert.equal(windows, regular.length);
  assert.ok(mfccFrames > fresh, `the log-mel floor changed, so some cached MFCC rows were recomputed (${mfccFrames} rows, ${fresh} new)`);
  assert.ok(mfccFrames < regular.length * F, `some MFCC rows were reused (${mfccFrames} of ${regular.length * F})`);
  assert.ok(chromaFrames > fresh, `the tuning changed, so cached chroma rows were recomputed (${chromaFrames} rows, ${fresh} new)`);
  assert.ok(chromaFrames <= regular.length * F);
});

test('no top_db clip, and windows declined by skip(): the cached rows of the computed windows are still right', () => {
  const { y, sr } = changingStream();
  const c = normalizeFeatureConfig({ sr, top_db: null });
  let n = 0;
  const skip = (): boolean => n++ % 3 === 1;
  const ex = new StreamFeatureExtractor({ config: c, window_samples: Math.round(1.2 * sr), hop_frames: 9, skip });
  const wins = streamWindows(ex, y, 5, 3000);
  const done = wins.filter((w) => !w.skipped);
  assert.ok(wins.some((w) => w.skipped) && done.length >= 8);
  for (const w of wins.filter((x) => x.skipped)) assert.equal(w.features.rows, 0);
  assertIdentical(compare(done, y, c), 'top_db null with skipped windows');
});

test('tuningFromPeaks (median by selection, odd and even peak counts) equals estimateTuning on the same frames', () => {
  for (const name of ['ravdess_angry_a01', 'speech_synth', 'chirp', 'noise']) {
    const { y, sr } = loadAudioSync(join(FIXTURES, `${name}.wav`), { sr: 'native' });
    const S = powerSpectrogram(y.subarray(0, Math.min(y.length, 60 * 512)), { n_fft: 2048, hop_length: 512, center: true, power: 2 });
    const parity = new Set<number>();
    for (const rows of [1, 2, 3, 5, 8, 13, 21, 34, S.rows]) {
      if (rows > S.rows) continue;
      const sub = { rows, cols: S.cols, data: S.data.subarray(0, rows * S.cols) };
      const p = piptrack({ S: sub, sr, n_fft: 2048 });
      const pitches: number[] = [];
      const mags: number[] = [];
      for (let i = 0; i < p.pitches.data.length; i++) {
        if (p.pitches.data[i] > 0) {
          pitches.push(p.pitches.data[i]);
          mags.push(p.magnitudes.data[i]);
        }
      }
      parity.add(mags.length % 2);
      const ours = tuningFromPeaks(Float32Array.from(pitches), Float32Array.from(mags), 12);
      const ref = estimateTuning({ S: sub, sr, n_fft: 2048, bins_per_octave: 12, resolution: 0.01 });
      assert.equal(ours, ref, `${name}, ${rows} frames, ${mags.length} peaks`);
    }
    assert.equal(parity.size, 2, `${name}: both odd and even peak counts were tried`);
  }
});

test('without the WebAssembly kernels (JS STFT, chroma_stft fallback): windows still equal extractFeatures offline', () => {
  const { y, sr } = changingStream();
  const c = normalizeFeatureConfig({ sr });
  setWasmStftDisabled(true);
  try {
    const ex = new StreamFeatureExtractor({ config: c, window_samples: Math.round(1.0 * sr), hop_frames: 11 });
    const wins = streamWindows(ex, y.subarray(0, Math.round(2.6 * sr)), 17, 5000);
    assert.ok(wins.filter((w) => !w.offline).length >= 5);
    assertIdentical(compare(wins, y.subarray(0, Math.round(2.6 * sr)), c), 'no wasm');
  } finally {
    setWasmStftDisabled(false);
  }
});
