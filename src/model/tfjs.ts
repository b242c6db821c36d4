/**
 * Side-effect module: makes the tfjs-core + tfjs-layers pair usable without the @tensorflow/tfjs
 * umbrella package.
 *
 * tfjs-layers calls "chained" tensor methods (t.flatten(), t.reshape(), t.asType(), …) that
 * tfjs-core's Node bundle does not attach to Tensor.prototype (the umbrella package does, by
 * importing a file we cannot load here without getting a second copy of tfjs-core). This module
 * attaches the same thin wrappers — `t.name(...args)` = `tf.name(t, ...args)` — to the Tensor class
 * of the one tfjs-core instance the project uses. Idempotent; browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';

type AnyFn = (...a: unknown[]) => unknown;
const ops = tf as unknown as Record<string, AnyFn>;

/** Methods that are exactly `op(this, ...args)`. */
const SAME = (
  'abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchToSpaceND batchNorm ' +
  'broadcastTo cast ceil clipByValue conv1d conv2d conv2dTranspose cos cosh cumprod cumsum depthToSpace ' +
  'depthwiseConv2d dilation2d div divNoNan dot elu equal erf euclideanNorm exp expandDims expm1 fft floor ' +
  'floorDiv gather greater greaterEqual ifft irfft isFinite isInf isNaN leakyRelu less lessEqual ' +
  'localResponseNormalization log log1p logSigmoid logSoftmax logSumExp logicalAnd logicalNot logicalOr ' +
  'logicalXor matMul max maxPool maximum mean min minimum mirrorPad mod mul neg norm notEqual oneHot ' +
  'onesLike pad pool pow prelu prod reciprocal relu relu6 reshape resizeBilinear resizeNearestNeighbor ' +
  'reverse rfft round rsqrt selu separableConv2d sigmoid sign sin sinh slice softmax softplus ' +
  'spaceToBatchND split sqrt square squaredDifference squeeze step stridedSlice sub sum tan tanh tile topk ' +
  'transpose unique unsortedSegmentSum unstack zerosLike'
).split(' ');

const SPECIAL: Record<string, (this: tf.Tensor, ...a: unknown[]) => unknown> = {
  flatten() { return tf.reshape(this, [this.size]); },
  as1D() { return tf.reshape(this, [this.size]); },
  as2D(r, c) { return tf.reshape(this, [r as number, c as number]); },
  as3D(r, c, d) { return tf.reshape(this, [r as number, c as number, d as number]); },
  as4D(r, c, d, e) { return tf.reshape(this, [r as number, c as number, d as number, e as number]); },
  as5D(r, c, d, e, f) { return tf.reshape(this, [r as number, c as number, d as number, e as number, f as number]); },
  asScalar() { return tf.reshape(this, []); },
  asType(dtype) { return tf.cast(this, dtype as tf.DataType); },
  toBool() { return tf.cast(this, 'bool'); },
  toFloat() { return tf.cast(this, 'float32'); },
  toInt() { return tf.cast(this, 'int32'); },
  reshapeAs(x) { return tf.reshape(this, (x as tf.Tensor).shape); },
  concat(x, axis) { return tf.concat([this, ...(Array.isArray(x) ? x : [x as tf.Tensor])], axis as number); },
  stack(x, axis) { return tf.stack([this, ...(Array.isArray(x) ? x : [x as tf.Tensor])], axis as number); },
  where(cond, x) { return tf.where(cond as tf.Tensor, this, x as tf.Tensor); },
};

let done = false;

/** Attaches the chained tensor methods (idempotent). Called on import. */
export function registerChainedOps(): void {
  if (done) return;
  done = true;
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  for (const name of SAME) {
    const op = ops[name];
    if (typeof op !== 'function' || typeof proto[name] === 'function') continue;
    proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return op(this, ...args);
    };
  }
  for (const [name, fn] of Object.entries(SPECIAL)) {
    if (typeof proto[name] === 'function') continue;
    proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return fn.apply(this, args);
    };
  }
}

registerChainedOps();
