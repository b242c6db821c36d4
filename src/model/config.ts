/**
 * The model architecture as a JSON-serialisable description. `buildModel` (./build.ts) turns it
 * into a tf.LayersModel; model bundles store it next to the weights.
 *
 * Layer order: input (frames, features) → conv blocks [Conv1D 'same' → BatchNorm → ReLU →
 * MaxPool] → LSTM layers → Transformer encoder blocks → pooling over time → [Dropout → Dense ReLU]
 * for each `dense` entry → Dropout → Dense(n_classes) softmax.
 */
import { SerError } from '../errors.js';

export interface ConvBlockConfig {
  /** Output channels of the Conv1D. */
  filters: number;
  /** Kernel width in frames (odd keeps 'same' padding symmetric). Default 5. */
  kernel_size: number;
  /** MaxPool1D size and stride after the block; 1 = no pooling. Default 2. */
  pool: number;
}

export interface LstmConfig {
  /** Hidden units per direction. Default 128. */
  units: number;
  /** Run a second LSTM backwards over time and concatenate. Default false. */
  bidirectional: boolean;
  /** Stacked LSTM layers (0 = none). Default 1. */
  layers: number;
}

export interface TransformerConfig {
  /** Encoder blocks. */
  layers: number;
  /** Attention heads; must divide d_model. */
  heads: number;
  /** Model width: the sequence is projected to d_model features first. */
  d_model: number;
  /** Feed-forward hidden width. Default 2 × d_model. */
  ff?: number;
}

export type Pooling = 'last' | 'attention' | 'mean';

export interface ModelConfig {
  conv: ConvBlockConfig[];
  /** BatchNorm after every Conv1D. Default true. */
  batch_norm: boolean;
  lstm: LstmConfig;
  /** Transformer encoder blocks after the LSTM (or directly after the convs when lstm.layers = 0). */
  transformer: TransformerConfig | 'none';
  /** How the sequence becomes one vector: last time step, additive attention, or the mean. */
  pooling: Pooling;
  /** Dropout rate before every dense layer. Default 0.3. */
  dropout: number;
  /** Hidden dense layers (ReLU). Default [64]. */
  dense: number[];
  /** L2 weight penalty on conv/dense/LSTM kernels (0 or absent = none). */
  l2?: number;
  /** Use the project's fused LSTM layer (fast gradient) instead of tf.layers.lstm. Default true. */
  fused_lstm: boolean;
}

/** The recipe (the shape of ../shared/bench/torch_cnn_lstm.py): Conv1D 64 k5 + BN + ReLU + MaxPool 2;
 * Conv1D 128 k5 + BN + ReLU + MaxPool 2; LSTM 128; Dropout 0.3; Dense 64 ReLU; Dropout 0.3; Dense softmax. */
export const defaultModelConfig: ModelConfig = Object.freeze({
  conv: [
    { filters: 64, kernel_size: 5, pool: 2 },
    { filters: 128, kernel_size: 5, pool: 2 },
  ],
  batch_norm: true,
  lstm: { units: 128, bidirectional: false, layers: 1 },
  transformer: 'none',
  pooling: 'last',
  dropout: 0.3,
  dense: [64],
  fused_lstm: true,
}) as ModelConfig;

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(v: unknown, max = 1 << 16): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

const TOP_KEYS = new Set(['conv', 'batch_norm', 'lstm', 'transformer', 'pooling', 'dropout', 'dense', 'l2', 'fused_lstm']);

/**
 * Checks a (possibly partial) model configuration, fills librosa-style defaults from
 * `defaultModelConfig`, and returns a complete, independent ModelConfig. `file` names where the
 * configuration came from, for error messages. Throws SerError('EPARAM') naming the bad field.
 */
export function validateModelConfig(input: unknown, file?: string): ModelConfig {
  const fail = (msg: string): never => {
    throw new SerError('EPARAM', `model config: ${msg}`, file !== undefined ? { file } : {});
  };
  if (input === undefined || input === null) input = {};
  if (!isObj(input)) return fail('must be a JSON object');
  const c = input;
  for (const k of Object.keys(c)) if (!TOP_KEYS.has(k)) fail(`unknown field '${k}'`);
  const d = defaultModelConfig;

  let conv: ConvBlockConfig[];
  if (c.conv === undefined) conv = d.conv.map((b) => ({ ...b }));
  else {
    if (!Array.isArray(c.conv)) return fail("'conv' must be an array of {filters, kernel_size, pool}");
    conv = c.conv.map((b: unknown, i: number) => {
      if (!isObj(b)) return fail(`conv[${i}] must be an object`);
      for (const k of Object.keys(b)) if (!['filters', 'kernel_size', 'pool'].includes(k)) fail(`conv[${i}]: unknown field '${k}'`);
      const blk = { filters: b.filters, kernel_size: b.kernel_size ?? 5, pool: b.pool ?? 2 };
      if (!posInt(blk.filters, 4096)) fail(`conv[${i}].filters must be an integer in 1..4096, got ${JSON.stringify(b.filters)}`);
      if (!posInt(blk.kernel_size, 64)) fail(`conv[${i}].kernel_size must be an integer in 1..64, got ${JSON.stringify(b.kernel_size)}`);
      if (!posInt(blk.pool, 64)) fail(`conv[${i}].pool must be an integer in 1..64, got ${JSON.stringify(b.pool)}`);
      return blk as ConvBlockConfig;
    });
  }

  const batch_norm = c.batch_norm ?? d.batch_norm;
  if (typeof batch_norm !== 'boolean') fail(`'batch_norm' must be true or false`);

  let lstm: LstmConfig = { ...d.lstm };
  if (c.lstm !== undefined) {
    if (!isObj(c.lstm)) return fail("'lstm' must be an object {units, bidirectional, layers}");
    for (const k of Object.keys(c.lstm)) if (!['units', 'bidirectional', 'layers'].includes(k)) fail(`lstm: unknown field '${k}'`);
    lstm = {
      units: (c.lstm.units ?? d.lstm.units) as number,
      bidirectional: (c.lstm.bidirectional ?? d.lstm.bidirectional) as boolean,
      layers: (c.lstm.layers ?? d.lstm.layers) as number,
    };
    if (!posInt(lstm.units, 4096)) fail(`lstm.units must be an integer in 1..4096, got ${JSON.stringify(c.lstm.units)}`);
    if (typeof lstm.bidirectional !== 'boolean') fail('lstm.bidirectional must be true or false');
    if (!(Number.isInteger(lstm.layers) && lstm.layers >= 0 && lstm.layers <= 16)) fail(`lstm.layers must be an integer in 0..16, got ${JSON.stringify(c.lstm.layers)}`);
  }

  let transformer: TransformerConfig | 'none' = 'none';
  const t = c.transformer ?? d.transformer;
  if (t !== 'none') {
    if (!isObj(t)) return fail("'transformer' must be 'none' or {layers, heads, d_model, ff?}");
    for (const k of Object.keys(t)) if (!['layers', 'heads', 'd_model', 'ff'].includes(k)) fail(`transformer: unknown field '${k}'`);
    if (!posInt(t.layers, 16)) fail(`transformer.layers must be an integer in 1..16, got ${JSON.stringify(t.layers)}`);
    if (!posInt(t.heads, 64)) fail(`transformer.heads must be an integer in 1..64, got ${JSON.stringify(t.heads)}`);
    if (!posInt(t.d_model, 4096)) fail(`transformer.d_model must be an integer in 1..4096, got ${JSON.stringify(t.d_model)}`);
    if ((t.d_model as number) % (t.heads as number) !== 0) fail(`transformer.d_model (${String(t.d_model)}) must be a multiple of heads (${String(t.heads)})`);
    const ff = t.ff ?? 2 * (t.d_model as number);
    if (!posInt(ff, 16384)) fail(`transformer.ff must be an integer in 1..16384, got ${JSON.stringify(t.ff)}`);
    transformer = { layers: t.layers as number, heads: t.heads as number, d_model: t.d_model as number, ff: ff as number };
  }

  const pooling = c.pooling ?? d.pooling;
  if (pooling !== 'last' && pooling !== 'attention' && pooling !== 'mean') fail(`'pooling' must be 'last', 'attention' or 'mean', got ${JSON.stringify(pooling)}`);

  const dropout = c.dropout ?? d.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail(`'dropout' must be a number in [0, 1), got ${JSON.stringify(dropout)}`);

  let dense: number[] = [...d.dense];
  if (c.dense !== undefined) {
    if (!Array.isArray(c.dense)) return fail("'dense' must be an array of layer widths");
    dense = c.dense.map((u: unknown, i: number) => (posInt(u, 65536) ? u : fail(`dense[${i}] must be an integer in 1..65536, got ${JSON.stringify(u)}`)));
  }

  const out: ModelConfig = {
    conv,
    batch_norm: batch_norm as boolean,
    lstm,
    transformer,
    pooling: pooling as Pooling,
    dropout: dropout as number,
    dense,
    fused_lstm: (c.fused_lstm ?? d.fused_lstm) as boolean,
  };
  if (typeof out.fused_lstm !== 'boolean') fail("'fused_lstm' must be true or false");
  if (c.l2 !== undefined) {
    if (typeof c.l2 !== 'number' || !(c.l2 >= 0 && c.l2 < 1)) fail(`'l2' must be a number in [0, 1), got ${JSON.stringify(c.l2)}`);
    if ((c.l2 as number) > 0) out.l2 = c.l2 as number;
  }
  return out;
}

/** Total time-axis reduction of the conv blocks (product of pool sizes). */
export function timeReduction(config: ModelConfig): number {
  return config.conv.reduce((p, b) => p * b.pool, 1);
}
