/**
 * Pooling over time: sequence (batch, time, features) → vector (batch, features).
 * - `AttentionPooling`: additive attention, score_t = vᵀ tanh(W h_t + b), α = softmax_t(score),
 *   output Σ_t α_t h_t. Weights: W (features, units), b (units), v (units, 1).
 * - `LastTimeStep`: h[:, T-1, :].
 * Both are registered with tf.serialization so a saved model loads back (Node and browser).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../tfjs.js';

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}
function singleShape(s: Shape | Shape[]): Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as Shape;
}

export interface AttentionPoolingArgs {
  /** Width of the attention MLP. Default 64. */
  units?: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
  kernelRegularizer?: { l2: number } | null;
}

export class AttentionPooling extends tfl.layers.Layer {
  static className = 'SerAttentionPooling';
  readonly units: number;
  readonly seed: number | undefined;
  private W!: tfl.LayerVariable;
  private b!: tfl.LayerVariable;
  private v!: tfl.LayerVariable;
  private readonly l2: number;

  constructor(args: AttentionPoolingArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.units = args.units ?? 64;
    this.seed = args.seed;
    this.l2 = args.kernelRegularizer?.l2 ?? 0;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(inputShape);
    const f = s[s.length - 1] as number;
    const reg = this.l2 > 0 ? tfl.regularizers.l2({ l2: this.l2 }) : undefined;
    this.W = this.addWeight('kernel', [f, this.units], 'float32', tfl.initializers.glorotUniform({ seed: this.seed }), reg);
    this.b = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.v = this.addWeight(
      'score',
      [this.units, 1],
      'float32',
      tfl.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + 1 }),
      reg,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [s[0]!, s[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor3D;
      const [B, T, F] = x.shape;
      const x2 = tf.reshape(x, [B * T, F]);
      const hid = tf.tanh(tf.add(tf.matMul(x2, this.W.read() as tf.Tensor2D), this.b.read()));
      const score = tf.reshape(tf.matMul(hid, this.v.read() as tf.Tensor2D), [B, T]);
      const alpha = tf.softmax(score, -1); // (B, T)
      // Σ_t α_t h_t as a batched matrix product: (B,1,T)·(B,T,F) → (B,1,F).
      return tf.reshape(tf.matMul(tf.reshape(alpha, [B, 1, T]), x), [B, F]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { units: this.units };
    if (this.seed !== undefined) cfg.seed = this.seed;
    if (this.l2 > 0) cfg.kernelRegularizer = { l2: this.l2 };
    return { ...super.getConfig(), ...cfg };
  }
}

export class LastTimeStep extends tfl.layers.Layer {
  static className = 'SerLastTimeStep';
  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [s[0]!, s[2]!];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor3D;
      const [B, T, F] = x.shape;
      return tf.reshape(tf.slice(x, [0, T - 1, 0], [B, 1, F]), [B, F]);
    });
  }
}

tf.serialization.registerClass(AttentionPooling);
tf.serialization.registerClass(LastTimeStep);
