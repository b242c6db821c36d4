/**
 * Builds the tf.LayersModel described by a ModelConfig (see ./config.ts).
 *
 * Input shape (batch, frames, features) — frame-major features, as produced by src/features.
 * Output (batch, nClasses) softmax probabilities. Same config + shape + seed → identical weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import './tfjs.js';
import { SerError } from '../errors.js';
import { type ModelConfig, validateModelConfig } from './config.js';
import { AttentionPooling, LastTimeStep } from './layers/pooling.js';
import { FusedLSTM } from './layers/lstm.js';
import { TransformerEncoder } from './layers/transformer.js';

/** Default seed of buildModel. */
export const DEFAULT_SEED = 1234;

/**
 * Returns a new, uncompiled tf.LayersModel for `config`.
 * @param config architecture (validated here; partial configs are completed with defaults)
 * @param inputShape [frames, features] of one example
 * @param nClasses number of output classes (≥ 2)
 * @param seed seed of every initialiser and dropout layer (default DEFAULT_SEED)
 */
export function buildModel(config: ModelConfig, inputShape: [number, number], nClasses: number, seed = DEFAULT_SEED): tfl.LayersModel {
  const c = validateModelConfig(config);
  if (!Array.isArray(inputShape) || inputShape.length !== 2 || !inputShape.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new SerError('EPARAM', `buildModel: inputShape must be [frames, features] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new SerError('EPARAM', `buildModel: nClasses must be an integer ≥ 2, got ${String(nClasses)}`);
  }
  if (!Number.isInteger(seed)) throw new SerError('EPARAM', `buildModel: seed must be an integer, got ${String(seed)}`);
  const [frames, features] = inputShape;
  let s = seed;
  const nextSeed = (): number => (s = (s * 1103515245 + 12345) % 2147483647);
  const reg = c.l2 !== undefined ? () => tfl.regularizers.l2({ l2: c.l2! }) : () => undefined;

  let T = frames;
  const input = tfl.input({ shape: [frames, features], name: 'features' });
  let x: tfl.SymbolicTensor = input;
  c.conv.forEach((b, i) => {
    x = tfl.layers
      .conv1d({
        filters: b.filters,
        kernelSize: b.kernel_size,
        padding: 'same',
        useBias: !c.batch_norm,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
        kernelRegularizer: reg(),
        name: `conv${i + 1}`,
      })
      .apply(x) as tfl.SymbolicTensor;
    if (c.batch_norm) x = tfl.layers.batchNormalization({ axis: -1, name: `bn${i + 1}` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tfl.SymbolicTensor;
    if (b.pool > 1) {
      if (T < b.pool) {
        throw new SerError('EPARAM', `buildModel: ${frames} frames are too few for the conv blocks' pooling (block ${i + 1} sees ${T} frames, pool ${b.pool})`);
      }
      x = tfl.layers.maxPooling1d({ poolSize: b.pool, strides: b.pool, name: `pool${i + 1}` }).apply(x) as tfl.SymbolicTensor;
      T = Math.floor(T / b.pool);
    }
  });

  const hasTransformer = c.transformer !== 'none';
  for (let l = 0; l < c.lstm.layers; l++) {
    const lastRecurrent = l === c.lstm.layers - 1;
    const returnSequences = !(lastRecurrent && !hasTransformer && c.pooling === 'last');
    if (c.fused_lstm) {
      x = new FusedLSTM({
        units: c.lstm.units,
        returnSequences,
        bidirectional: c.lstm.bidirectional,
        seed: nextSeed(),
        kernelRegularizer: c.l2 !== undefined ? { l2: c.l2 } : null,
        name: `lstm${l + 1}`,
      }).apply(x) as tfl.SymbolicTensor;
    } else {
      const mk = (goBackwards: boolean) =>
        tfl.layers.lstm({
          units: c.lstm.units,
          returnSequences,
          goBackwards,
          recurrentActivation: 'sigmoid',
          unitForgetBias: true,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
          recurrentInitializer: tfl.initializers.orthogonal({ seed: nextSeed() }),
          kernelRegularizer: reg(),
          name: `lstm${l + 1}`,
        });
      const layer = c.lstm.bidirectional ? tfl.layers.bidirectional({ layer: mk(false) as tfl.RNN, mergeMode: 'concat', name: `bilstm${l + 1}` }) : mk(false);
      x = layer.apply(x) as tfl.SymbolicTensor;
    }
  }

  if (c.transformer !== 'none') {
    const t = c.transformer;
    x = tfl.layers.dense({ units: t.d_model, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }), name: 'proj' }).apply(x) as tfl.SymbolicTensor;
    for (let l = 0; l < t.layers; l++) {
      x = new TransformerEncoder({ heads: t.heads, dModel: t.d_model, ff: t.ff ?? 2 * t.d_model, dropout: c.dropout, positional: l === 0, seed: nextSeed(), name: `encoder${l + 1}` }).apply(x) as tfl.SymbolicTensor;
    }
  }

  const seqOut = c.lstm.layers > 0 && !hasTransformer && c.pooling === 'last';
  if (!seqOut) {
    if (c.pooling === 'last') x = new LastTimeStep({ name: 'last_step' }).apply(x) as tfl.SymbolicTensor;
    else if (c.pooling === 'mean') x = tfl.layers.globalAveragePooling1d({ name: 'mean_pool' }).apply(x) as tfl.SymbolicTensor;
    else x = new AttentionPooling({ units: 64, seed: nextSeed(), kernelRegularizer: c.l2 !== undefined ? { l2: c.l2 } : null, name: 'attention_pool' }).apply(x) as tfl.SymbolicTensor;
  }

  c.dense.forEach((u, i) => {
    if (c.dropout > 0) x = tfl.layers.dropout({ rate: c.dropout, seed: nextSeed(), name: `dropout${i + 1}` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers
      .dense({ units: u, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }), kernelRegularizer: reg(), name: `dense${i + 1}` })
      .apply(x) as tfl.SymbolicTensor;
  });
  if (c.dropout > 0) x = tfl.layers.dropout({ rate: c.dropout, seed: nextSeed(), name: `dropout${c.dense.length + 1}` }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: nClasses, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }), kernelRegularizer: reg(), name: 'classes' })
    .apply(x) as tfl.SymbolicTensor;
  void tf; // tf-core must be loaded before layers are applied
  return tfl.model({ inputs: input, outputs: out, name: 'ser_cnn_lstm' });
}
