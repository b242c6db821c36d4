/**
 * Extra kernels the wasm backend needs for training (tfjs-backend-wasm 4.22 lacks them).
 * `registerWasmTrainingKernels()` is idempotent; `initBackend` calls it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmConv2DBackpropFilterConfig } from './conv2d_backprop_filter.js';
import { installFastWasmKernels } from './fast_wasm.js';
import { registerFastGradients } from './gradients.js';

export { conv2DBackpropFilterImpl, callKernel } from './conv2d_backprop_filter.js';
export { installFastWasmKernels, sliceInPlace } from './fast_wasm.js';
export { registerFastGradients } from './gradients.js';

const configs: tf.KernelConfig[] = [wasmConv2DBackpropFilterConfig];

/** Registers every kernel of this folder for the 'wasm' backend, once. */
export function registerWasmTrainingKernels(): void {
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, c.backendName) === undefined) tf.registerKernel(c);
  }
  installFastWasmKernels();
  registerFastGradients();
}
