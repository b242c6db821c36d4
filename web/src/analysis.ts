/**
 * The app's use of the project's browser-safe core (in the analysis worker and the benchmark page):
 * backend start-up, model loading, the streaming engine (the same `createEmotionStream` as
 * `ser stream` in Node) for the microphone and for recordings. Nothing here sends audio anywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/model/backend.js';
import { loadBundleFromUrl, type ModelBundle } from '../../src/model/bundle.js';
import { createEmotionStream, type EmotionStream, type StreamEvent, type WarmupReport } from '../../src/stream/index.js';
import { SerError } from '../../src/errors.js';
import { loadFeatureWasm } from '../../src/features/index.js';
import { loadFlacWasm } from '../../src/audio/flac-wasm.js';
import { loadFftResampleWasm } from '../../src/dsp/fft-resample-wasm.js';

export type { StreamEvent, ModelBundle, EmotionStream };

export interface BackendInfo {
  name: string;
  /** wasm threads in use (1 when not cross-origin isolated). */
  threads: number;
  /** The browser offers wasm threads (SharedArrayBuffer + cross-origin isolation) and SIMD. */
  multithread: boolean;
  simd: boolean;
  crossOriginIsolated: boolean;
}

/** Starts tfjs: the wasm backend (threads when the page is cross-origin isolated), else cpu. */
export async function startBackend(wasmBase = new URL('tfjs/', document.baseURI).href): Promise<BackendInfo> {
  let name: string;
  const env = tf.env();
  const [multithread, simd] = await Promise.all([
    env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT').catch(() => false),
    env.getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => false),
  ]);
  // thread count: tfjs's default (its pthread pool holds min(4, cores / 2) workers)
  try {
    name = await initBackend('wasm', { wasmPaths: wasmBase });
  } catch (e) {
    console.warn('wasm backend failed, using cpu', e);
    name = await initBackend('cpu');
  }
  // the features', the FLAC decoder's and the frequency-domain resampler's SIMD modules (~20, ~8 and
  // ~5 kB): compiled asynchronously, as a page's main thread refuses synchronous compiles over 4 kB
  // (it would silently fall back to the other paths)
  await Promise.all([loadFeatureWasm().catch(() => false), loadFlacWasm().catch(() => false), loadFftResampleWasm().catch(() => false)]);
  let threads = 1;
  if (name === 'wasm') {
    try {
      threads = getThreadsCount();
    } catch {
      threads = 1;
    }
  }
  return { name: tf.getBackend() ?? name, threads, multithread: multithread === true, simd: simd === true, crossOriginIsolated: globalThis.crossOriginIsolated === true };
}

/** Loads a model bundle; errors become one sentence for the page. */
export async function loadModel(url: string): Promise<ModelBundle> {
  // a single-page-app fallback (Vite's dev server, many static hosts) answers a missing file with
  // index.html: count an HTML answer as missing
  const fetchNoHtml: typeof fetch = async (input, init) => {
    const r = await fetch(input, init);
    if (r.ok && (r.headers.get('content-type') ?? '').includes('text/html')) return new Response(null, { status: 404 });
    return r;
  };
  try {
    return await loadBundleFromUrl(url, fetchNoHtml);
  } catch (e) {
    if (e instanceof SerError && /missing/.test(e.message)) {
      throw new SerError('EMODEL', `${e.message}. No model is published at this address: train one with \`ser train\`, or open this page with ?model=URL of a model folder.`);
    }
    throw e;
  }
}

/** Stream settings shared by the microphone and file analysis. */
export const STREAM_HOP_SECONDS = 0.5;

/**
 * A streaming recogniser for pushed samples at `srIn` Hz (resampled inside the engine to the
 * model's rate). Speaker-normalised models: `speaker` continues an earlier stream's estimate of
 * the speaker's statistics (the microphone sessions of one page); default a new one.
 */
export function newStream(bundle: ModelBundle, srIn: number, speaker?: EmotionStream['speaker']): EmotionStream {
  return createEmotionStream({ bundle, sr_in: Math.round(srIn), hop_seconds: STREAM_HOP_SECONDS, smoothing: { type: 'ema', alpha: 0.5 }, speaker: speaker ?? undefined });
}

/**
 * Warms the streaming code up once for this thread (EmotionStream.warmup on a throw-away engine at
 * `srIn`): the optimised code and tfjs's kernel set-up serve every later engine, so a live
 * session's first hops are as fast as its later ones. Blocks the calling thread for about a second.
 */
export function warmUp(bundle: ModelBundle, srIn = 48000): WarmupReport {
  return newStream(bundle, srIn).warmup();
}

/**
 * Runs a whole recording through the streaming engine in 1-s pushes (yielding to the page between
 * them so progress can be drawn), then flush(). Returns every event.
 */
export async function analyseSamples(
  bundle: ModelBundle,
  y: Float32Array,
  sr: number,
  onProgress?: (fraction: number, events: StreamEvent[]) => void,
): Promise<StreamEvent[]> {
  const s = newStream(bundle, sr);
  const events: StreamEvent[] = [];
  const step = Math.max(1, Math.round(sr));
  for (let i = 0; i < y.length; i += step) {
    events.push(...s.push(y.subarray(i, Math.min(y.length, i + step))));
    onProgress?.(Math.min(1, (i + step) / y.length), events);
    await new Promise((r) => setTimeout(r, 0));
  }
  events.push(...s.flush());
  onProgress?.(1, events);
  return events;
}
