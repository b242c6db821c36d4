/**
 * Node-side harness of the web app's real-browser test and of bench/stream-browser.ts:
 * Debian's Chromium through playwright-core, a Vite build of web/ (or a fresh dist-web/),
 * a small static server with the COOP/COEP headers the page needs for wasm threads, and random
 * model bundles written to a temp folder.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { defaultModelConfig } from '../../src/model/config.js';
import { saveBundle } from '../../src/model/bundle-node.js';
import { normalizeFeatureConfig, extractFeatures, type FeatureConfig } from '../../src/features/index.js';
import { fitZScore } from '../../src/data/preprocess.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.SER_CHROMIUM ?? '/usr/bin/chromium';

/** Flags of every launch (headless, no network side traffic, no first-run UI). */
export const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
];

/** Flags of a fake microphone that plays `wav` in a loop (and grants the permission unless `deny`). */
export function fakeMicFlags(wav: string, opts: { deny?: boolean } = {}): string[] {
  return ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, opts.deny ? '--deny-permission-prompts' : '--use-fake-ui-for-media-stream'];
}

/** Launches headless Chromium (playwright gives every launch a fresh temporary --user-data-dir). */
export async function launchChromium(extraFlags: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_FLAGS, ...extraFlags], timeout: 30000 });
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/**
 * A build of the web app: dist-web/ when it is newer than every file of web/ and src/ (and
 * `preferExisting`), else a fresh `vite build` into a temp folder. Returns the folder.
 */
export function webBuild(preferExisting = true): string {
  const dist = join(REPO, 'dist-web');
  if (preferExisting && existsSync(join(dist, 'index.html')) && existsSync(join(dist, 'bench.html'))) {
    const built = statSync(join(dist, 'index.html')).mtimeMs;
    if (built > Math.max(newestMtime(join(REPO, 'web')), newestMtime(join(REPO, 'src')))) return dist;
  }
  const out = mkdtempSync(join(tmpdir(), 'ser-web-build-'));
  const r = spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', 'web', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120000,
  });
  if (r.status !== 0) throw new Error(`vite build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
};

/**
 * Serves `root` (and each `mounts` URL prefix → folder) on 127.0.0.1 with COOP/COEP/CORP headers.
 * Returns the base URL (ending in '/') and the server.
 */
export async function serveStatic(root: string, mounts: Record<string, string> = {}): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let base = root;
    let rel = path;
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (path.startsWith(prefix)) {
        base = dir;
        rel = path.slice(prefix.length);
        break;
      }
    }
    let file = normalize(join(base, rel));
    if (file !== base && !file.startsWith(base.endsWith(sep) ? base : base + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server };
}

/** RAVDESS's eight emotions. */
export const RAVDESS_LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];

function tone(n: number, f: number, sr: number, amp: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = amp * Math.sin((2 * Math.PI * f * i) / sr) + 0.002 * Math.sin(i * 1.7);
  return y;
}

/**
 * Writes a model bundle with random weights to a new temp folder and returns the folder:
 * `size` 'tiny' (one small conv + LSTM 4, 1-s windows at 16 kHz: fast tests) or 'default'
 * (the shipped recipe, defaultModelConfig, 3-s windows at 22050 Hz: realistic timings).
 */
export async function randomBundle(size: 'tiny' | 'default', labels = RAVDESS_LABELS): Promise<string> {
  await initBackend('cpu');
  const sr = size === 'tiny' ? 16000 : 22050;
  const clipSeconds = size === 'tiny' ? 1 : 3;
  const config: FeatureConfig = normalizeFeatureConfig({ sr });
  const L = Math.round(clipSeconds * sr);
  const a = extractFeatures(tone(L, 220, sr, 0.3), sr, config);
  const b = extractFeatures(tone(L, 900, sr, 0.05), sr, config);
  const modelConfig = size === 'tiny' ? { conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4, bidirectional: false, layers: 1 }, dense: [8] } : defaultModelConfig;
  const model = buildModel(modelConfig as never, [a.rows, a.cols], labels.length, 7);
  const dir = join(mkdtempSync(join(tmpdir(), 'ser-web-model-')), 'model');
  await saveBundle(dir, {
    model,
    labels,
    sampleRate: sr,
    clipSeconds,
    featureConfig: config,
    normalization: fitZScore([a, b]),
    modelConfig,
    training: { command: 'test: random weights', protocol: { name: 'none' }, data: { n: 0 }, seed: 7 },
  });
  model.dispose();
  return dir;
}
