/**
 * HTTP load benchmark of `ser serve`.
 *
 *   npm run bench:serve [-- --duration 30 --connections 50 --engine inline|workers
 *                          --concurrency 2 --queue 16 --model DIR]
 *
 * Starts `ser serve` from source on 127.0.0.1 (a free port) with the model from --model, else
 * models/default when present, else a model of the DEFAULT architecture (defaultModelConfig,
 * default 227-feature config at 22050 Hz, 3-s clips, 8 labels) with random weights written to a
 * temp folder — the speed is that of a trained model of the same shape. Then autocannon runs
 * `connections` clients posting a 3-s 16-bit WAV clip (48 kHz, so resampling is included) to
 * /v1/predict for `duration` seconds, and the script prints throughput, latency p50 / p99 of all
 * answers and of the 200s, errors (connection errors and timeouts) and the answers by status
 * (503 = refused because the bounded queue was full: expected beyond concurrency + queue
 * clients). It stops the server with SIGTERM (graceful) and exits by itself. Loopback only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { encodeWav } from '../src/audio/wav-write.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
const duration = Number(arg('duration', '30'));
const connections = Number(arg('connections', '50'));
const engine = arg('engine', 'inline');
const concurrency = Number(arg('concurrency', '2'));
const queue = Number(arg('queue', '16'));
const timeoutMs = Number(arg('timeout-ms', '30000'));

async function randomDefaultModel(dir: string): Promise<void> {
  const { initBackend } = await import('../src/model/backend.js');
  const { buildModel } = await import('../src/model/build.js');
  const { defaultModelConfig } = await import('../src/model/config.js');
  const { defaultFeatureConfig, extractFeatures } = await import('../src/features/index.js');
  const { fitZScore } = await import('../src/data/preprocess.js');
  const { saveBundle } = await import('../src/model/bundle-node.js');
  await initBackend('wasm');
  const sr = defaultFeatureConfig.sr;
  const clip = 3;
  const mats = [220, 440, 880].map((f) => {
    const y = new Float32Array(clip * sr);
    for (let i = 0; i < y.length; i++) y[i] = 0.3 * Math.sin((2 * Math.PI * f * i) / sr) + 0.01 * Math.sin(i * 12.9898);
    const m = extractFeatures(y, sr, defaultFeatureConfig);
    return { rows: m.rows, cols: m.cols, data: m.data };
  });
  const labels = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
  const model = buildModel(defaultModelConfig, [mats[0].rows, mats[0].cols], labels.length);
  await saveBundle(dir, {
    model,
    labels,
    sampleRate: sr,
    clipSeconds: clip,
    featureConfig: defaultFeatureConfig,
    normalization: fitZScore(mats),
    modelConfig: defaultModelConfig,
    training: { command: 'bench/serve.ts (random weights)', protocol: { name: 'none' }, data: null, seed: 1234 },
  });
  model.dispose();
}

function speechLike(seconds: number, sr: number): Float32Array {
  // a 3-s vowel-like signal: harmonics of a gliding 120–180 Hz pitch, amplitude-modulated syllables
  const y = new Float32Array(Math.round(seconds * sr));
  let phase = 0;
  for (let i = 0; i < y.length; i++) {
    const t = i / sr;
    const f0 = 150 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / sr;
    let s = 0;
    for (let h = 1; h <= 8; h++) s += Math.sin(h * phase) / h;
    y[i] = 0.2 * s * (0.55 + 0.45 * Math.sin(2 * Math.PI * 3 * t));
  }
  return y;
}

async function main(): Promise<void> {
  let modelDir = process.argv.includes('--model') ? arg('model', '') : existsSync(join(ROOT, 'models/default')) ? join(ROOT, 'models/default') : '';
  let tmp: string | null = null;
  let modelNote: string;
  if (modelDir) modelNote = `model ${modelDir}`;
  else {
    tmp = await mkdtemp(join(tmpdir(), 'ser-bench-serve-'));
    modelDir = join(tmp, 'model');
    process.stdout.write('no models/default: building a default-architecture model with random weights ... ');
    await randomDefaultModel(modelDir);
    process.stdout.write('done\n');
    modelNote = 'default architecture (Conv1D 64/128 + LSTM 128 + Dense 64, 130×227 input), random weights';
  }
  const body = Buffer.from(encodeWav(speechLike(3, 48000), 48000, { format: 's16' }));

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--model', modelDir, '--engine', engine, '--concurrency', String(concurrency), '--queue', String(queue), '--timeout-ms', String(timeoutMs)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start within 60 s')), 60000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => reject(new Error('server exited before listening')));
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // warm-up: one prediction per inference slot
    const w0 = performance.now();
    const warm = await Promise.all(
      Array.from({ length: concurrency }, () => fetch(`${url}/v1/predict`, { method: 'POST', body, headers: { 'content-type': 'audio/wav' } }).then((r) => r.status)),
    );
    const warmMs = performance.now() - w0;
    console.log(`server: ${engine} engine × ${concurrency}, queue ${queue}, timeout ${timeoutMs} ms; ${modelNote}`);
    console.log(`warm-up: ${warm.join(', ')} in ${warmMs.toFixed(0)} ms; load: ${connections} clients × ${duration} s posting a 3-s 48 kHz 16-bit WAV (${body.length} bytes)`);

    const res = await autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      headers: { 'content-type': 'audio/wav' },
      body,
      connections,
      duration,
      timeout: Math.ceil(timeoutMs / 1000) + 10,
    });
    const byStatus = Object.entries((res as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {})
      .map(([k, v]) => `${k}: ${v.count}`)
      .join(', ');
    const sc = (res as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {};
    const ok = sc['200']?.count ?? 0;
    const busy = sc['503']?.count ?? 0;
    const other = Object.entries(sc).filter(([k]) => k !== '200' && k !== '503').reduce((s, [, v]) => s + v.count, 0);
    console.log(`answers: ${res.requests.total} in ${res.duration.toFixed(1)} s (${byStatus || 'none'})`);
    console.log(`throughput: ${(ok / res.duration).toFixed(2)} predictions/s (200s); ${res.requests.average.toFixed(1)} answers/s incl. 503`);
    console.log(`latency (all answers, ms): p50 ${res.latency.p50}  p99 ${res.latency.p99}  max ${res.latency.max}`);
    console.log(`errors: ${res.errors} (timeouts ${res.timeouts}); non-2xx: ${res.non2xx} = 503 (queue full) ${busy} + other ${other}`);
    const h = (await (await fetch(`${url}/healthz`)).json()) as { queue: Record<string, number> };
    console.log(`server queue stats: ${JSON.stringify(h.queue)}`);
    // latency of the served requests alone (the 503s are answered in ~1 ms and pull p50 down),
    // once the requests autocannon left behind have drained
    for (let i = 0; i < 600; i++) {
      const q = ((await (await fetch(`${url}/healthz`)).json()) as { queue: Record<string, number> }).queue;
      if (q.running === 0 && q.waiting === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const lat: number[] = [];
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          const r = await fetch(`${url}/v1/predict`, { method: 'POST', body, headers: { 'content-type': 'audio/wav' } });
          await r.arrayBuffer();
          if (r.status === 200) lat.push(performance.now() - t);
        }
      }),
    );
    lat.sort((a, b) => a - b);
    console.log(`unloaded (${concurrency} clients, ${lat.length} requests): median ${lat[Math.floor(lat.length / 2)]?.toFixed(0)} ms per 3-s clip, ${((lat.length / (performance.now() - t1)) * 1000).toFixed(2)} predictions/s`);
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    console.log(`server stopped with SIGTERM: exit ${code}`);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
