/**
 * Browser half of the streaming benchmark: headless Chromium (Debian's, through playwright-core)
 * runs the web app's streaming engine (web/src/bench.ts → createEmotionStream: in-engine resampling
 * from 48 kHz, frame features, z-score, model on the tfjs wasm backend, threads when cross-origin
 * isolated) on a 60-s speech-like signal pushed in 20-ms chunks, as the page's AudioWorklet does,
 * with the voice-activity gate off so that every hop runs the model, after the engine's warm-up
 * (EmotionStream.warmup, as the app's analysis worker does at start-up; its time is printed).
 *
 * Prints the per-hop latency (the push that completes a window: its resampling + features + model)
 * p50 / p99 / max, the other pushes' p99, the real-time factor, and the line
 * `browser_hop_p99_ms X` (target < 50 ms).
 *
 *   node --import tsx bench/stream-browser.ts [--model DIR] [--seconds 60] [--chunk-ms 20] [--sr-in 48000]
 *
 * The model: --model DIR, else models/default/ when it exists, else the default recipe
 * (defaultModelConfig, 3-s windows at 22050 Hz) with random weights — same cost as a trained one.
 * Other scripts (bench/stream.ts) can import {@link runBrowserStreamBench}.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { REPO, CHROMIUM, webBuild, serveStatic, launchChromium, randomBundle } from '../test/web/harness.js';

export interface BrowserStreamBenchOptions {
  model?: string;
  seconds?: number;
  chunk_ms?: number;
  sr_in?: number;
}

export interface BrowserStreamBenchResult {
  model: string;
  backend: string;
  threads: number;
  hops: number;
  hop_p50_ms: number;
  hop_p99_ms: number;
  hop_max_ms: number;
  other_p99_ms: number;
  /** Split of the hops: up to the window's features, and the model after them. */
  features_p50_ms: number;
  features_p99_ms: number;
  model_p50_ms: number;
  model_p99_ms: number;
  /** Processing time / audio duration. */
  real_time_factor: number;
  /** The engine's one-off warm-up before the stream (EmotionStream.warmup), wall ms. */
  warmup_ms: number;
  /** Renderer CPU seconds / wall seconds during the page's run (< 1: the tab waited for a core). */
  cpu_share: number;
  window_seconds: number;
  hop_seconds: number;
  sr_in: number;
  sr_model: number;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Runs the benchmark page in headless Chromium and returns the figures. */
export async function runBrowserStreamBench(o: BrowserStreamBenchOptions = {}): Promise<BrowserStreamBenchResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const shipped = join(REPO, 'models/default');
  const randomModel = !o.model && !existsSync(join(shipped, 'bundle.json'));
  const modelDir = o.model ? resolve(o.model) : randomModel ? await randomBundle('default') : shipped;
  const modelName = o.model ? modelDir : modelDir === shipped ? 'models/default' : 'default recipe, random weights';
  const dist = webBuild();
  const { url, server } = await serveStatic(dist, { '/bench-model/': modelDir });
  const browser = await launchChromium();
  try {
    const cdp = await browser.newBrowserCDPSession();
    const rendererCpu = async (): Promise<number> => {
      const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
      return info.processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0);
    };
    const page = await browser.newPage();
    await page.goto(url + 'bench.html');
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
    const cpu0 = await rendererCpu();
    const wall0 = performance.now();
    const r = await page.evaluate(
      (opts) => (window as unknown as { serBench: (o: unknown) => Promise<unknown> }).serBench(opts),
      { model: '/bench-model/', seconds: o.seconds ?? 60, chunk_ms: o.chunk_ms ?? 20, sr_in: o.sr_in ?? 48000 },
    ) as {
      backend: { name: string; threads: number };
      hop_ms: number[];
      features_ms: number[];
      model_ms: number[];
      other_ms: number[];
      total_ms: number;
      warmup_ms: number;
      window_seconds: number;
      hop_seconds: number;
      sr_in: number;
      sr_model: number;
    };
    const cpuShare = (await rendererCpu() - cpu0) / ((performance.now() - wall0) / 1000);
    return {
      model: modelName,
      cpu_share: cpuShare,
      backend: r.backend.name,
      threads: r.backend.threads,
      hops: r.hop_ms.length,
      hop_p50_ms: quantile(r.hop_ms, 0.5),
      hop_p99_ms: quantile(r.hop_ms, 0.99),
      hop_max_ms: Math.max(...r.hop_ms),
      other_p99_ms: quantile(r.other_ms, 0.99),
      features_p50_ms: quantile(r.features_ms, 0.5),
      features_p99_ms: quantile(r.features_ms, 0.99),
      model_p50_ms: quantile(r.model_ms, 0.5),
      model_p99_ms: quantile(r.model_ms, 0.99),
      real_time_factor: r.total_ms / 1000 / (o.seconds ?? 60),
      warmup_ms: r.warmup_ms,
      window_seconds: r.window_seconds,
      hop_seconds: r.hop_seconds,
      sr_in: r.sr_in,
      sr_model: r.sr_model,
    };
  } finally {
    await browser.close();
    server.close();
    if (randomModel) rmSync(dirname(modelDir), { recursive: true, force: true });
    if (dist !== join(REPO, 'dist-web')) rmSync(dist, { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const r = await runBrowserStreamBench({ model: arg('--model'), seconds: num(arg('--seconds')), chunk_ms: num(arg('--chunk-ms')), sr_in: num(arg('--sr-in')) });
  const f = (x: number) => x.toFixed(2);
  console.log(`model: ${r.model}; window ${r.window_seconds.toFixed(3)} s, hop ${r.hop_seconds.toFixed(4)} s; ${r.sr_in} Hz → ${r.sr_model} Hz`);
  console.log(`backend: ${r.backend} (${r.threads} thread${r.threads === 1 ? '' : 's'}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`hops: ${r.hops}; hop latency p50 ${f(r.hop_p50_ms)} ms, p99 ${f(r.hop_p99_ms)} ms, max ${f(r.hop_max_ms)} ms; other pushes p99 ${f(r.other_p99_ms)} ms`);
  console.log(`  of which resampling + features p50 ${f(r.features_p50_ms)} / p99 ${f(r.features_p99_ms)} ms, model p50 ${f(r.model_p50_ms)} / p99 ${f(r.model_p99_ms)} ms`);
  console.log(`real-time factor: ${r.real_time_factor.toFixed(4)} (processing time / audio time); engine warm-up before the stream ${r.warmup_ms.toFixed(0)} ms`);
  console.log(`renderer CPU share during the run: ${r.cpu_share.toFixed(2)} of a core (a loaded machine inflates wall times; p99 × share ≈ ${f(r.hop_p99_ms * Math.min(1, r.cpu_share))} ms is a rough unloaded estimate)`);
  console.log(`browser_hop_p99_ms ${f(r.hop_p99_ms)}`);
}
