/** EmotionStream.warmup(): runs the per-hop path on a twin engine and leaves the engine's own results unchanged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEmotionStream, energyDb, warmupSignal, WARMUP_SECONDS, type EmotionStreamOptions, type StreamEvent } from '../../src/stream/engine.js';
import { SpeakerStatsAccumulator } from '../../src/model/normalizer.js';
import { disposeBundle } from '../../src/model/bundle.js';
import { SerError } from '../../src/errors.js';
import { tinyBundle, tone, concat, LABELS } from './helpers.js';

const SR = 16000;

/** 0.8 s silence, 2.5 s of two tones, 0.6 s silence, 1.5 s of a third tone (at sr). */
function signal(sr: number): Float32Array {
  return concat([new Float32Array(Math.round(0.8 * sr)), tone(Math.round(1.2 * sr), 220, sr, 0.3, 3), tone(Math.round(1.3 * sr), 540, sr, 0.1, 5), new Float32Array(Math.round(0.6 * sr)), tone(Math.round(1.5 * sr), 330, sr, 0.2, 9)]);
}

function run(s: ReturnType<typeof createEmotionStream>, y: Float32Array, chunk: number, warmAt = -1): StreamEvent[] {
  const ev: StreamEvent[] = [];
  for (let i = 0; i < y.length; i += chunk) {
    if (warmAt >= 0 && i >= warmAt && i < warmAt + chunk) s.warmup(4);
    ev.push(...s.push(y.subarray(i, i + chunk)));
  }
  ev.push(...s.flush());
  return ev;
}

test('a warmed engine gives the same events as a fresh one (tiny CNN-LSTM bundle, 48 kHz input resampled to 16 kHz)', async () => {
  const { bundle, dir } = await tinyBundle(SR, 1);
  rmSync(dirname(dir), { recursive: true, force: true });
  try {
    const srIn = 48000;
    const y = signal(srIn);
    const chunk = 960;
    const ref = run(createEmotionStream({ bundle, sr_in: srIn }), y, chunk);
    assert.ok(ref.some((e) => e.speech) && ref.some((e) => !e.speech), 'speech and silence windows');
    const warmed = createEmotionStream({ bundle, sr_in: srIn });
    const r = warmed.warmup(6);
    assert.ok(r.hops >= 8, `${r.hops} warm-up hops`); // (6 s − 1 s window) / 0.48 s hop + 1, less the resampler's lag
    assert.equal(r.seconds, 6);
    assert.ok(r.ms > 0);
    assert.deepEqual(run(warmed, y, chunk), ref);
    // warming up in the middle of a stream changes nothing either
    assert.deepEqual(run(createEmotionStream({ bundle, sr_in: srIn }), y, chunk, Math.round(2.1 * srIn)), ref);
    // nor does the creation option
    assert.deepEqual(run(createEmotionStream({ bundle, sr_in: srIn, warmup: true }), y, chunk), ref);
  } finally {
    disposeBundle(bundle);
  }
});

test('warm-up: every twin hop is classified (no VAD, no onWindow), the speaker estimate passed in is untouched', () => {
  const prior = { mean: [-300, 50, -10, 5], std: [40, 20, 10, 5], speakers: 3, pseudo_count: 20 };
  let calls = 0;
  let windows = 0;
  const seen: Float32Array[] = [];
  const opts = (speaker: SpeakerStatsAccumulator, record: boolean): EmotionStreamOptions => ({
    model: (x) => {
      calls++;
      if (record) seen.push(x.slice());
      return Float32Array.from([0.4, 0.3, 0.2, 0.1]);
    },
    labels: LABELS,
    feature_config: { sr: SR, blocks: ['mfcc', 'chroma_stft', 'spectral_contrast'], n_mfcc: 4 },
    normalization: { kind: 'zscore', mode: 'speaker', mean: Array(4 + 12 + 7).fill(0), std: Array(4 + 12 + 7).fill(1), count: 0, speaker_prior: { ...prior, mean: [...prior.mean, ...Array(19).fill(0)], std: [...prior.std, ...Array(19).fill(1)] } },
    speaker,
    sr_in: SR,
    window_seconds: 1,
    vad: { threshold_db: 0 }, // nothing in the warm-up signal reaches 0 dBFS: the twin must not gate
    onWindow: () => windows++,
  });
  const acc = new SpeakerStatsAccumulator(23);
  const s = createEmotionStream(opts(acc, false));
  const r = s.warmup(5);
  // two twins over 2.5 s each, windows of 1 s every 15 STFT hops (7680 samples), each twin
  // flushed (one more window ending at its last sample): all classified, through the model
  const regular = Math.floor((2.5 * SR - SR) / 7680) + 1;
  const flushed = (regular - 1) * 7680 + SR < 2.5 * SR ? 1 : 0;
  assert.equal(r.hops, 2 * (regular + flushed));
  assert.equal(calls, r.hops);
  assert.equal(windows, 0, 'onWindow is not called for warm-up windows');
  assert.equal(acc.count, 0, 'the speaker estimate is untouched');
  assert.equal(s.speaker, acc);
  // the engine itself then gives what a fresh engine gives, with the same speaker estimate
  const y = signal(SR);
  const acc2 = new SpeakerStatsAccumulator(23);
  const a = run(createEmotionStream({ ...opts(acc2, true), vad: false }), y, 320);
  const seenFresh = seen.splice(0);
  const warmed = createEmotionStream({ ...opts(acc, true), vad: false });
  warmed.warmup(3);
  seen.length = 0; // the warm-up windows
  const b = run(warmed, y, 320);
  assert.deepEqual(b, a);
  assert.deepEqual(seen, seenFresh, 'the model saw the same normalised windows');
  assert.equal(acc.count, acc2.count);
  assert.ok(acc.count > 0);
});

test('warmupSignal: deterministic, finite, speech-like levels; warmup(0) does nothing; bad lengths are errors', () => {
  const sr = 22050;
  const a = warmupSignal(40 * sr, sr);
  assert.deepEqual(a, warmupSignal(40 * sr, sr));
  assert.ok(a.every((v) => Number.isFinite(v) && Math.abs(v) < 1));
  // 0.5-s blocks between −50 dBFS (the default VAD threshold) and −10 dBFS, but for 1.5 s of
  // digital silence every 30 s, from 12 s on
  for (let i = 0; i + sr / 2 <= a.length; i += sr / 2) {
    const t = (i / sr) % 30;
    if (t >= 12 && t < 13.5) assert.ok(a.subarray(i, i + sr / 2).every((v) => v === 0), `block at ${i / sr} s is silent`);
    else {
      const db = energyDb(a, i, i + sr / 2);
      assert.ok(db > -50 && db < -10, `block at ${i / sr} s: ${db.toFixed(1)} dBFS`);
    }
  }
  assert.ok(WARMUP_SECONDS > 0);
  let calls = 0;
  const s = createEmotionStream({ model: () => (calls++, Float32Array.from([1, 0, 0, 0])), labels: LABELS, feature_config: { sr: SR }, sr_in: SR });
  const r = s.warmup(0);
  assert.equal(r.hops, 0);
  assert.equal(r.seconds, 0);
  assert.equal(calls, 0);
  for (const bad of [-1, NaN, Infinity]) assert.throws(() => s.warmup(bad), (e: unknown) => e instanceof SerError && /warm-up/.test(e.message));
});
