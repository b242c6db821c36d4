/** createEmotionStream: chunk-size independence, VAD, smoothing math, resampled input, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmotionStream, EmaSmoother, energyDb, type StreamEvent } from '../../src/stream/engine.js';
import { resample } from '../../src/dsp/resample.js';
import { featureColumns, normalizeFeatureConfig } from '../../src/features/index.js';
import { SerError } from '../../src/errors.js';
import { disposeBundle } from '../../src/model/bundle.js';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { tinyBundle, tone, LABELS } from './helpers.js';

const SR = 16000;

function runChunks(push: (c: Float32Array) => StreamEvent[], flush: () => StreamEvent[], y: Float32Array, size: number): StreamEvent[] {
  const ev: StreamEvent[] = [];
  for (let i = 0; i < y.length; i += size) ev.push(...push(y.subarray(i, i + size)));
  ev.push(...flush());
  return ev;
}

/** 1 s silence, 2 s of a 220 Hz tone with a 3 Hz vibrato, 0.7 s silence. */
function testSignal(sr: number): Float32Array {
  const y = new Float32Array(Math.round(3.7 * sr));
  for (let i = sr; i < 3 * sr; i++) y[i] = 0.3 * Math.sin(2 * Math.PI * 220 * (i / sr) + 2 * Math.sin(2 * Math.PI * 3 * (i / sr)));
  return y;
}

test('same events for chunk sizes 1, 37, 4096 and whole (tiny CNN-LSTM bundle, 1 s windows)', async () => {
  const { bundle, dir } = await tinyBundle(SR, 1);
  rmSync(dirname(dir), { recursive: true, force: true }); // loaded: the files are no longer needed
  try {
    const y = testSignal(SR);
    let ref: StreamEvent[] | null = null;
    for (const size of [y.length, 1, 37, 4096]) {
      const s = createEmotionStream({ bundle, sr_in: SR });
      assert.equal(s.hop_samples, 15 * 512); // 0.5 s at 16 kHz = 15.6 hops → 15
      const ev = runChunks(s.push, s.flush, y, size);
      if (!ref) {
        ref = ev;
        assert.equal(ev.filter((e) => e.t_end <= 3.7).length, ev.length);
        assert.ok(ev.length >= 6);
        for (const e of ev) {
          assert.ok(e.t_end - e.t_start > 0.999 && e.t_end - e.t_start < 1.001);
          if (e.speech) {
            const sum = Object.values(e.probabilities!).reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities sum to ${sum}`);
            assert.deepEqual(Object.keys(e.probabilities!), LABELS);
            assert.equal(e.label, LABELS.reduce((b, l) => (e.probabilities![l] > e.probabilities![b] ? l : b), LABELS[0]));
          }
        }
      } else assert.deepEqual(ev, ref, `chunk size ${size}`);
    }
  } finally {
    disposeBundle(bundle);
  }
});

test('VAD: silence gives speech:false with no label; a tone gives speech:true; the gate follows the newest hop', () => {
  const classify = (): Float32Array => Float32Array.from([0.1, 0.2, 0.3, 0.4]);
  const opts = { model: classify, labels: LABELS, feature_config: { sr: SR, blocks: ['mfcc' as const] }, sr_in: SR, window_seconds: 1 };
  let featureWindows = 0;
  const s1 = createEmotionStream({ ...opts, onWindow: () => featureWindows++ });
  const silent = runChunks(s1.push, s1.flush, new Float32Array(3 * SR), 1000);
  assert.ok(silent.length >= 4);
  assert.equal(featureWindows, 0, 'no window features are computed for silence');
  for (const e of silent) {
    assert.equal(e.speech, false);
    assert.equal(e.label, null);
    assert.equal(e.probabilities, null);
    assert.equal(e.rms_db, -120);
  }
  const s2 = createEmotionStream(opts);
  const loud = runChunks(s2.push, s2.flush, tone(3 * SR, 440, SR, 0.3), 1000);
  for (const e of loud) {
    assert.equal(e.speech, true);
    assert.equal(e.label, 'angry');
    // a 0.3-amplitude sine has mean square 0.045 → −13.5 dBFS
    assert.ok(Math.abs(e.rms_db - 10 * Math.log10(0.045)) < 0.1, `rms_db ${e.rms_db}`);
  }
  // speech then silence: once the new part of the window is silent the event is speech:false
  const y = new Float32Array(4 * SR);
  y.set(tone(2 * SR, 440, SR, 0.3));
  const s3 = createEmotionStream({ ...opts, vad: { threshold_db: -40, min_speech_ratio: 0.5 } });
  const mixed = runChunks(s3.push, s3.flush, y, 1000);
  for (const e of mixed) assert.equal(e.speech, e.t_end - 0.48 < 2 - 0.2, `window ending at ${e.t_end}`);
  // vad: false classifies everything
  const s4 = createEmotionStream({ ...opts, vad: false });
  assert.ok(runChunks(s4.push, s4.flush, new Float32Array(2 * SR), 999).every((e) => e.speech && e.label === 'angry'));
});

test('EMA smoothing: p̄ = α·p + (1−α)·p̄_prev, reset after a non-speech window', () => {
  const seq = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 1],
  ];
  let k = 0;
  const classify = (): Float32Array => Float32Array.from(seq[k++ % seq.length]);
  const alpha = 0.25;
  // 1 s windows every 0.48 s: windows 0..3 loud, then silence, then loud again
  const y = tone(6 * SR, 300, SR, 0.3);
  y.fill(0, Math.round(2.4 * SR), Math.round(3.9 * SR));
  const s = createEmotionStream({
    model: classify,
    labels: LABELS,
    feature_config: { sr: SR, blocks: ['rms'] },
    sr_in: SR,
    window_seconds: 1,
    smoothing: { type: 'ema', alpha },
    vad: { threshold_db: -40, min_speech_ratio: 0.5 },
  });
  const ev = runChunks(s.push, s.flush, y, 512);
  let prev: number[] | null = null;
  let checked = 0;
  for (const e of ev) {
    if (!e.speech) {
      prev = null;
      continue;
    }
    const raw = LABELS.map((l) => e.raw_probabilities![l]);
    const expect: number[] = prev ? raw.map((p, i) => alpha * p + (1 - alpha) * prev![i]) : raw;
    LABELS.forEach((l, i) => assert.ok(Math.abs(e.probabilities![l] - expect[i]) < 1e-12, `${l} at ${e.t_start}`));
    prev = expect;
    checked++;
  }
  assert.ok(checked >= 6 && ev.some((e) => !e.speech), 'speech windows on both sides of a silence');
  // the smoother class itself
  const m = new EmaSmoother(0.5);
  assert.deepEqual([...m.update([1, 0])], [1, 0]);
  assert.deepEqual([...m.update([0, 1])], [0.5, 0.5]);
  assert.deepEqual([...m.update([0, 1])], [0.25, 0.75]);
  m.reset();
  assert.deepEqual([...m.update([0, 1])], [0, 1]);
  assert.throws(() => new EmaSmoother(0), SerError);
  assert.equal(energyDb(new Float32Array(10)), -120);
  assert.ok(Math.abs(energyDb(Float32Array.from([0.5, -0.5])) - 10 * Math.log10(0.25)) < 1e-9);
});

test('input at 48 kHz is resampled incrementally: features equal the offline-resampled stream', () => {
  // a noise floor everywhere: chroma of digital silence is 0/0 and flips on 1e-19 rounding residue
  const y48 = testSignal(48000);
  const noise = tone(y48.length, 50, 48000, 0.001, 9);
  for (let i = 0; i < y48.length; i++) y48[i] += noise[i] + 0.001 * Math.sin(i * 0.37);
  const y16 = resample(y48, 48000, SR);
  const feats = (sr: number, y: Float32Array, size: number): Float32Array[] => {
    const out: Float32Array[] = [];
    const s = createEmotionStream({
      model: () => Float32Array.from([0.25, 0.25, 0.25, 0.25]),
      labels: LABELS,
      feature_config: { sr: SR },
      sr_in: sr,
      window_seconds: 1,
      vad: false,
      onWindow: (w) => out.push(w.features.data.slice()),
    });
    runChunks(s.push, s.flush, y, size);
    return out;
  };
  const a = feats(48000, y48, 960);
  const b = feats(SR, y16, 320);
  assert.equal(a.length, b.length);
  // Spectral contrast is left out: its valleys (the lowest 2 % of a band's bins, up to ~100 dB under
  // the band's peak; for the top band, bins in the resampler's −100 dB stopband) are at the level of
  // float rounding, and the streamed and offline resamplers round differently (float32 FFT blocks of
  // different extents: samples agree to ~2e-7, see resampler.test.ts), which moves them by up to a
  // few dB. Contrast itself is checked stream = offline on the same samples in equivalence.test.ts.
  const cols = featureColumns(normalizeFeatureConfig({ sr: SR }));
  const skip = cols.map((c) => c.startsWith('contrast_'));
  assert.equal(skip.filter(Boolean).length, 7);
  for (let w = 0; w < a.length; w++) {
    let md = 0;
    let sc = 0;
    for (let i = 0; i < a[w].length; i++) {
      if (skip[i % cols.length]) continue;
      md = Math.max(md, Math.abs(a[w][i] - b[w][i]));
      sc = Math.max(sc, Math.abs(b[w][i]));
    }
    assert.ok(md <= 1e-4 * sc, `window ${w}: ${md} (scale ${sc})`);
  }
});

test('bad input: non-finite samples, a window the model cannot take, bad options', async () => {
  const classify = (): Float32Array => Float32Array.from([1, 0, 0, 0]);
  const s = createEmotionStream({ model: classify, labels: LABELS, feature_config: { sr: SR }, sr_in: SR });
  assert.throws(() => s.push(Float32Array.from([0, NaN])), (e: unknown) => e instanceof SerError && e.code === 'ENONFINITE' && /index 1/.test(e.message));
  assert.throws(() => s.push([1, 2] as unknown as Float32Array), SerError);
  s.flush();
  assert.throws(() => s.push(new Float32Array(1)), /after flush/);
  assert.throws(() => createEmotionStream({ model: classify, labels: LABELS, sr_in: 0 }), (e: unknown) => e instanceof SerError && /sr_in/.test(e.message));
  assert.throws(() => createEmotionStream({ model: classify, labels: LABELS, sr_in: SR, hop_seconds: -1 }), /hop/);
  assert.throws(() => createEmotionStream({ model: classify, labels: LABELS, sr_in: SR, smoothing: { type: 'ema', alpha: 2 } }), /alpha/);
  const { bundle, dir } = await tinyBundle(SR, 1);
  rmSync(dirname(dir), { recursive: true, force: true });
  try {
    assert.throws(() => createEmotionStream({ bundle, sr_in: SR, window_seconds: 2 }), (e: unknown) => e instanceof SerError && /model expects/.test(e.message));
  } finally {
    disposeBundle(bundle);
  }
});

test('speaker normalisation: a running estimate over the frames of speech windows (each frame once), shrunk toward the prior', () => {
  const H = 512;
  const fc = { sr: SR, blocks: ['mfcc' as const], n_mfcc: 4 };
  const cols = 4;
  const prior = { mean: [-300, 50, -10, 5], std: [40, 20, 10, 5], speakers: 3, pseudo_count: 20 };
  const seenX: Float32Array[] = [];
  const windows: { start: number; rows: number; data: Float32Array }[] = [];
  const s = createEmotionStream({
    model: (x) => {
      seenX.push(x.slice());
      return Float32Array.from([0.25, 0.25, 0.25, 0.25]);
    },
    labels: LABELS,
    feature_config: fc,
    normalization: { kind: 'zscore', mode: 'speaker', mean: [0, 0, 0, 0], std: [1, 1, 1, 1], count: 0, speaker_prior: prior },
    sr_in: SR,
    window_seconds: 1,
    onWindow: (w) => windows.push({ start: w.start, rows: w.features.rows, data: w.features.data.slice() }),
  });
  assert.equal(s.normalization_mode, 'speaker');
  const y = testSignal(SR);
  const ev = [...s.push(y), ...s.flush()];
  const speech = ev.filter((e) => e.speech);
  assert.ok(speech.length >= 3 && speech.length < ev.length, 'silence and speech windows');
  assert.equal(windows.length, speech.length);
  // reference: frames keyed by their centre sample, pooled with pseudo_count frames at prior mean ± std
  const frames = new Map<number, Float32Array>();
  windows.forEach((w, k) => {
    for (let i = 0; i < w.rows; i++) {
      const pos = w.start + i * H;
      if (!frames.has(pos)) frames.set(pos, w.data.slice(i * cols, (i + 1) * cols));
    }
    const n = frames.size;
    assert.equal(speech[k].speaker_frames, n, `window ${k}: frames in the estimate`);
    const all = [...frames.values()];
    for (let r = 0; r < prior.pseudo_count; r++) all.push(Float32Array.from(prior.mean.map((m, j) => m + (r % 2 ? 1 : -1) * prior.std[j])));
    for (let j = 0; j < cols; j++) {
      const mu = all.reduce((a, f) => a + f[j], 0) / all.length;
      const sd = Math.sqrt(all.reduce((a, f) => a + (f[j] - mu) ** 2, 0) / all.length);
      for (let i = 0; i < w.rows; i++) {
        const want = (w.data[i * cols + j] - mu) / sd;
        const got = seenX[k][i * cols + j];
        assert.ok(Math.abs(got - want) < 1e-4 * Math.max(1, Math.abs(want)), `window ${k} frame ${i} col ${j}: ${got} vs ${want}`);
      }
    }
  });
  assert.equal(s.speaker!.count, frames.size);

  // a second stream of the same speaker continues the estimate
  const s2 = createEmotionStream({
    model: () => Float32Array.from([0.25, 0.25, 0.25, 0.25]),
    labels: LABELS,
    feature_config: fc,
    normalization: { kind: 'zscore', mode: 'speaker', mean: [0, 0, 0, 0], std: [1, 1, 1, 1], count: 0, speaker_prior: prior },
    sr_in: SR,
    window_seconds: 1,
    speaker: s.speaker!,
  });
  const ev2 = [...s2.push(y), ...s2.flush()].filter((e) => e.speech);
  assert.ok(ev2[0].speaker_frames! > frames.size);
});

test('utterance normalisation: every window by its own frames', () => {
  const seenX: Float32Array[] = [];
  const s = createEmotionStream({
    model: (x) => {
      seenX.push(x.slice());
      return Float32Array.from([0.25, 0.25, 0.25, 0.25]);
    },
    labels: LABELS,
    feature_config: { sr: SR, blocks: ['mfcc' as const], n_mfcc: 4 },
    normalization: { kind: 'zscore', mode: 'utterance', mean: [0, 0, 0, 0], std: [1, 1, 1, 1], count: 0 },
    sr_in: SR,
    window_seconds: 1,
    vad: false,
  });
  const ev = [...s.push(testSignal(SR)), ...s.flush()];
  assert.equal(seenX.length, ev.length);
  for (const x of seenX) {
    const rows = x.length / 4;
    for (let j = 0; j < 4; j++) {
      let m = 0;
      for (let r = 0; r < rows; r++) m += x[r * 4 + j] / rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (x[r * 4 + j] - m) ** 2 / rows;
      assert.ok(Math.abs(m) < 1e-4, `column ${j} mean ${m}`);
      assert.ok(Math.abs(v - 1) < 1e-3 || v === 0, `column ${j} variance ${v}`);
    }
  }
});
