/**
 * The per-replica half of a data-parallel training step, shared by the main thread and the
 * worker (./parallel.ts, ./parallel-worker.ts). Browser-safe (tfjs only).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { weightedCategoricalCrossentropy, withUnseededDropout } from './train.js';
import { Rng } from '../util/random.js';

export interface ShardInput {
  x: Float32Array;
  shape: [number, number, number];
  yOneHot: Float32Array;
  sampleWeight: Float32Array;
  /** Size of the whole batch (all shards): the shard's loss is scaled by shard/total so that the
   * shards' losses and gradients add up to those of the whole batch. */
  totalBatch: number;
  /** Add the model's regularisation penalties (exactly one shard does). */
  withPenalties: boolean;
}

export interface ShardResult {
  /** Gradient of every trainable weight, in model.trainableWeights order. */
  grads: Float32Array[];
  /** This shard's share of the batch loss. */
  loss: number;
  /** Training-mode probabilities (shard, classes). */
  probs: Float32Array;
}

/** Seeded uniform [0, 1) draws for dropout masks (the project's Rng, src/util/random.ts). */
export function seededUniform(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.uniform();
}

/** Forward + backward of one shard; reads results outside tidy (cheap) and frees every tensor. */
export function computeShard(model: LayersModel, s: ShardInput, random: () => number): ShardResult {
  const b = s.shape[0];
  const k = s.yOneHot.length / b;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const saved = Math.random;
  Math.random = random;
  let out: tf.Tensor[];
  try {
    out = withUnseededDropout(model, () =>
      tf.tidy(() => {
        const x = tf.tensor3d(s.x, s.shape);
        const y = tf.tensor2d(s.yOneHot, [b, k]);
        const w = tf.tensor1d(s.sampleWeight);
        let probs: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          probs = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
          let loss = tf.mul(weightedCategoricalCrossentropy(y, probs, w), b / s.totalBatch) as tf.Scalar;
          if (s.withPenalties) for (const reg of model.calculateLosses()) loss = tf.add(loss, reg) as tf.Scalar;
          return loss;
        }, vars);
        return [value, probs!, ...vars.map((v) => grads[v.name]!)];
      }),
    );
  } finally {
    Math.random = saved;
  }
  const [value, probs, ...g] = out;
  const res: ShardResult = {
    loss: value!.dataSync()[0]!,
    probs: probs!.dataSync() as Float32Array,
    grads: g.map((t) => t.dataSync() as Float32Array),
  };
  tf.dispose(out);
  return res;
}

/** a[i] + b[i] for every weight (commutative: both replicas get bit-identical sums). */
export function addGrads(a: Float32Array[], b: Float32Array[]): Float32Array[] {
  return a.map((x, i) => {
    const y = b[i]!;
    const o = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) o[j] = x[j]! + y[j]!;
    return o;
  });
}

/** Applies summed gradients with `optimizer` to the model's trainable weights. */
export function applyGrads(model: LayersModel, optimizer: tf.Optimizer, grads: Float32Array[]): void {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  tf.tidy(() => {
    const named: Record<string, tf.Tensor> = {};
    vars.forEach((v, i) => (named[v.name] = tf.tensor(grads[i]!, v.shape)));
    optimizer.applyGradients(named);
  });
}

/** Copies of all model weights (trainable and not), in model.weights order. */
export function readWeights(model: LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

/** Writes all model weights (model.weights order). */
export function writeWeights(model: LayersModel, data: Float32Array[]): void {
  tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.tensor(data[i]!, w.shape as number[]))));
}

/** Indices (in model.weights) of the non-trainable weights, e.g. batch-norm moving statistics. */
export function nonTrainableIndices(model: LayersModel): number[] {
  return model.weights.map((w, i) => (w.trainable ? -1 : i)).filter((i) => i >= 0);
}
