/**
 * Browser streaming benchmark harness (driven by bench/stream-browser.ts through headless Chromium):
 * runs the page's streaming engine (the same code as the app: resampling, features, model) on a
 * synthetic speech-like signal pushed in small chunks, as the AudioWorklet delivers them, and
 * returns the time of every push that completed a window (= one hop's work).
 */
import { startBackend, loadModel, type BackendInfo } from './analysis.js';
import { createEmotionStream } from '../../src/stream/index.js';

export interface BenchOptions {
  /** Model folder URL. */
  model: string;
  /** Signal length in seconds. Default 60. */
  seconds?: number;
  /** Push size in milliseconds. Default 20. */
  chunk_ms?: number;
  /** Rate of the pushed samples (a microphone's). Default 48000. */
  sr_in?: number;
  hop_seconds?: number;
}

export interface BenchResult {
  backend: BackendInfo;
  sr_in: number;
  sr_model: number;
  window_seconds: number;
  hop_seconds: number;
  chunks: number;
  /** ms of each push that produced ≥ 1 event (one hop's work: resample + features + model). */
  hop_ms: number[];
  /** Of those with one event: ms up to the window's features (resampling + features), and after (z-score + model + smoothing). */
  features_ms: number[];
  model_ms: number[];
  /** ms of the other pushes (resampling + frame features only). */
  other_ms: number[];
  events: number;
  total_ms: number;
  /** The engine's warm-up before the stream (EmotionStream.warmup): wall ms and hops. */
  warmup_ms: number;
  warmup_hops: number;
}

/** Vowel-like test signal: a gliding harmonic series with syllable-rate amplitude modulation + noise. */
function speechLike(n: number, sr: number): Float32Array {
  const y = new Float32Array(n);
  let s = 12345;
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const f0 = 120 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / sr;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(h * phase) / h;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    y[i] = 0.15 * env * v + 0.01 * (s / 2 ** 32 - 0.5);
  }
  return y;
}

async function serBench(o: BenchOptions): Promise<BenchResult> {
  const backend = await startBackend();
  const bundle = await loadModel(new URL(o.model, document.baseURI).href);
  const srIn = o.sr_in ?? 48000;
  const seconds = o.seconds ?? 60;
  const chunk = Math.max(1, Math.round(((o.chunk_ms ?? 20) * srIn) / 1000));
  const y = speechLike(Math.round(seconds * srIn), srIn);
  // every hop runs the model (no voice-activity gate), as during continuous speech
  let tWindow = 0;
  const stream = createEmotionStream({ bundle, sr_in: srIn, hop_seconds: o.hop_seconds ?? 0.5, vad: false, onWindow: () => (tWindow = performance.now()) });
  // the engine's warm-up (as the app's analysis worker does at start-up), timed on its own
  const warmup = stream.warmup();
  const hop: number[] = [];
  const features: number[] = [];
  const model: number[] = [];
  const other: number[] = [];
  let events = 0;
  let chunks = 0;
  const t0 = performance.now();
  for (let i = 0; i < y.length; i += chunk) {
    const a = performance.now();
    const ev = stream.push(y.subarray(i, Math.min(y.length, i + chunk)));
    const b = performance.now();
    chunks++;
    events += ev.length;
    if (ev.length === 1) {
      hop.push(b - a);
      features.push(tWindow - a);
      model.push(b - tWindow);
    } else if (ev.length > 1) hop.push(b - a);
    else other.push(b - a);
  }
  events += stream.flush().length;
  const total = performance.now() - t0;
  const result: BenchResult = {
    backend,
    sr_in: srIn,
    sr_model: stream.sr,
    window_seconds: stream.window_seconds,
    hop_seconds: stream.hop_seconds,
    chunks,
    hop_ms: hop,
    features_ms: features,
    model_ms: model,
    other_ms: other,
    events,
    total_ms: total,
    warmup_ms: warmup.ms,
    warmup_hops: warmup.hops,
  };
  (document.getElementById('out') as HTMLElement).textContent = `${events} events, ${total.toFixed(0)} ms`;
  return result;
}

(window as unknown as { serBench: typeof serBench }).serBench = serBench;
document.body.dataset.ready = 'true';
