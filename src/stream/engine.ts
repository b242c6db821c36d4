/**
 * Real-time emotion stream (browser-safe: typed arrays + tfjs only).
 *
 *   push(chunk @ sr_in) → StreamResampler (→ model rate) → StreamFeatureExtractor (ring of frames)
 *     → window features (identical to extractFeatures on the window) → normalisation → model
 *     → EMA smoothing → voice-activity gate → StreamEvent per hop
 *
 * Timing: windows of `window_seconds` (default: the model's clip_seconds) start every hop; the hop
 * is snapped DOWN to a whole number of STFT hops so that interior frames are shared between
 * windows: 0.5 s at 22050 Hz / hop_length 512 → 21 frames = 10752 samples = 0.4876 s. The first
 * event comes once one full window has arrived (after window_seconds of audio); flush() adds a last
 * window ending at the stream's end (or the whole stream zero-padded when it was shorter than one
 * window), as `predictClip` does for a file.
 *
 * Voice-activity gate: the "new" part of each window (the samples since the previous event's end;
 * the whole window for the first event) is cut into hop_length blocks; the window is speech when at
 * least `min_speech_ratio` of those blocks have an energy ≥ `threshold_db` dBFS (10·log10 of the
 * mean square). Non-speech windows are reported `{speech: false, label: null, probabilities: null}`
 * without computing their window-global features or running the model (silence costs little),
 * and they reset the smoothing.
 *
 * Normalisation follows the bundle (src/model/normalizer.ts): 'global' z-score; 'utterance' each
 * window by its own frames, then global; 'speaker' by a running estimate of the speaker's
 * statistics, then global. The running estimate accumulates the frames of SPEECH windows only
 * (the VAD gate), each frame once (a window adds the frames that start after the previous speech
 * window's last frame; the first adds all), including the window being classified, and is shrunk
 * toward the bundle's speaker prior with its pseudo-count: the first windows lean on the prior,
 * after ~30 s of speech the prior weighs a few percent. Pass `speaker` to continue an estimate
 * from an earlier stream of the same speaker.
 *
 * Smoothing (type 'ema'): p̄_t = α·p_t + (1 − α)·p̄_{t−1}, with p̄ = p at the first speech window
 * after a reset (start, or a non-speech window). α = 1 means no smoothing ({type: 'none'} too).
 *
 * Warm-up: the per-hop code (resampler, incremental features, normalisation, the model's tfjs
 * layers and kernels, smoothing) runs 2–10× slower during a process's first hops, until the
 * JavaScript engine has optimised it and tfjs has set up its kernels. `warmup()` runs throw-away
 * twins of the engine (same options, their own state, a fresh speaker estimate) over a synthetic
 * speech-like signal, so that a new process meets its latency target from the first real hop.
 * Two twins, not one: code that calls a per-engine function (the gate, the event builder, the
 * model call) is otherwise optimised for one engine's function and de-optimised by the next
 * engine's (V8 "wrong call target"), which made every new engine's first hops slow again.
 * The engine's own state is not touched: its events are the same with or without a warm-up.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { SerError, check } from '../errors.js';
import { normalizeFeatureConfig, type FeatureConfig } from '../features/index.js';
import { zscoreToJSON, type ZScoreStats } from '../data/preprocess.js';
import { bundleNormalizer, type ModelBundle } from '../model/bundle.js';
import { SpeakerStatsAccumulator, createNormalizer, type BundleNormalization, type Normalizer } from '../model/normalizer.js';
import { predictProbabilities, modelInputShape } from '../model/train.js';
import { StreamFeatureExtractor, type StreamFeatureWindow } from './features.js';
import { StreamResampler } from './resampler.js';

export type SmoothingOptions = { type: 'ema'; alpha: number } | { type: 'none' };

export interface VadOptions {
  /** Block energy threshold in dBFS (10·log10 mean square; a full-scale sine is −3 dB). Default −50. */
  threshold_db: number;
  /** Fraction of the new blocks that must reach the threshold. Default 0.2. */
  min_speech_ratio: number;
}

export interface StreamEvent {
  /** Window start / end in seconds from the stream's start. */
  t_start: number;
  t_end: number;
  speech: boolean;
  /** argmax of `probabilities`, or null for a non-speech window. */
  label: string | null;
  /** Speaker-normalised models: frames in the speaker estimate after this window (0: the prior alone). */
  speaker_frames?: number;
  /** Smoothed class probabilities (sum 1), or null for a non-speech window. */
  probabilities: Record<string, number> | null;
  /** The model's unsmoothed probabilities for this window (null for a non-speech window). */
  raw_probabilities?: Record<string, number> | null;
  /** Energy (dBFS, 10·log10 of the mean square, floor −120) of the new part of the window. */
  rms_db: number;
}

/**
 * The classifier used for each window's z-scored features (frames × features); returns class
 * probabilities. `x` is only valid during the call (the engine reuses its buffer from hop to hop).
 */
export type WindowClassifier = (x: Float32Array, frames: number, features: number) => Float32Array;

export interface EmotionStreamOptions {
  /** A model bundle (model, labels, feature config, z-score, sample rate, clip length). */
  bundle?: ModelBundle;
  /** Or the parts: a LayersModel (or a classifier function), feature config, z-score stats, labels. */
  model?: tfl.LayersModel | WindowClassifier;
  feature_config?: Partial<FeatureConfig>;
  /** z-score statistics (null: features are passed unnormalised). */
  stats?: ZScoreStats | null;
  /** Or a full (bundle-style) normalisation, any mode; takes precedence over `stats`. */
  normalization?: BundleNormalization;
  /** Speaker-normalised models: the speaker estimate to continue (frames of an earlier stream of
   * the same speaker); the stream adds its speech frames to it. Default: a new, empty one. */
  speaker?: SpeakerStatsAccumulator;
  labels?: string[];
  /** Rate of the pushed samples (Hz, integer). Resampled incrementally to the model's rate when different. */
  sr_in: number;
  /** Window length in seconds. Default: the bundle's clip_seconds, else 3. Must give the model's input frames. */
  window_seconds?: number;
  /** Hop between events in seconds, snapped down to whole STFT hops (≥ 1). Default 0.5. */
  hop_seconds?: number;
  /** Default {type: 'ema', alpha: 0.5}. */
  smoothing?: SmoothingOptions;
  /** Voice-activity gate; false disables it (every window is classified). Default {threshold_db: −50, min_speech_ratio: 0.2}. */
  vad?: Partial<VadOptions> | false;
  /** Called with the features of every speech window before classification (for inspection / tests). */
  onWindow?: (w: StreamFeatureWindow) => void;
  /** Run `warmup()` (default seconds) before returning the engine. Default false. */
  warmup?: boolean;
}

/** What a warm-up did: hops run through the twin engine, audio seconds, wall time (ms). */
export interface WarmupReport {
  hops: number;
  seconds: number;
  ms: number;
}

/**
 * Default warm-up length (seconds of synthetic audio; ~117 hops at the default 0.5-s hop); see
 * `EmotionStream.warmup`. Measured with models/default in fresh processes: after 30 s the first
 * hops still cost ~1.4× the steady state in CPU, after 60 s ~1.1×; without warm-up 2–10×.
 */
export const WARMUP_SECONDS = 60;

export interface EmotionStream {
  /** Pushes mono samples at sr_in (any length, including 0 and 1); returns the events completed. */
  push(chunk: Float32Array): StreamEvent[];
  /** Ends the stream; returns the last events (see module doc). Further pushes are errors. */
  flush(): StreamEvent[];
  /**
   * Warms the per-hop code path up (see the module doc): pushes `seconds` (default
   * WARMUP_SECONDS) of a synthetic speech-like signal at sr_in, in 20-ms chunks, through two twin
   * engines in turn (half each, each flushed at its end) with this engine's options (its classifier is called for every hop; no onWindow, no
   * voice-activity gate, a fresh speaker estimate). This engine's state is unchanged; call it
   * before the first push. Synchronous: blocks for roughly `seconds` × the real-time factor of a
   * cold process (about a second of CPU for the default with a default-size model).
   */
  warmup(seconds?: number): WarmupReport;
  readonly labels: string[];
  /** Model rate (Hz). */
  readonly sr: number;
  /** Effective hop (seconds) after snapping, and in samples at the model rate. */
  readonly hop_seconds: number;
  readonly hop_samples: number;
  readonly window_seconds: number;
  readonly window_samples: number;
  readonly feature_config: FeatureConfig;
  /** The normalisation mode ('global' also when features are passed unnormalised). */
  readonly normalization_mode: Normalizer['mode'];
  /** Speaker mode: the running speaker estimate (see the module doc); otherwise null. */
  readonly speaker: SpeakerStatsAccumulator | null;
}

/** 10·log10(mean square) of x[a, b), floor −120 dB. */
export function energyDb(x: Float32Array, a = 0, b = x.length): number {
  if (b <= a) return -120;
  let s = 0;
  for (let i = a; i < b; i++) s += x[i] * x[i];
  const ms = s / (b - a);
  return ms > 1e-12 ? Math.max(-120, 10 * Math.log10(ms)) : -120;
}

/** Exponential smoothing state; `update` returns the smoothed vector, `reset` forgets the past. */
export class EmaSmoother {
  private state: Float64Array | null = null;
  constructor(readonly alpha: number) {
    check(Number.isFinite(alpha) && alpha > 0 && alpha <= 1, `smoothing alpha must be in (0, 1], got ${alpha}`);
  }
  update(p: ArrayLike<number>): Float64Array {
    if (!this.state || this.state.length !== p.length) {
      this.state = Float64Array.from(p as ArrayLike<number>);
    } else {
      const a = this.alpha;
      for (let i = 0; i < p.length; i++) this.state[i] = a * p[i] + (1 - a) * this.state[i];
    }
    return this.state.slice();
  }
  reset(): void {
    this.state = null;
  }
}

function toRecord(labels: string[], p: ArrayLike<number>): Record<string, number> {
  const r: Record<string, number> = {};
  labels.forEach((l, i) => (r[l] = p[i]));
  return r;
}

/** Snapped hop: ⌊hop_seconds · sr / hop_length⌋ STFT hops, at least 1. */
export function snapHopFrames(hopSeconds: number, sr: number, hopLength: number): number {
  return Math.max(1, Math.floor((hopSeconds * sr) / hopLength + 1e-9));
}

/** Creates a streaming emotion recogniser; see the module doc. Throws SerError('EPARAM') for bad options. */
export function createEmotionStream(o: EmotionStreamOptions): EmotionStream {
  check(o !== null && typeof o === 'object', 'createEmotionStream: options must be an object');
  const b = o.bundle;
  const modelOrFn = b ? b.model : o.model;
  check(modelOrFn !== undefined, 'createEmotionStream: pass a bundle, or a model with feature_config and labels');
  const labels = b ? b.meta.labels : o.labels;
  check(Array.isArray(labels) && labels.length >= 1, 'createEmotionStream: labels must be a non-empty list');
  const fc = normalizeFeatureConfig(b ? b.meta.feature_config : (o.feature_config ?? {}));
  const sr = fc.sr;
  let normalizer: Normalizer | null;
  if (b) normalizer = bundleNormalizer(b);
  else if (o.normalization) normalizer = createNormalizer(o.normalization);
  else normalizer = o.stats ? createNormalizer({ ...zscoreToJSON(o.stats), mode: 'global' }) : null;
  check(Number.isInteger(o.sr_in) && o.sr_in > 0, `createEmotionStream: sr_in must be a positive integer (Hz), got ${o.sr_in}`);
  const windowSeconds = o.window_seconds ?? (b ? b.meta.clip_seconds : 3);
  check(Number.isFinite(windowSeconds) && windowSeconds > 0, `window must be a positive number of seconds, got ${o.window_seconds}`);
  const hopSeconds = o.hop_seconds ?? 0.5;
  check(Number.isFinite(hopSeconds) && hopSeconds > 0, `hop must be a positive number of seconds, got ${o.hop_seconds}`);
  const L = Math.round(windowSeconds * sr);
  const hopFrames = snapHopFrames(hopSeconds, sr, fc.hop_length);
  const frames = 1 + Math.floor(L / fc.hop_length);
  let classify: WindowClassifier;
  let nFeatures: number;
  if (typeof modelOrFn === 'function') {
    classify = modelOrFn;
    nFeatures = -1;
  } else {
    const model = modelOrFn as tfl.LayersModel;
    const [mf, mc] = modelInputShape(model);
    if (mf !== frames) {
      throw new SerError(
        'EPARAM',
        `a ${windowSeconds} s window has ${frames} frames but the model expects ${mf} (${(((mf - 1) * fc.hop_length) / sr).toFixed(3)} s windows); use the model's window length`,
        b ? { file: b.source } : {},
      );
    }
    nFeatures = mc;
    classify = (x) => predictProbabilities(model, x, 1, 1);
  }
  const smooth = o.smoothing ?? { type: 'ema', alpha: 0.5 };
  check(smooth && (smooth.type === 'ema' || smooth.type === 'none'), `smoothing type must be 'ema' or 'none'`);
  const ema = new EmaSmoother(smooth.type === 'ema' ? smooth.alpha : 1);
  const vad: VadOptions | null =
    o.vad === false ? null : { threshold_db: o.vad?.threshold_db ?? -50, min_speech_ratio: o.vad?.min_speech_ratio ?? 0.2 };
  if (vad) {
    check(Number.isFinite(vad.threshold_db), `vad threshold_db must be a number, got ${vad.threshold_db}`);
    check(vad.min_speech_ratio >= 0 && vad.min_speech_ratio <= 1, `vad min_speech_ratio must be in [0, 1], got ${vad.min_speech_ratio}`);
  }
  /** End (samples) of the previous event's window: the "new" part of the next one starts there. */
  let prevEnd = 0;
  let ended = false;
  /** Gate decisions of windows whose features are pending, in order. */
  const gates: { speech: boolean; rmsDb: number }[] = [];

  /** VAD on the new part of a window (see the module doc); records the decision for event(). */
  const gate = (start: number, length: number, y: Float32Array): boolean => {
    // the new part of the window, in window coordinates (a padded flush window counts whole)
    const newFrom = length < L ? 0 : Math.max(0, Math.min(L, prevEnd - start));
    let active = 0;
    let blocks = 0;
    const H = fc.hop_length;
    for (let a = newFrom; a < y.length; a += H) {
      blocks++;
      if (vad && energyDb(y, a, Math.min(a + H, y.length)) >= vad.threshold_db) active++;
    }
    prevEnd = Math.max(prevEnd, start + length);
    const speech = vad === null || (blocks > 0 && active > 0 && active / blocks >= vad.min_speech_ratio);
    gates.push({ speech, rmsDb: energyDb(y, newFrom, y.length) });
    return !speech; // skip the window's features when it is not speech
  };

  const fx = new StreamFeatureExtractor({ config: fc, window_samples: L, hop_frames: hopFrames, pad: b?.meta.pad === 'end' ? 'end' : 'both', skip: gate });
  if (nFeatures >= 0 && fx.nCols !== nFeatures) {
    throw new SerError('EMODEL', `the feature config gives ${fx.nCols} features per frame but the model expects ${nFeatures}`, b ? { file: b.source } : {});
  }
  if (normalizer) check(normalizer.cols === fx.nCols, `z-score statistics have ${normalizer.cols} columns, features have ${fx.nCols}`);
  const speakerAcc = normalizer?.mode === 'speaker' ? (o.speaker ?? new SpeakerStatsAccumulator(fx.nCols)) : null;
  if (speakerAcc) check(speakerAcc.cols === fx.nCols, `the speaker estimate has ${speakerAcc.cols} columns, features have ${fx.nCols}`);
  /** Stream sample just after the last frame already in the speaker estimate. */
  let speakerUpTo = -Infinity;
  // 0.25-s resampler blocks: ~4x cheaper than 0.05-s ones (per-call filter set-up), +0.25 s latency
  const rs = o.sr_in === sr ? null : new StreamResampler(o.sr_in, sr, 0.25);

  let normBuf = new Float32Array(0);
  const event = (w: StreamFeatureWindow): StreamEvent => {
    const g = gates.shift();
    if (!g) throw new Error('internal: stream window without a gate decision');
    const t_start = w.start / sr;
    const t_end = (w.start + w.length) / sr;
    if (!g.speech) {
      ema.reset();
      return { t_start, t_end, speech: false, label: null, probabilities: null, raw_probabilities: null, rms_db: g.rmsDb };
    }
    o.onWindow?.(w);
    let x: Float32Array;
    // the model input is rebuilt every hop: one buffer for the engine's lifetime (classify copies it)
    if (normalizer && normBuf.length < w.features.data.length) normBuf = new Float32Array(w.features.data.length);
    if (!normalizer) x = w.features.data;
    else if (speakerAcc) {
      // frames of this speech window not yet in the estimate (frame i is centred at start + i·hop)
      const H = fc.hop_length;
      const from = Math.max(0, Math.ceil((speakerUpTo - w.start) / H));
      if (from < w.features.rows) {
        speakerAcc.add(w.features, from, w.features.rows);
        speakerUpTo = w.start + w.features.rows * H;
      }
      x = normalizer.apply(w.features, normalizer.speakerStats(speakerAcc), normBuf).data;
    } else x = normalizer.apply(w.features, undefined, normBuf).data;
    const p = classify(x, w.features.rows, w.features.cols);
    if (p.length !== labels.length) throw new SerError('EMODEL', `the model gives ${p.length} probabilities for ${labels.length} labels`);
    const s = ema.update(p);
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
    const ev: StreamEvent = { t_start, t_end, speech: true, label: labels[best], probabilities: toRecord(labels, s), raw_probabilities: toRecord(labels, p), rms_db: g.rmsDb };
    if (speakerAcc) ev.speaker_frames = speakerAcc.count;
    return ev;
  };

  const warmup = (seconds = WARMUP_SECONDS): WarmupReport => {
    check(Number.isFinite(seconds) && seconds >= 0, `warm-up seconds must be a number ≥ 0, got ${seconds}`);
    const t0 = performance.now();
    const n = Math.round(seconds * o.sr_in);
    const fill = warmupSource(o.sr_in);
    const buf = new Float32Array(Math.max(1, Math.round(0.02 * o.sr_in))); // 20-ms chunks (the engine copies them)
    let hops = 0;
    // two twins, each over half of the signal: call sites that reach per-engine closures (the
    // voice-activity gate, the event builder, the model call) then have seen more than one
    // target before they are optimised, so that later engines do not de-optimise them. Each
    // twin ends with flush(): its offline window (extractFeatures) calls the shared feature
    // functions with other argument shapes, which otherwise de-optimises the stream code the
    // first time a stream ends (measured: the next stream's first 10 hops 2.8–5× slower)
    for (const [a, b] of [[0, Math.floor(n / 2)], [Math.floor(n / 2), n]]) {
      const twin = createEmotionStream({ ...o, warmup: false, speaker: undefined, onWindow: undefined, vad: false });
      for (let i = a; i < b; i += buf.length) {
        const x = buf.subarray(0, Math.min(buf.length, b - i));
        fill(x);
        hops += twin.push(x).length;
      }
      if (b > a) hops += twin.flush().length;
    }
    return { hops, seconds: n / o.sr_in, ms: performance.now() - t0 };
  };

  const engine: EmotionStream = {
    labels: [...labels],
    sr,
    hop_seconds: (hopFrames * fc.hop_length) / sr,
    hop_samples: hopFrames * fc.hop_length,
    window_seconds: L / sr,
    window_samples: L,
    feature_config: fc,
    normalization_mode: normalizer ? normalizer.mode : 'global',
    speaker: speakerAcc,
    push(chunk: Float32Array): StreamEvent[] {
      check(chunk instanceof Float32Array, 'push() takes a Float32Array of mono samples');
      if (ended) throw new SerError('EPARAM', 'push() after flush(): create a new stream');
      for (let i = 0; i < chunk.length; i++) {
        const v = chunk[i];
        if (v - v !== 0) throw new SerError('ENONFINITE', `the audio has a non-finite sample (${v}) at index ${(rs ? rs.samplesIn : fx.samplesPushed) + i}`);
      }
      const y = rs ? rs.push(chunk) : chunk;
      return fx.push(y).map(event);
    },
    flush(): StreamEvent[] {
      if (ended) return [];
      ended = true;
      const out: StreamEvent[] = [];
      if (rs) out.push(...fx.push(rs.flush()).map(event));
      out.push(...fx.flush().map(event));
      return out;
    },
    warmup,
  };
  if (o.warmup) warmup();
  return engine;
}

/**
 * A deterministic speech-like signal of n samples at sr (for warm-ups): a harmonic voice with a
 * gliding pitch (90–330 Hz), a 4-Hz syllable envelope, breath noise, and a level between about
 * −45 and −10 dBFS, so that every feature path (tuning, contrast, the top-db clip) sees varied
 * input, with 1.5 s of digital silence every 30 s (from 12 s on: all-zero frames take their own
 * branches, e.g. the unscaled chroma of a silent frame, which the optimised code must have seen).
 */
export function warmupSignal(n: number, sr: number): Float32Array {
  const y = new Float32Array(n);
  warmupSource(sr)(y);
  return y;
}

/** Harmonic voice waveform (Σ_{h=1..12} sin(h·φ)/h) over one period, WAVE_N points + 1 (wrap). */
const WAVE_N = 2048;
let waveTable: Float32Array | null = null;
function voiceWave(): Float32Array {
  if (waveTable) return waveTable;
  const w = new Float32Array(WAVE_N + 1);
  for (let k = 0; k <= WAVE_N; k++) {
    const ph = (2 * Math.PI * k) / WAVE_N;
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(h * ph) / h;
    w[k] = v;
  }
  return (waveTable = w);
}

/**
 * The generator behind warmupSignal: returns `fill(out)`, which writes the next out.length samples
 * (the same samples however the stream is cut). Cheap (a few ns per sample): the voice comes from
 * a wavetable, the pitch, envelope and level are updated every 32 samples.
 */
function warmupSource(sr: number): (out: Float32Array) => void {
  const wave = voiceWave();
  const period = Math.round(30 * sr);
  const s0 = Math.round(12 * sr);
  const s1 = Math.round(13.5 * sr);
  const st = { i: 0, phase: 0, seed: 0x9e3779b9, step: 0, gain: 0, noise: 0 };
  return (out) => {
    // the state in locals for the loop (closure slots would box every double written)
    let { i, phase, seed, step, gain, noise } = st;
    for (let k = 0; k < out.length; k++, i++) {
      if ((i & 31) === 0) {
        const t = i / sr;
        const f0 = 210 + 120 * Math.sin(2 * Math.PI * 0.37 * t) * Math.sin(2 * Math.PI * 0.05 * t + 1);
        step = (WAVE_N * f0) / sr; // phase in table points, [0, WAVE_N)
        const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t + Math.sin(2 * Math.PI * 0.3 * t));
        const level = 0.02 + 0.2 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.11 * t));
        gain = level * env * 0.5;
        noise = level * 0.05;
      }
      phase += step;
      if (phase >= WAVE_N) phase -= WAVE_N;
      const p = Math.floor(phase);
      const v = wave[p] + (phase - p) * (wave[p + 1] - wave[p]);
      seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
      const m = i % period;
      out[k] = m >= s0 && m < s1 ? 0 : gain * v + noise * ((seed >>> 0) / 2 ** 32 - 0.5);
    }
    Object.assign(st, { i, phase, seed, step, gain, noise });
  };
}
