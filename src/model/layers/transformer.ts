/**
 * A pre-norm Transformer encoder block over a sequence (batch, time, d_model):
 *   y = x + Dropout(MHA(LN(x)));  out = y + Dropout(FFN(LN(y))),  FFN = Dense(ff, ReLU) → Dense(d_model).
 * With `positional` (the first block of a stack), fixed sinusoidal position encodings are added
 * to the input first. Gradients come from tfjs's autodiff. Serialisable as 'SerTransformerEncoder'.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../tfjs.js';

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

export interface TransformerEncoderArgs {
  heads: number;
  dModel: number;
  ff: number;
  dropout?: number;
  positional?: boolean;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/** Sinusoidal position encoding (T, d): PE[t, 2k] = sin(t / 10000^(2k/d)), PE[t, 2k+1] = cos(…). */
export function positionalEncoding(T: number, d: number): tf.Tensor2D {
  const pe = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < d; k += 2) {
      const a = t / Math.pow(10000, k / d);
      pe[t * d + k] = Math.sin(a);
      if (k + 1 < d) pe[t * d + k + 1] = Math.cos(a);
    }
  }
  return tf.tensor2d(pe, [T, d]);
}

export class TransformerEncoder extends tfl.layers.Layer {
  static className = 'SerTransformerEncoder';
  readonly heads: number;
  readonly dModel: number;
  readonly ff: number;
  readonly rate: number;
  readonly positional: boolean;
  readonly seed: number | undefined;
  private w: Record<string, tfl.LayerVariable> = {};

  constructor(args: TransformerEncoderArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.heads = args.heads;
    this.dModel = args.dModel;
    this.ff = args.ff;
    this.rate = args.dropout ?? 0;
    this.positional = args.positional ?? false;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const d = s[s.length - 1] as number;
    if (d !== this.dModel) throw new Error(`TransformerEncoder: input width ${d} ≠ dModel ${this.dModel}`);
    let k = 0;
    const glorot = () => tfl.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + k++ });
    const add = (n: string, shape: number[], init: ReturnType<typeof tfl.initializers.zeros>) => {
      this.w[n] = this.addWeight(n, shape, 'float32', init);
    };
    for (const n of ['q', 'k', 'v', 'o']) {
      add(`w${n}`, [d, d], glorot());
      add(`b${n}`, [d], tfl.initializers.zeros());
    }
    add('ff1', [d, this.ff], glorot());
    add('bff1', [this.ff], tfl.initializers.zeros());
    add('ff2', [this.ff, d], glorot());
    add('bff2', [d], tfl.initializers.zeros());
    add('ln1_gamma', [d], tfl.initializers.ones());
    add('ln1_beta', [d], tfl.initializers.zeros());
    add('ln2_gamma', [d], tfl.initializers.ones());
    add('ln2_beta', [d], tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  private r(n: string): tf.Tensor {
    return this.w[n]!.read();
  }

  private layerNorm(x: tf.Tensor2D, g: string, b: string): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), this.r(g)), this.r(b)) as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const [B, T, D] = x.shape;
      const training = kwargs.training === true;
      const drop = (t: tf.Tensor): tf.Tensor => (training && this.rate > 0 ? tf.dropout(t, this.rate) : t);
      if (this.positional) x = tf.add(x, positionalEncoding(T, D)) as tf.Tensor3D;
      const Hh = this.heads;
      const dh = D / Hh;
      const x2 = tf.reshape(x, [B * T, D]) as tf.Tensor2D;
      const n1 = this.layerNorm(x2, 'ln1_gamma', 'ln1_beta');
      const proj = (n: string) =>
        tf.reshape(tf.transpose(tf.reshape(tf.add(tf.matMul(n1, this.r(`w${n}`) as tf.Tensor2D), this.r(`b${n}`)), [B, T, Hh, dh]), [0, 2, 1, 3]), [B * Hh, T, dh]) as tf.Tensor3D;
      const q = proj('q');
      const k = proj('k');
      const v = proj('v');
      const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), -1);
      const ctx = tf.reshape(tf.transpose(tf.reshape(tf.matMul(drop(att) as tf.Tensor3D, v), [B, Hh, T, dh]), [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
      const y = tf.add(x2, drop(tf.add(tf.matMul(ctx, this.r('wo') as tf.Tensor2D), this.r('bo')))) as tf.Tensor2D;
      const n2 = this.layerNorm(y, 'ln2_gamma', 'ln2_beta');
      const hid = tf.relu(tf.add(tf.matMul(n2, this.r('ff1') as tf.Tensor2D), this.r('bff1'))) as tf.Tensor2D;
      const out = tf.add(y, drop(tf.add(tf.matMul(hid, this.r('ff2') as tf.Tensor2D), this.r('bff2'))));
      return tf.reshape(out, [B, T, D]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { heads: this.heads, dModel: this.dModel, ff: this.ff, dropout: this.rate, positional: this.positional };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return { ...super.getConfig(), ...cfg };
  }
}

tf.serialization.registerClass(TransformerEncoder);
