/**
 * Real-time streaming benchmark (`npm run bench:stream [-- --rate 48000|22050] [-- --seconds 60]
 * [-- --backend wasm|cpu] [-- --runs 3] [-- --warmup SECONDS] [-- --no-browser]`).
 *
 * A 60-s signal made of RAVDESS recordings (../shared/data/ravdess, 48 kHz; without them the
 * librosa fixture clips, resampled) is pushed in 20-ms chunks through createEmotionStream with the
 * default feature config (227 columns, 3-s windows, 0.5-s hop → 21 STFT hops = 0.4876 s) and a
 * default-architecture CNN-LSTM: models/default when present (with its own normalisation), else a
 * randomly initialised model (which one is printed). The input rate defaults to 48000 Hz, so the
 * streaming resampler is part of the measurement (`--rate 22050` feeds the model rate directly).
 * Measured: the latency of the push() calls that complete a hop (resampling + window features +
 * model + normalisation + smoothing; p10 / p50 / p99 / max in ms), split into window features /
 * model call / the rest, the other pushes, and the real-time factor (processing time ÷ audio time).
 *
 * The headline is what a freshly started `ser listen` / `ser stream --raw` sees: `--runs` fresh
 * processes (one at a time), each loading the model, creating an engine, warming it up
 * (EmotionStream.warmup, default length; its one-off cost is printed as `node_warmup_ms`) and
 * streaming the signal once: `node_rtf`, `node_hop_p50_ms`, `node_hop_p99_ms` (median over the
 * runs of each run's p99, with the range). Each process then streams the signal once more (a new
 * engine): that stream is the process's steady state (`node_hop_p99_steady_ms`), and the first 10
 * hops of the measured stream are compared with its first 10 (a ratio within one process, less
 * sensitive to other processes than absolute times). For comparison, as many fresh processes
 * without the warm-up (`node_hop_p99_cold_ms`: JS tier-up and tfjs set-up make a cold process's
 * first ~10 hops 2–10× slower). Then (unless --no-browser, or Debian's chromium is missing) the same
 * stream in headless Chromium (bench/stream-browser.ts), ending with `browser_hop_p99_ms X`.
 * Targets: node_rtf ≤ 0.02, node_hop_p99_ms < 20, browser_hop_p99_ms < 50. Wall-clock figures
 * need an idle machine: the load average is printed next to them (a run's p99 is its 2nd-slowest
 * of ~117 hops, so one preemption by another process shows up in it).
 *
 * BROWSER HOOK: `benchStream(engine, signal, chunkSamples)` below is environment-agnostic (it uses
 * only `performance.now()` and the browser-safe engine). Everything Node-specific is in `main()`
 * (dynamic imports). Internal: `--child FILE [--cold]` is one fresh-process run (prints JSON).
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

/**
 * Pushes `signal` (at the engine's input rate `srIn`) in chunks of `chunkSamples`; times every call.
 * `onPushStart(t)` (optional) receives the performance.now() at which each push starts, so that
 * callbacks of the engine (onWindow, a classifier function) can split a push's time.
 */
export function benchStream(
  engine: EmotionStream,
  signal: Float32Array,
  chunkSamples: number,
  srIn: number,
  onPushStart?: (t: number) => void,
): StreamBenchResult {
  const hopMs: number[] = [];
  const otherMs: number[] = [];
  let total = 0;
  let events = 0;
  let speech = 0;
  for (let i = 0; i < signal.length; i += chunkSamples) {
    const chunk = signal.subarray(i, i + chunkSamples);
    const t0 = performance.now();
    onPushStart?.(t0);
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

type ModelParts = {
  model: import('@tensorflow/tfjs-layers').LayersModel;
  engineParts: {
    feature_config: import('../src/features/index.js').FeatureConfig;
    stats: null;
    normalization?: import('../src/model/normalizer.js').BundleNormalization;
    labels: string[];
    window_seconds: number;
  };
  desc: string;
  dispose: () => void;
};

/** models/default when present (with its own normalisation, any mode), else a random default-architecture CNN-LSTM. */
async function loadModelParts(): Promise<ModelParts> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { normalizeFeatureConfig, extractFeatures } = await import('../src/features/index.js');
  const modelDir = fileURLToPath(new URL('../models/default', import.meta.url));
  if (existsSync(join(modelDir, 'bundle.json'))) {
    const { loadBundle } = await import('../src/model/bundle-node.js');
    const { disposeBundle } = await import('../src/model/bundle.js');
    const bundle = await loadBundle(modelDir);
    return {
      model: bundle.model,
      // the bundle's own normalisation (a speaker-normalised model gets the running speaker
      // estimate, as in `ser stream`), not just its global-stage statistics
      engineParts: { feature_config: normalizeFeatureConfig(bundle.meta.feature_config), stats: null, normalization: bundle.meta.normalization, labels: bundle.meta.labels, window_seconds: bundle.meta.clip_seconds },
      desc: `models/default (${bundle.meta.labels.length} classes, input ${bundle.meta.input_shape.join('×')}, ${bundle.meta.normalization.mode} normalisation)`,
      dispose: () => disposeBundle(bundle),
    };
  }
  const { buildModel } = await import('../src/model/build.js');
  const { defaultModelConfig } = await import('../src/model/config.js');
  const fc = normalizeFeatureConfig({ sr: 22050 });
  const probe = extractFeatures(new Float32Array(3 * 22050), 22050, fc);
  const labels = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
  const m = buildModel(defaultModelConfig, [probe.rows, probe.cols], labels.length);
  return {
    model: m,
    engineParts: { feature_config: fc, stats: null, labels, window_seconds: 3 },
    desc: `randomly initialised default CNN-LSTM (models/default not found; input ${probe.rows}×${probe.cols}, ${labels.length} classes)`,
    dispose: () => m.dispose(),
  };
}

/** One measured stream: latencies, their split, CPU time, and the warm-up before it (if any). */
interface RunResult {
  r: StreamBenchResult;
  split: { features: number[]; model: number[]; rest: number[] };
  cpuMs: number;
  /** The warm-up before the stream (wall ms, hops, audio seconds, process CPU ms), if any. */
  warmup: { ms: number; hops: number; seconds: number; cpuMs: number } | null;
  desc: string;
  engine: { window_seconds: number; hop_seconds: number; hop_samples: number; sr: number };
}

/**
 * The timing probe: one classifier function and one onWindow callback for every engine of the
 * process (as the engines built from one bundle share their model), so that a later engine's call
 * sites see the same callbacks. split of each hop push: [push start → onWindow] = resampling +
 * window features, the classifier call = the model, the rest = normalisation, smoothing, events.
 */
const probe = {
  timing: false,
  pushStart: 0,
  model: null as import('@tensorflow/tfjs-layers').LayersModel | null,
  predict: null as ((m: import('@tensorflow/tfjs-layers').LayersModel, x: Float32Array, n: number, b: number) => Float32Array) | null,
  split: { features: [] as number[], model: [] as number[], rest: [] as number[] },
};
function probeClassify(x: Float32Array): Float32Array {
  const t0 = performance.now();
  const p = probe.predict!(probe.model!, x, 1, 1);
  if (probe.timing) probe.split.model.push(performance.now() - t0);
  return p;
}
function probePushStart(t: number): void {
  probe.pushStart = t;
}
function probeOnWindow(): void {
  if (probe.timing) probe.split.features.push(performance.now() - probe.pushStart);
}

/**
 * Creates an engine (model as a classifier function that calls predictProbabilities as the
 * engine's own LayersModel path does, so that the model call can be timed on its own), optionally
 * warms it up (`warmupSeconds`, not timed per hop), and measures one stream over `signal`.
 */
async function measureStream(parts: ModelParts, signal: Float32Array, srIn: number, warmupSeconds: number | null): Promise<RunResult> {
  const { createEmotionStream } = await import('../src/stream/engine.js');
  const { predictProbabilities } = await import('../src/model/train.js');
  probe.model = parts.model;
  probe.predict = predictProbabilities;
  const split = (probe.split = { features: [] as number[], model: [] as number[], rest: [] as number[] });
  const classify = probeClassify;
  const onWindow = probeOnWindow;
  const engineOpts = { model: classify, ...parts.engineParts, sr_in: srIn, vad: false as const, onWindow };
  const chunk = Math.round(0.02 * srIn);
  const engine = createEmotionStream(engineOpts);
  const wcpu0 = process.cpuUsage();
  const warmup = warmupSeconds === null ? null : { ...engine.warmup(warmupSeconds), cpuMs: 0 };
  if (warmup) {
    const c = process.cpuUsage(wcpu0);
    warmup.cpuMs = (c.user + c.system) / 1000;
  }
  probe.timing = true;
  const cpu0 = process.cpuUsage();
  const r = benchStream(engine, signal, chunk, srIn, probePushStart);
  const cpu = process.cpuUsage(cpu0);
  probe.timing = false;
  // 20-ms pushes are shorter than a hop: each hop push completed exactly one window, in order
  // (the flush window, not a hop push, is last)
  for (let i = 0; i < r.hopMs.length; i++) split.rest.push(r.hopMs[i] - split.features[i] - split.model[i]);
  return {
    r,
    split,
    cpuMs: (cpu.user + cpu.system) / 1000,
    warmup,
    desc: parts.desc,
    engine: { window_seconds: engine.window_seconds, hop_seconds: engine.hop_seconds, hop_samples: engine.hop_samples, sr: engine.sr },
  };
}

/**
 * Child mode: a fresh process measures one stream (signal from a raw float32 file; after the
 * warm-up unless `warmupSeconds` is null), then a second stream in the same process (a new engine
 * over the same signal: the reference for that process's warmed-up state), and prints
 * {first, next} as JSON.
 */
async function child(signalFile: string, srIn: number, backend: 'wasm' | 'cpu', warmupSeconds: number | null): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { initBackend } = await import('../src/model/backend.js');
  const b = readFileSync(signalFile);
  const signal = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  await initBackend(backend);
  const parts = await loadModelParts();
  const first = await measureStream(parts, signal, srIn, warmupSeconds);
  const next = await measureStream(parts, signal, srIn, null);
  parts.dispose();
  process.stdout.write(JSON.stringify({ first, next }) + '\n');
}

async function main(): Promise<void> {
  const { existsSync, readdirSync, writeFileSync, rmSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir, loadavg } = await import('node:os');
  const { fileURLToPath } = await import('node:url');
  const { execFileSync } = await import('node:child_process');
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const srIn = Number(opt('--rate') ?? 48000);
  const seconds = Number(opt('--seconds') ?? 60);
  const backend = (opt('--backend') ?? 'wasm') as 'wasm' | 'cpu';
  const { WARMUP_SECONDS } = await import('../src/stream/engine.js');
  const warmupSeconds = Number(opt('--warmup') ?? WARMUP_SECONDS);
  const runs = Number(opt('--runs') ?? 3);
  if (opt('--child') !== undefined) {
    await child(opt('--child')!, srIn, backend, args.includes('--cold') ? null : warmupSeconds);
    return;
  }
  const { loadAudioSync } = await import('../src/audio/load.js');

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

  // --- 1. fresh processes (the headline): each loads the model, creates an engine, warms it up as
  // `ser listen` / `ser stream --raw` do (or not: --cold), and streams the signal once. Warm and
  // cold runs alternate, one process at a time.
  const tmp = mkdtempSync(join(tmpdir(), 'ser-bench-stream-'));
  const sigFile = join(tmp, 'signal.f32');
  writeFileSync(sigFile, new Uint8Array(signal.buffer, signal.byteOffset, signal.byteLength));
  const self = fileURLToPath(import.meta.url);
  const spawnRun = (cold: boolean): { first: RunResult; next: RunResult } => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', sigFile, '--rate', String(srIn), '--backend', backend, '--warmup', String(warmupSeconds), ...(cold ? ['--cold'] : [])], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as { first: RunResult; next: RunResult };
  };
  const warmRuns: { first: RunResult; next: RunResult }[] = [];
  const coldRuns: { first: RunResult; next: RunResult }[] = [];
  const load0 = loadavg()[0];
  try {
    for (let k = 0; k < runs; k++) {
      warmRuns.push(spawnRun(false));
      coldRuns.push(spawnRun(true));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const warm = warmRuns.map((x) => x.first);
  const cold = coldRuns.map((x) => x.first);
  // the steady state: the stream after the measured one in each warmed-up process
  const steadyRuns = warmRuns.map((x) => x.next);
  const steady = steadyRuns[0];

  const f = (x: number): string => x.toFixed(2);
  const median = (xs: number[]): number => percentile(xs, 50);
  const range = (xs: number[], d = 2): string => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
  const q = (xs: number[]): string => `${f(percentile(xs, 10))} / ${f(percentile(xs, 50))} / ${f(percentile(xs, 99))}`;
  const e = steady.engine;
  const hops = (x: RunResult): number[] => x.r.hopMs;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  /** Mean of the first 10 hops of the measured stream ÷ the same of the next stream in its process. */
  const early = (x: { first: RunResult; next: RunResult }): string => (mean(hops(x.first).slice(0, 10)) / mean(hops(x.next).slice(0, 10))).toFixed(2);
  console.log(`signal: ${steady.r.audioSeconds.toFixed(1)} s of ${source} at ${srIn} Hz, pushed in ${Math.round(0.02 * srIn)}-sample (20 ms) chunks`);
  console.log(`model: ${steady.desc}; backend ${backend}; load average ${load0.toFixed(2)} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`);
  console.log(`engine: window ${e.window_seconds} s, hop ${e.hop_seconds.toFixed(4)} s (${e.hop_samples} samples at ${e.sr} Hz), VAD off (every window classified); ${steady.r.events} events`);
  console.log(`fresh process + warm-up (as \`ser listen\` / \`ser stream --raw\`), ${runs} runs, one process at a time:`);
  const w0 = warm.map((x) => x.warmup!);
  console.log(`  warm-up: ${range(w0.map((w) => w.ms), 0)} ms (process CPU ${range(w0.map((w) => w.cpuMs), 0)} ms) for ${w0[0].seconds} s of synthetic audio (${w0[0].hops} hops), once per engine, before the first sample`);
  for (const [k, x] of warm.entries()) {
    console.log(
      `  run ${k + 1}: hop p10 ${f(percentile(hops(x), 10))}  p50 ${f(percentile(hops(x), 50))}  p99 ${f(percentile(hops(x), 99))}  max ${f(Math.max(...hops(x)))} ms; ` +
        `first 3 hops ${hops(x).slice(0, 3).map(f).join(' ')} ms; rtf ${x.r.rtf.toFixed(4)}, cpu_rtf ${(x.cpuMs / 1000 / x.r.audioSeconds).toFixed(4)}; ` +
        `next stream in the process: p50 ${f(percentile(hops(steadyRuns[k]), 50))}  p99 ${f(percentile(hops(steadyRuns[k]), 99))} ms; first 10 hops ${early(warmRuns[k])}× the next stream's`,
    );
  }
  const all = warm.flatMap(hops);
  console.log(`  split over all runs p10 / p50 / p99: resampling + window features ${q(warm.flatMap((x) => x.split.features))} ms, model ${q(warm.flatMap((x) => x.split.model))} ms, normalisation + smoothing ${q(warm.flatMap((x) => x.split.rest))} ms`);
  console.log(`  other pushes (buffer + resampler + frames computed ahead): p50 ${f(percentile(warm.flatMap((x) => x.r.otherMs), 50))} ms  p99 ${f(percentile(warm.flatMap((x) => x.r.otherMs), 99))} ms`);
  console.log(
    `fresh process without warm-up (--no-warmup), ${runs} runs: hop p99 ${cold.map((x) => f(percentile(hops(x), 99))).join(' / ')} ms, max ${cold.map((x) => f(Math.max(...hops(x)))).join(' / ')} ms, ` +
      `first 3 hops (run 1) ${hops(cold[0]).slice(0, 3).map(f).join(' ')} ms, rtf ${cold.map((x) => x.r.rtf.toFixed(4)).join(' / ')}; first 10 hops ${coldRuns.map(early).join(' / ')}× the next stream's`,
  );
  console.log(
    `steady state (the stream after the measured one, in each warmed-up process): hop p10 ${steadyRuns.map((x) => f(percentile(hops(x), 10))).join(' / ')}  p50 ${steadyRuns.map((x) => f(percentile(hops(x), 50))).join(' / ')}  ` +
      `p99 ${steadyRuns.map((x) => f(percentile(hops(x), 99))).join(' / ')} ms; rtf ${steadyRuns.map((x) => x.r.rtf.toFixed(4)).join(' / ')}  (p10 ≈ the cost when no other process competes for the core)`,
  );
  console.log(`node_warmup_ms ${f(median(w0.map((w) => w.ms)))}`);
  console.log(`node_hop_p99_cold_ms ${f(median(cold.map((x) => percentile(hops(x), 99))))}`);
  console.log(`node_hop_p99_steady_ms ${f(median(steadyRuns.map((x) => percentile(hops(x), 99))))}`);
  console.log(`node_rtf ${median(warm.map((x) => x.r.rtf)).toFixed(4)}`);
  console.log(`node_hop_p50_ms ${f(percentile(all, 50))}`);
  console.log(`node_hop_p99_ms ${f(median(warm.map((x) => percentile(hops(x), 99))))}  (median of the runs' p99; range ${range(warm.map((x) => percentile(hops(x), 99)))})`);
  if (!args.includes('--no-browser')) {
    const { runBrowserStreamBench } = await import('./stream-browser.js');
    const { CHROMIUM } = await import('../test/web/harness.js');
    if (!existsSync(CHROMIUM)) {
      console.log(`browser: skipped (${CHROMIUM} is missing)`);
    } else {
      const b = await runBrowserStreamBench({ seconds, sr_in: srIn });
      console.log(`browser (${b.backend}, ${b.threads} thread${b.threads === 1 ? '' : 's'}): warm-up ${b.warmup_ms.toFixed(0)} ms; hop p50 ${f(b.hop_p50_ms)} ms, p99 ${f(b.hop_p99_ms)} ms; resampling + features p50 ${f(b.features_p50_ms)} ms, model p50 ${f(b.model_p50_ms)} ms; rtf ${b.real_time_factor.toFixed(4)}; renderer CPU share ${b.cpu_share.toFixed(2)}`);
      console.log(`browser_hop_p99_ms ${f(b.hop_p99_ms)}`);
    }
  }
}

const isMain = process.argv[1] !== undefined && /bench[\\/]stream\.ts$/.test(process.argv[1]);
if (isMain) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
