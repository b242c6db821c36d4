/**
 * In-loop augmentation of training batches of feature sequences (no re-extraction): SpecAugment
 * style time masks and feature-band masks, a random circular time shift of the frame sequence,
 * mixup, and label smoothing. Applied by the training loop (src/model/train.ts) to each batch,
 * after the batch is assembled and before the optimiser step; validation and test data are never
 * touched.
 *
 * Inputs are z-scored feature sequences, frame-major: a batch is [b, frames, features] row-major.
 * A masked cell is set to `maskValue` (default 0 = the training mean after z-scoring).
 *
 * Compact key form (CLI `--batch-augment`), comma-separated, any subset:
 *   `time:NxW`   N time masks per sample, each of a width drawn uniformly in [0, W] frames
 *   `feat:NxW`   N feature-band masks per sample (contiguous columns), width in [0, W]
 *   `shift:S`    circular shift of the frame axis by an integer drawn uniformly in [-S, S]
 *   `mixup:A`    mixup with λ ~ Beta(A, A) per sample (λ' = max(λ, 1-λ), so the sample keeps
 *                its own label as the dominant one), partner drawn from the same batch
 *   `smooth:E`   label smoothing: y ← (1 - E)·y + E / k
 *   `p:P`        probability that a sample receives the masks and the shift (default 1)
 * e.g. `time:2x12,feat:2x10,shift:10,mixup:0.2`. 'none' or '' = no augmentation.
 *
 * Browser-safe: typed arrays only. Deterministic for a given generator state.
 */
import { SerError } from '../errors.js';
import type { Rng } from '../util/random.js';

export interface BatchAugmentConfig {
  /** Time masks per sample (default 0). */
  timeMasks?: number;
  /** Maximum width of a time mask in frames (width uniform in [0, max]). */
  timeMaskWidth?: number;
  /** Feature-band masks per sample (default 0). */
  featureMasks?: number;
  /** Maximum width of a feature-band mask in feature columns. */
  featureMaskWidth?: number;
  /** Maximum circular shift of the frame axis, in frames (default 0 = none). */
  shift?: number;
  /** Mixup Beta(α, α) parameter (default 0 = off). */
  mixup?: number;
  /** Label smoothing ε in [0, 1) (default 0). */
  labelSmoothing?: number;
  /** Probability that a sample receives masks and shift (default 1). */
  p?: number;
  /** Value written into masked cells (default 0). */
  maskValue?: number;
}

function bad(message: string): never {
  throw new SerError('EPARAM', `batch augmentation: ${message}`);
}

function nonNegInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`${what} must be an integer >= 0, got ${String(v)}`);
  return v;
}

/** Throws SerError('EPARAM') naming the field unless `c` is a valid configuration. */
export function validateBatchAugment(c: BatchAugmentConfig): void {
  if (c === null || typeof c !== 'object') bad(`expected an object, got ${String(c)}`);
  nonNegInt(c.timeMasks ?? 0, 'time masks');
  nonNegInt(c.timeMaskWidth ?? 0, 'time mask width');
  nonNegInt(c.featureMasks ?? 0, 'feature masks');
  nonNegInt(c.featureMaskWidth ?? 0, 'feature mask width');
  nonNegInt(c.shift ?? 0, 'shift');
  const m = c.mixup ?? 0;
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0) bad(`mixup alpha must be a finite number >= 0, got ${String(m)}`);
  const e = c.labelSmoothing ?? 0;
  if (typeof e !== 'number' || !(e >= 0 && e < 1)) bad(`label smoothing must be in [0, 1), got ${String(e)}`);
  const p = c.p ?? 1;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) bad(`p must be in [0, 1], got ${String(p)}`);
  if (c.maskValue !== undefined && !Number.isFinite(c.maskValue)) bad(`mask value must be finite, got ${String(c.maskValue)}`);
}

/** True when the configuration changes nothing. */
export function isIdentityBatchAugment(c: BatchAugmentConfig | null | undefined): boolean {
  if (!c) return true;
  const masks = (c.timeMasks ?? 0) > 0 && (c.timeMaskWidth ?? 0) > 0;
  const fmasks = (c.featureMasks ?? 0) > 0 && (c.featureMaskWidth ?? 0) > 0;
  const active = (masks || fmasks || (c.shift ?? 0) > 0) && (c.p ?? 1) > 0;
  return !active && !((c.mixup ?? 0) > 0) && !((c.labelSmoothing ?? 0) > 0);
}

/** Parses the compact key form (see the module comment). 'none' / '' → null. */
export function parseBatchAugment(s: string): BatchAugmentConfig | null {
  const t = s.trim();
  if (t === '' || t === 'none') return null;
  const c: BatchAugmentConfig = {};
  const num = (v: string, what: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) bad(`${what}: '${v}' is not a number (in '${s}')`);
    return n;
  };
  const nxw = (v: string, what: string): [number, number] => {
    const m = /^(\d+)x(\d+)$/.exec(v.trim());
    if (!m) bad(`${what} must be NxW (count x maximum width), got '${v}'`);
    return [Number(m[1]), Number(m[2])];
  };
  for (const part of t.split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    if (i < 0) bad(`'${part}' has no value (expected e.g. time:2x12, feat:2x10, shift:10, mixup:0.2, smooth:0.1, p:0.8)`);
    const key = part.slice(0, i);
    const v = part.slice(i + 1);
    switch (key) {
      case 'time':
        [c.timeMasks, c.timeMaskWidth] = nxw(v, 'time');
        break;
      case 'feat':
        [c.featureMasks, c.featureMaskWidth] = nxw(v, 'feat');
        break;
      case 'shift':
        c.shift = num(v, 'shift');
        break;
      case 'mixup':
        c.mixup = num(v, 'mixup');
        break;
      case 'smooth':
        c.labelSmoothing = num(v, 'smooth');
        break;
      case 'p':
        c.p = num(v, 'p');
        break;
      default:
        bad(`unknown key '${key}' (time, feat, shift, mixup, smooth, p)`);
    }
  }
  validateBatchAugment(c);
  return c;
}

/** The compact key form of a configuration (inverse of {@link parseBatchAugment}). */
export function describeBatchAugment(c: BatchAugmentConfig | null | undefined): string {
  if (!c || isIdentityBatchAugment(c)) return 'none';
  const parts: string[] = [];
  if ((c.timeMasks ?? 0) > 0) parts.push(`time:${c.timeMasks}x${c.timeMaskWidth ?? 0}`);
  if ((c.featureMasks ?? 0) > 0) parts.push(`feat:${c.featureMasks}x${c.featureMaskWidth ?? 0}`);
  if ((c.shift ?? 0) > 0) parts.push(`shift:${c.shift}`);
  if ((c.mixup ?? 0) > 0) parts.push(`mixup:${c.mixup}`);
  if ((c.labelSmoothing ?? 0) > 0) parts.push(`smooth:${c.labelSmoothing}`);
  if (c.p !== undefined && c.p !== 1) parts.push(`p:${c.p}`);
  return parts.join(',');
}

/** Gamma(a, 1) deviate (Marsaglia–Tsang; a < 1 by the boost Gamma(a+1)·U^(1/a)). */
export function sampleGamma(rng: Rng, a: number): number {
  if (a < 1) {
    let u = rng.uniform();
    while (u === 0) u = rng.uniform();
    return sampleGamma(rng, a + 1) * Math.pow(u, 1 / a);
  }
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, a) deviate. */
export function sampleBetaSym(rng: Rng, a: number): number {
  const g1 = sampleGamma(rng, a);
  const g2 = sampleGamma(rng, a);
  const s = g1 + g2;
  return s > 0 ? g1 / s : 0.5;
}

export interface AugmentableBatch {
  /** [b, frames, features] row-major; modified in place. */
  x: Float32Array;
  /** [b, k] targets (one-hot on entry); modified in place (mixup, smoothing). */
  yOneHot: Float32Array;
  /** [b] per-sample weights; mixed with the partner's under mixup. */
  sampleWeight: Float32Array;
  b: number;
  frames: number;
  features: number;
  k: number;
}

/**
 * Augments one batch in place (see the module comment). Order: shift, masks (per sample, with
 * probability p), then mixup (between augmented samples), then label smoothing. `scratch` (length
 * ≥ frames × features, and ≥ b × frames × features when mixup is on) avoids allocations.
 */
export function augmentBatch(batch: AugmentableBatch, c: BatchAugmentConfig, rng: Rng, scratch?: Float32Array): void {
  const { x, yOneHot, sampleWeight, b, frames, features, k } = batch;
  const per = frames * features;
  if (x.length < b * per || yOneHot.length < b * k || sampleWeight.length < b) bad('batch arrays are shorter than b × frames × features');
  const p = c.p ?? 1;
  const shift = Math.min(c.shift ?? 0, frames - 1);
  const tm = c.timeMasks ?? 0;
  const tw = Math.min(c.timeMaskWidth ?? 0, frames);
  const fm = c.featureMasks ?? 0;
  const fw = Math.min(c.featureMaskWidth ?? 0, features);
  const mv = c.maskValue ?? 0;
  const needRow = shift > 0;
  const mix = c.mixup ?? 0;
  const buf = scratch && scratch.length >= (mix > 0 ? b * per : per) ? scratch : new Float32Array(mix > 0 ? b * per : per);

  for (let i = 0; i < b; i++) {
    if (p < 1 && rng.uniform() >= p) continue;
    const o = i * per;
    if (needRow) {
      const s = rng.int(2 * shift + 1) - shift; // frames move later by s (circular)
      if (s !== 0) {
        const tmp = buf.subarray(0, per);
        tmp.set(x.subarray(o, o + per));
        for (let t = 0; t < frames; t++) {
          const src = (((t - s) % frames) + frames) % frames;
          x.set(tmp.subarray(src * features, (src + 1) * features), o + t * features);
        }
      }
    }
    for (let m = 0; m < tm && tw > 0; m++) {
      const w = rng.int(tw + 1);
      if (w === 0) continue;
      const t0 = rng.int(frames - w + 1);
      x.fill(mv, o + t0 * features, o + (t0 + w) * features);
    }
    for (let m = 0; m < fm && fw > 0; m++) {
      const w = rng.int(fw + 1);
      if (w === 0) continue;
      const f0 = rng.int(features - w + 1);
      for (let t = 0; t < frames; t++) x.fill(mv, o + t * features + f0, o + t * features + f0 + w);
    }
  }

  if (mix > 0 && b > 1) {
    const xs = buf.subarray(0, b * per);
    xs.set(x.subarray(0, b * per));
    const ys = Float32Array.from(yOneHot.subarray(0, b * k));
    const ws = Float32Array.from(sampleWeight.subarray(0, b));
    for (let i = 0; i < b; i++) {
      let j = rng.int(b - 1);
      if (j >= i) j++; // a partner other than i
      const l0 = sampleBetaSym(rng, mix);
      const lam = Math.max(l0, 1 - l0);
      const o = i * per;
      const oj = j * per;
      for (let q = 0; q < per; q++) x[o + q] = lam * xs[o + q] + (1 - lam) * xs[oj + q];
      for (let q = 0; q < k; q++) yOneHot[i * k + q] = lam * ys[i * k + q] + (1 - lam) * ys[j * k + q];
      sampleWeight[i] = lam * ws[i] + (1 - lam) * ws[j];
    }
  }

  const eps = c.labelSmoothing ?? 0;
  if (eps > 0) for (let q = 0; q < b * k; q++) yOneHot[q] = (1 - eps) * yOneHot[q] + eps / k;
}
