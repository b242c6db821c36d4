/**
 * A fused LSTM with a hand-written backward pass (backprop through time).
 *
 * Gate order and weight layout are Keras/tfjs's: kernel W (features, 4·units), recurrent kernel
 * U (units, 4·units), bias b (4·units), gates [i, f, g(cell candidate), o]; sigmoid gates, tanh
 * activation (PyTorch's and Keras ≥ 2.3's recipe):
 *   z_t = x_t W + h_{t−1} U + b,  i,f,o = σ(z_i,z_f,z_o),  g = tanh(z_g),
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t).
 * Forward: the input projection of ALL time steps is one matrix product (x[T·B, F] · W + b), the
 * recurrence is one matMul + a few element-wise ops per step. Backward: every quantity that does
 * not depend on the incoming gradient (gate derivatives, tanh(c), …) is computed for all steps at
 * once; the per-step loop carries only dh, dc; dW, dU, db, dx are then a handful of large ops.
 *
 * On the wasm and cpu backends the recurrence runs as ONE kernel call forward and ONE backward
 * (../kernels/lstm.ts: WebAssembly SIMD, or plain JS); the per-step tfjs ops above are the
 * fallback for other backends (webgl) and can be forced with `setLstmKernelsEnabled(false)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../tfjs.js';
import { LSTM_BACKWARD, LSTM_FORWARD, registerLstmKernels } from '../kernels/lstm.js';

registerLstmKernels();

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

function forward(
  x: tf.Tensor3D,
  W: tf.Tensor2D,
  U: tf.Tensor2D,
  b: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): { H: tf.Tensor3D; Z: tf.Tensor3D; C: tf.Tensor3D; X2: tf.Tensor2D } {
  const [B, T, F] = x.shape;
  const G = U.shape[1];
  // Time-major so that each step's slice is contiguous.
  const X2 = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, F]) as tf.Tensor2D;
  const XP = tf.reshape(tf.add(tf.matMul(X2, W), b), [T, B, G]) as tf.Tensor3D;
  const xp = tf.unstack(XP) as tf.Tensor2D[];
  const zs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [];
  const hs: tf.Tensor2D[] = [];
  let h = h0;
  let c = c0;
  for (let t = 0; t < T; t++) {
    const z = tf.add(xp[t]!, tf.matMul(h, U)) as tf.Tensor2D;
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
    const i = tf.sigmoid(zi!);
    const f = tf.sigmoid(zf!);
    const g = tf.tanh(zg!);
    const o = tf.sigmoid(zo!);
    c = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
    zs.push(z);
    cs.push(c);
    hs.push(h);
  }
  return { H: tf.stack(hs) as tf.Tensor3D, Z: tf.stack(zs) as tf.Tensor3D, C: tf.stack(cs) as tf.Tensor3D, X2 };
}

/**
 * Backward pass. dHseq: gradient w.r.t. every output step, time-major (T, B, H), or null when
 * only the last step's output was used (then dHlast (B, H)).
 * Returns [dx (B,T,F), dW, dU, db, dh0, dc0].
 */
function backward(
  dHseq: tf.Tensor3D | null,
  dHlast: tf.Tensor2D | null,
  X2: tf.Tensor2D,
  W: tf.Tensor2D,
  U: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  Z: tf.Tensor3D,
  C: tf.Tensor3D,
  H: tf.Tensor3D,
  B: number,
  T: number,
  F: number,
): tf.Tensor[] {
  const G = U.shape[1];
  const Hn = G / 4;
  // Everything that does not depend on the incoming gradient, for all steps at once.
  const [zi, zf, zg, zo] = tf.split(Z, 4, 2) as tf.Tensor3D[];
  const I = tf.sigmoid(zi!);
  const Fg = tf.sigmoid(zf!);
  const Gc = tf.tanh(zg!);
  const O = tf.sigmoid(zo!);
  const TC = tf.tanh(C);
  const one = tf.scalar(1);
  const Cprev = T > 1 ? tf.concat([tf.reshape(c0, [1, B, Hn]), tf.slice(C, [0, 0, 0], [T - 1, B, Hn])], 0) : tf.reshape(c0, [1, B, Hn]);
  const Hprev = T > 1 ? tf.concat([tf.reshape(h0, [1, B, Hn]), tf.slice(H, [0, 0, 0], [T - 1, B, Hn])], 0) : tf.reshape(h0, [1, B, Hn]);
  // dc_t += dh_t ⊙ o ⊙ (1 − tanh²c_t)
  const A = tf.mul(O, tf.sub(one, tf.square(TC)));
  // dz = [dc⊙g⊙i(1−i), dc⊙c_{t−1}⊙f(1−f), dc⊙i⊙(1−g²), dh⊙tanh(c)⊙o(1−o)] = [dc,dc,dc,dh] ⊙ P
  const P = tf.concat(
    [
      tf.mul(Gc, tf.mul(I, tf.sub(one, I))),
      tf.mul(Cprev, tf.mul(Fg, tf.sub(one, Fg))),
      tf.mul(I, tf.sub(one, tf.square(Gc))),
      tf.mul(TC, tf.mul(O, tf.sub(one, O))),
    ],
    2,
  );
  const As = tf.unstack(A) as tf.Tensor2D[];
  const Ps = tf.unstack(P) as tf.Tensor2D[];
  const Fs = tf.unstack(Fg) as tf.Tensor2D[];
  const dYs = dHseq !== null ? (tf.unstack(dHseq) as tf.Tensor2D[]) : null;
  const dzs: tf.Tensor2D[] = new Array<tf.Tensor2D>(T);
  // Uᵀ once: the same right operand in every step's product (the wasm matMul packs it once).
  const UT = tf.transpose(U) as tf.Tensor2D;
  let dhNext: tf.Tensor2D | null = null;
  let dcNext: tf.Tensor2D | null = null;
  for (let t = T - 1; t >= 0; t--) {
    let dh: tf.Tensor2D;
    if (dYs !== null) dh = dhNext === null ? dYs[t]! : tf.add(dYs[t]!, dhNext);
    else dh = dhNext === null ? dHlast! : dhNext;
    const dcLocal = tf.mul(dh, As[t]!) as tf.Tensor2D;
    const dc: tf.Tensor2D = dcNext === null ? dcLocal : (tf.add(dcNext, dcLocal) as tf.Tensor2D);
    const dz = tf.mul(tf.concat([dc, dc, dc, dh], 1), Ps[t]!) as tf.Tensor2D;
    dzs[t] = dz;
    dhNext = tf.matMul(dz, UT) as tf.Tensor2D;
    dcNext = tf.mul(dc, Fs[t]!) as tf.Tensor2D;
  }
  const dZ = tf.reshape(tf.stack(dzs), [T * B, G]) as tf.Tensor2D;
  // Big products with the fresh operand on the left (cheap) and transposes done explicitly.
  const dW = tf.matMul(tf.transpose(X2), dZ);
  const dU = tf.matMul(tf.transpose(tf.reshape(Hprev, [T * B, Hn])), dZ);
  const db = tf.sum(dZ, 0);
  const dx = tf.transpose(tf.reshape(tf.matMul(dZ, tf.transpose(W)), [T, B, F]), [1, 0, 2]);
  return [dx, dW, dU, db, dhNext!, dcNext!];
}

function makeOp(returnSequences: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, W, U, b, h0, c0] = args.slice(0, 6) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D];
    const save = args[6] as tf.GradSaveFunc;
    const [B, T, F] = x.shape;
    const { H, Z, C, X2 } = forward(x, W, U, b, h0, c0);
    save([X2, W, U, h0, c0, Z, C, H]);
    const value = returnSequences
      ? (tf.transpose(H, [1, 0, 2]) as tf.Tensor)
      : (tf.reshape(tf.slice(H, [T - 1, 0, 0], [1, B, H.shape[2]]), [B, H.shape[2]]) as tf.Tensor);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sX2, sW, sU, sh0, sc0, sZ, sC, sH] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const dHseq = returnSequences ? (tf.transpose(dy, [1, 0, 2]) as tf.Tensor3D) : null;
        const dHlast = returnSequences ? null : (dy as tf.Tensor2D);
        return backward(dHseq, dHlast, sX2, sW, sU, sh0, sc0, sZ, sC, sH, B, T, F);
      },
    };
  });
}

const opSeq = makeOp(true);
const opLast = makeOp(false);

/**
 * The same op with the recurrence as one kernel call each way (SerLstmForward / SerLstmBackward).
 * Batch-major throughout: x (B,T,F) → XP = x·W + b (B,T,4H) → kernel → H, C, gates (B,T,·);
 * backward: one kernel call returns all six gradients.
 */
function makeKernelOp(returnSequences: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, W, U, b, h0, c0] = args.slice(0, 6) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D];
    const save = args[6] as tf.GradSaveFunc;
    const [B, T, F] = x.shape;
    const G = U.shape[1];
    const Hn = G / 4;
    const X2 = tf.reshape(x, [B * T, F]) as tf.Tensor2D;
    const XP = tf.reshape(tf.fused.matMul({ a: X2, b: W, bias: b }), [B, T, G]);
    const [Hs, Cs, Gs] = tf.engine().runKernel(LSTM_FORWARD, { xp: XP, u: U, h0, c0 }, {}) as tf.Tensor[];
    save([x, W, U, h0, c0, Hs!, Cs!, Gs!]);
    const value = returnSequences ? Hs! : tf.reshape(tf.slice(Hs!, [0, T - 1, 0], [B, 1, Hn]), [B, Hn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sX, sW, sU, sh0, sc0, sH, sC, sG] = saved;
        return tf.engine().runKernel(LSTM_BACKWARD, { gates: sG!, c: sC!, h: sH!, x: sX!, w: sW!, u: sU!, h0: sh0!, c0: sc0!, dy }, { sequence: returnSequences }) as tf.Tensor[];
      },
    };
  });
}

const kopSeq = makeKernelOp(true);
const kopLast = makeKernelOp(false);

let kernelsEnabled = true;

/** Use the one-call recurrence kernels where registered (default true), or force the per-step
 * tfjs ops (false), e.g. to compare both. */
export function setLstmKernelsEnabled(on: boolean): void {
  kernelsEnabled = on;
}

function useKernels(): boolean {
  return kernelsEnabled && tf.getKernel(LSTM_FORWARD, tf.getBackend()) !== undefined && tf.getKernel(LSTM_BACKWARD, tf.getBackend()) !== undefined;
}

/**
 * The fused LSTM as a differentiable op.
 * @param x input (batch, time, features)
 * @param kernel W (features, 4·units); recurrentKernel U (units, 4·units); bias (4·units)
 * @param h0, c0 initial states (batch, units)
 * @returns (batch, time, units) when returnSequences, else the last output (batch, units).
 * Gradients flow to all six inputs.
 */
export function lstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  returnSequences: boolean,
): tf.Tensor {
  if (useKernels()) return (returnSequences ? kopSeq : kopLast)(x, kernel, recurrentKernel, bias, h0, c0);
  return (returnSequences ? opSeq : opLast)(x, kernel, recurrentKernel, bias, h0, c0);
}

/** Keras-style orthogonal matrix (rows × cols), deterministic for a seed. */
export function orthogonalMatrix(rows: number, cols: number, seed: number | undefined, gain = 1): tf.Tensor2D {
  // Orthonormalise the min(rows, cols) vectors of length max(rows, cols) (modified Gram–Schmidt,
  // float64), then lay them out so that rows or columns are orthonormal.
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  // read outside tidy: tidy walks a returned typed array element by element
  const r = tf.randomNormal([n, m], 0, 1, 'float32', seed);
  const v = Float64Array.from(r.dataSync());
  r.dispose();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < m; k++) d += v[i * m + k]! * v[j * m + k]!;
      for (let k = 0; k < m; k++) v[i * m + k]! -= d * v[j * m + k]!;
    }
    let nn = 0;
    for (let k = 0; k < m; k++) nn += v[i * m + k]! ** 2;
    const s = gain / Math.sqrt(nn);
    for (let k = 0; k < m; k++) v[i * m + k]! *= s;
  }
  const out = new Float32Array(rows * cols);
  // rows ≤ cols: row i = vector i. rows > cols: column j = vector j.
  for (let i = 0; i < n; i++) for (let k = 0; k < m; k++) {
    if (rows <= cols) out[i * cols + k] = v[i * m + k]!;
    else out[k * cols + i] = v[i * m + k]!;
  }
  return tf.tensor2d(out, [rows, cols]);
}

export interface FusedLSTMArgs {
  units: number;
  /** Return the whole sequence (batch, time, units) instead of the last output. Default false. */
  returnSequences?: boolean;
  /** Process the sequence from the last step to the first (Keras semantics: the returned sequence
   * is in processing order, i.e. reversed). Default false. */
  goBackwards?: boolean;
  /** A second, backward LSTM; outputs concatenated [forward, backward] (backward sequence
   * re-aligned to input time order, like Keras's Bidirectional). Default false. */
  bidirectional?: boolean;
  /** Bias of the forget gate initialised to 1 (Keras's unit_forget_bias). Default true. */
  unitForgetBias?: boolean;
  seed?: number;
  kernelRegularizer?: { l2: number } | null;
  name?: string;
  trainable?: boolean;
}

/** tfjs-layers Layer wrapping lstmSequence. Serialisable as 'SerFusedLSTM'. Weights per direction:
 * kernel, recurrent_kernel, bias (same shapes and gate order as tf.layers.lstm). */
export class FusedLSTM extends tfl.layers.Layer {
  static className = 'SerFusedLSTM';
  readonly units: number;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly bidirectional: boolean;
  readonly unitForgetBias: boolean;
  readonly seed: number | undefined;
  private readonly l2: number;
  private vars: tfl.LayerVariable[] = [];

  constructor(args: FusedLSTMArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.bidirectional = args.bidirectional ?? false;
    this.unitForgetBias = args.unitForgetBias ?? true;
    this.seed = args.seed;
    this.l2 = args.kernelRegularizer?.l2 ?? 0;
    this.supportsMasking = false;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const F = s[s.length - 1] as number;
    const H = this.units;
    const reg = this.l2 > 0 ? tfl.regularizers.l2({ l2: this.l2 }) : undefined;
    const dirs = this.bidirectional ? ['', 'backward_'] : [''];
    this.vars = [];
    dirs.forEach((p, d) => {
      const seed = this.seed === undefined ? undefined : this.seed + 7 * d;
      const k = this.addWeight(`${p}kernel`, [F, 4 * H], 'float32', tfl.initializers.glorotUniform({ seed }), reg);
      const r = this.addWeight(`${p}recurrent_kernel`, [H, 4 * H], 'float32', tfl.initializers.zeros(), reg);
      const b = this.addWeight(`${p}bias`, [4 * H], 'float32', tfl.initializers.zeros());
      tf.tidy(() => {
        r.write(orthogonalMatrix(H, 4 * H, seed === undefined ? undefined : seed + 1));
        if (this.unitForgetBias) {
          b.write(tf.concat([tf.zeros([H]), tf.ones([H]), tf.zeros([2 * H])]) as tf.Tensor1D);
        }
      });
      this.vars.push(k, r, b);
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out = this.bidirectional ? 2 * this.units : this.units;
    return this.returnSequences ? [s[0]!, s[1]!, out] : [s[0]!, out];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const B = x.shape[0];
      const z = tf.zeros([B, this.units]) as tf.Tensor2D;
      const run = (d: number, xin: tf.Tensor3D) =>
        lstmSequence(
          xin,
          this.vars[3 * d]!.read() as tf.Tensor2D,
          this.vars[3 * d + 1]!.read() as tf.Tensor2D,
          this.vars[3 * d + 2]!.read() as tf.Tensor1D,
          z,
          z,
          this.returnSequences,
        );
      const xf = this.goBackwards ? (tf.reverse(x, 1) as tf.Tensor3D) : x;
      const fwd = run(0, xf);
      if (!this.bidirectional) return fwd;
      let bwd = run(1, tf.reverse(xf, 1) as tf.Tensor3D);
      if (this.returnSequences) bwd = tf.reverse(bwd, 1);
      return tf.concat([fwd, bwd], -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      units: this.units,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      bidirectional: this.bidirectional,
      unitForgetBias: this.unitForgetBias,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    if (this.l2 > 0) cfg.kernelRegularizer = { l2: this.l2 };
    return { ...super.getConfig(), ...cfg };
  }
}

tf.serialization.registerClass(FusedLSTM);
