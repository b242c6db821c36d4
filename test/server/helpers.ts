/** Test helpers for test/server: a tiny random-weight model bundle, hand-built WAV bytes, HTTP helpers. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { defaultFeatureConfig, extractFeatures, type FeatureConfig } from '../../src/features/index.js';
import { fitZScore } from '../../src/data/preprocess.js';
import { saveBundle } from '../../src/model/bundle-node.js';
import { monoWav, toInt16 } from '../fixtures/wav.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/audio/', import.meta.url));
export const SR = 16000;
export const CLIP = 0.5;
export const LABELS = ['angry', 'happy', 'neutral', 'sad'];

/** A sine of `seconds` at `sr` with amplitude `amp`. */
export function sine(seconds: number, f = 440, sr = SR, amp = 0.3): Float32Array {
  const n = Math.round(seconds * sr);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = amp * Math.sin((2 * Math.PI * f * i) / sr);
  return y;
}

/** Saves a tiny CNN-LSTM bundle with random weights (4 labels, 16 kHz, 0.5 s clips) in a temp folder; returns the folder. */
export async function makeTinyBundle(): Promise<string> {
  await initBackend('wasm');
  const dir = join(await mkdtemp(join(tmpdir(), 'ser-serve-')), 'model');
  const config = { ...defaultFeatureConfig, sr: SR } as FeatureConfig;
  const feats = [440, 1000, 250].map((f) => extractFeatures(sine(CLIP, f), SR, config));
  const f0 = feats[0];
  const model = buildModel({ conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4, bidirectional: false, layers: 1 }, dense: [4] } as never, [f0.rows, f0.cols], LABELS.length, 7);
  const stats = fitZScore(feats.map((f) => ({ rows: f.rows, cols: f.cols, data: f.data })));
  await saveBundle(dir, {
    model,
    labels: LABELS,
    sampleRate: SR,
    clipSeconds: CLIP,
    featureConfig: config,
    normalization: stats,
    modelConfig: { tiny: true },
    training: { command: 'test', protocol: { name: 'none' }, data: { n: 3 }, seed: 7 },
  });
  model.dispose();
  return dir;
}

const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** A RIFF/WAVE file written byte by byte (test/fixtures/wav.ts): 16-bit PCM (values × 32767, rounded) or 32-bit float. */
export function wavBytes(y: Float32Array, sr: number, kind: 'i16' | 'f32' = 'i16'): Uint8Array {
  return monoWav(kind === 'i16' ? toInt16(y) : y, sr);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/** One HTTP request with the path sent exactly as given (no normalisation, unlike fetch). */
export function rawRequest(port: number, method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: () => JSON.parse(b.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}
