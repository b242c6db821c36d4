/** Shared helpers of the streaming tests: fixture paths, a tiny random model bundle, signals. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/model/backend.js';
import { buildModel } from '../../src/model/build.js';
import { saveBundle, loadBundle } from '../../src/model/bundle-node.js';
import type { ModelBundle } from '../../src/model/bundle.js';
import { normalizeFeatureConfig, extractFeatures, type FeatureConfig } from '../../src/features/index.js';
import { fitZScore } from '../../src/data/preprocess.js';

export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const FIXTURES = join(SHARED, 'fixtures/librosa-0.11/');
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const LABELS = ['neutral', 'happy', 'sad', 'angry'];

/** A tiny CNN-LSTM with random weights, saved as a bundle in a temp folder (clip 1 s at `sr`). */
export async function tinyBundle(sr = 16000, clipSeconds = 1): Promise<{ dir: string; bundle: ModelBundle }> {
  await initBackend('cpu');
  const config: FeatureConfig = normalizeFeatureConfig({ sr });
  const L = Math.round(clipSeconds * sr);
  const y = tone(L, 300, sr, 0.3, 7);
  const f = extractFeatures(y, sr, config);
  const stats = fitZScore([f, extractFeatures(tone(L, 900, sr, 0.1, 3), sr, config)]);
  const modelConfig = { conv: [{ filters: 4, kernel_size: 3, pool: 2 }], lstm: { units: 4, bidirectional: false, layers: 1 }, dense: [4] };
  const model = buildModel(modelConfig as never, [f.rows, f.cols], LABELS.length, 11);
  const dir = join(mkdtempSync(join(tmpdir(), 'ser-stream-')), 'model');
  await saveBundle(dir, {
    model,
    labels: LABELS,
    sampleRate: sr,
    clipSeconds,
    featureConfig: config,
    normalization: stats,
    modelConfig,
    training: { command: 'test', protocol: { name: 'none' }, data: { n: 2 }, seed: 11 },
  });
  model.dispose();
  return { dir, bundle: await loadBundle(dir) };
}

/** A sine of `f` Hz, amplitude `amp`, plus a little deterministic noise (seed). */
export function tone(n: number, f: number, sr: number, amp = 0.3, seed = 1): Float32Array {
  const y = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    y[i] = amp * Math.sin((2 * Math.PI * f * i) / sr) + 0.01 * amp * (s / 2 ** 32 - 0.5);
  }
  return y;
}

/** Deterministic pseudo-random integer sequence in [lo, hi]. */
export function randomSizes(seed: number, lo: number, hi: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

/** The arrays one after the other, in a new Float32Array. */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
