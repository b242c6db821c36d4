/**
 * Real-time streaming benchmark (`npm run bench:stream [-- --rate 48000|22050] [-- --seconds 60] [-- --backend wasm|cpu]`).
 *
 * A 60-s signal made of RAVDESS recordings (../shared/data/ravdess, 48 kHz; without them the
 * librosa fixture clips, resampled) is pushed in 20-ms chunks through createEmotionStream with the
 * default feature config (227 columns, 3-s windows, 0.5-s hop → 21 STFT hops = 0.4876 s) and a
 * default-architecture CNN-LSTM: models/default when present, else a randomly initialised model
 * (which one is printed). The input rate defaults to 48000 Hz, so the streaming resampler is part
 * of the measurement (`--rate 22050` feeds the model rate directly).
 *
 * Prints the latency of the push() calls that complete a hop (feature window + model + smoothing;
 * p50 / p99 / max in ms), the time of the other pushes, and the real-time factor (processing time ÷
 * audio time), ending with the lines `node_rtf X` and `node_hop_p99_ms X`.
 * Targets: node_rtf ≤ 0.02 and node_hop_p99_ms < 20.
 *
 * BROWSER HOOK: `benchStream(engine, signal, chunkSamples)` below is environment-agnostic (it uses
 * only `performance.now()` and the browser-safe engine), so a browser harness can import it,
 * build the engine from a bundle fetched with loadBundleFromUrl, and print `browser_rtf X` /
 * `browser_hop_p99_ms X` the same way. Everything Node-specific is in `main()` (dynamic imports).
 */
import type { EmotionStream } from '../src/stream/engine.js';

export interface StreamBenchResult {
  /** Seconds of audio pushed. */
  audioSeconds: number;
  /** Total processing time (ms) of all push() calls + flush(). */
  totalMs: number;
  /** Latency (ms) of each push() that produced at least one event. */
  hopMs: number[];
  /** Latency (ms) of the pushes that produced no event. */
  otherMs: number[];
  events: number;
  speechEvents: number;
  rtf: number;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Pushes `signal` (at the engine's input rate `srIn`) in chunks of `chunkSamples`; times every call. */
export function benchStream(engine: EmotionStream, signal: Float32Array, chunkSamples: number, srIn: number): StreamBenchResult {
  const hopMs: number[] = [];
  const otherMs: number[] = [];
  let total = 0;
  let events = 0;
  let speech = 0;
  for (let i = 0; i < signal.length; i += chunkSamples) {
    const chunk = signal.subarray(i, i + chunkSamples);
    const t0 = performance.now();
    const ev = engine.push(chunk);
    const dt = performance.now() - t0;
    total += dt;
    (ev.length ? hopMs : otherMs).push(dt);
    events += ev.length;
    speech += ev.filter((e) => e.speech).length;
  }
  const t0 = performance.now();
  const ev = engine.flush();
  total += performance.now() - t0;
  events += ev.length;
  speech += ev.filter((e) => e.speech).length;
  const audioSeconds = signal.length / srIn;
  return { audioSeconds, totalMs: total, hopMs, otherMs, events, speechEvents: speech, rtf: total / 1000 / audioSeconds };
}

async function main(): Promise<void> {
  const { existsSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { loadAudioSync } = await import('../src/audio/load.js');
  const { resample } = await import('../src/dsp/resample.js');
  const { initBackend } = await import('../src/model/backend.js');
  const { createEmotionStream } = await import('../src/stream/engine.js');
  const { normalizeFeatureConfig, extractFeatures } = await import('../src/features/index.js');
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const srIn = Number(opt('--rate') ?? 48000);
  const seconds = Number(opt('--seconds') ?? 60);
  const backend = (opt('--backend') ?? 'wasm') as 'wasm' | 'cpu';
  await initBackend(backend);

  // --- the signal: RAVDESS recordings (48 kHz) concatenated up to `seconds`
  const shared = fileURLToPath(new URL('../../shared/', import.meta.url));
  const ravdess = join(shared, 'data/ravdess');
  const parts: Float32Array[] = [];
  let have = 0;
  const want = Math.round(seconds * srIn);
  let source: string;
  if (existsSync(ravdess)) {
    source = 'RAVDESS recordings';
    outer: for (const actor of readdirSync(ravdess).sort()) {
      if (!actor.startsWith('Actor_')) continue;
      for (const f of readdirSync(join(ravdess, actor)).sort()) {
        if (!f.endsWith('.flac')) continue;
        const y = loadAudioSync(join(ravdess, actor, f), { sr: srIn }).y;
        parts.push(y);
        have += y.length;
        if (have >= want) break outer;
      }
    }
  } else {
    source = 'librosa fixture clips';
    const dir = join(shared, 'fixtures/librosa-0.11');
    const names = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
    while (have < want) {
      for (const f of names) {
        const y = loadAudioSync(join(dir, f), { sr: srIn }).y;
        parts.push(y);
        have += y.length;
      }
    }
  }
  const signal = new Float32Array(want);
  let o = 0;
  for (const p of parts) {
    if (o >= want) break;
    signal.set(p.subarray(0, want - o), o);
    o += p.length;
  }

  // --- the model: models/default, else a random default-architecture CNN-LSTM
  const modelDir = fileURLToPath(new URL('../models/default', import.meta.url));
  let engineOpts: Parameters<typeof createEmotionStream>[0];
  let modelDesc: string;
  let dispose = (): void => undefined;
  if (existsSync(join(modelDir, 'bundle.json'))) {
    const { loadBundle } = await import('../src/model/bundle-node.js');
    const { disposeBundle } = await import('../src/model/bundle.js');
    const bundle = await loadBundle(modelDir);
    dispose = () => disposeBundle(bundle);
    modelDesc = `models/default (${bundle.meta.labels.length} classes, input ${bundle.meta.input_shape.join('×')})`;
    engineOpts = { bundle, sr_in: srIn };
  } else {
    const { buildModel } = await import('../src/model/build.js');
    const { defaultModelConfig } = await import('../src/model/config.js');
    const fc = normalizeFeatureConfig({ sr: 22050 });
    const probe = extractFeatures(new Float32Array(3 * 22050), 22050, fc);
    const labels = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
    const model = buildModel(defaultModelConfig, [probe.rows, probe.cols], labels.length);
    dispose = () => model.dispose();
    modelDesc = `randomly initialised default CNN-LSTM (models/default not found; input ${probe.rows}×${probe.cols}, ${labels.length} classes)`;
    engineOpts = { model, feature_config: fc, labels, stats: null, sr_in: srIn, window_seconds: 3 };
  }
  const chunk = Math.round(0.02 * srIn);
  // warm-up on 4 s (JIT, wasm kernels, model first call), not measured
  {
    const warm = createEmotionStream({ ...engineOpts, vad: false });
    benchStream(warm, signal.subarray(0, Math.min(signal.length, 4 * srIn)), chunk, srIn);
  }
  const engine = createEmotionStream({ ...engineOpts, vad: false });
  const cpu0 = process.cpuUsage();
  const r = benchStream(engine, signal, chunk, srIn);
  const cpu = process.cpuUsage(cpu0);
  dispose();
  const f = (x: number): string => x.toFixed(2);
  console.log(`signal: ${r.audioSeconds.toFixed(1)} s of ${source} at ${srIn} Hz, pushed in ${chunk}-sample (20 ms) chunks`);
  console.log(`model: ${modelDesc}; backend ${backend}`);
  console.log(`engine: window ${engine.window_seconds} s, hop ${engine.hop_seconds.toFixed(4)} s (${engine.hop_samples} samples at ${engine.sr} Hz), VAD off (every window classified)`);
  console.log(`events: ${r.events} (${r.speechEvents} classified)`);
  console.log(`hop pushes (window + model): n=${r.hopMs.length} p50 ${f(percentile(r.hopMs, 50))} ms  p99 ${f(percentile(r.hopMs, 99))} ms  max ${f(Math.max(...r.hopMs))} ms`);
  console.log(`other pushes (buffer + resampler): n=${r.otherMs.length} p50 ${f(percentile(r.otherMs, 50))} ms  p99 ${f(percentile(r.otherMs, 99))} ms`);
  console.log(`processing ${f(r.totalMs)} ms for ${r.audioSeconds.toFixed(1)} s of audio (process cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`);
  // wall-clock figures suffer when other processes share the cores; the CPU figure does less
  console.log(`cpu_rtf ${((cpu.user + cpu.system) / 1000 / 1000 / r.audioSeconds).toFixed(4)}  (process CPU time ÷ audio time; includes GC and tfjs threads)`);
  console.log(`node_rtf ${r.rtf.toFixed(4)}`);
  console.log(`node_hop_p99_ms ${f(percentile(r.hopMs, 99))}`);
}

const isMain = process.argv[1] !== undefined && /bench[\\/]stream\.ts$/.test(process.argv[1]);
if (isMain) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
