/**
 * Leaner gradient definitions for ops whose shipped gradient is slow on every backend:
 *
 * - Mean: the shipped gradient (the copy bundled in tfjs-layers) builds a JS array of ones of the
 *   input's full size, uploads it and multiplies by it; here dy / N is broadcast (Tile) instead.
 *   Same values (dy·1/N = dy/N), no large host-side allocation. Batch-norm moments in training
 *   take two Means per layer.
 *
 * `registerFastGradients()` (idempotent) is called by initBackend (via ./index.ts), after tfjs-core
 * and tfjs-layers have registered theirs, so these replace them. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

const meanGrad: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const x = saved[0]!;
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const reduceSize = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expanded), reduceSize), x.shape) };
  },
};

let done = false;

/** Registers the gradients above, replacing the shipped ones (once). */
export function registerFastGradients(): void {
  if (done) return;
  done = true;
  tf.registerGradient(meanGrad);
}
