/**
 * Worker-thread replica of the data-parallel trainer (see ./parallel.ts). Node only.
 * Holds its own wasm backend, a copy of the model and an identical Adam optimizer; computes
 * gradients on its shard, then applies the same summed gradient as the main thread so both
 * replicas stay bit-identical without broadcasting weights.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type BackendName } from './backend.js';
import './build.js'; // registers the project's custom layer classes
import { applyGrads, computeShard, readWeights, seededUniform, writeWeights, type ShardInput } from './parallel-core.js';

interface Init {
  topology: object;
  weights: Float32Array[];
  learningRate: number;
  seed: number;
  backend: BackendName;
}

const port = parentPort!;
let model: tfl.LayersModel | null = null;
let optimizer: tf.Optimizer | null = null;
let random: () => number = Math.random;

type Msg =
  | { type: 'step'; shard: ShardInput }
  | { type: 'apply'; grads: Float32Array[] }
  | { type: 'setWeights'; weights: Float32Array[]; indices?: number[] }
  | { type: 'getWeights'; indices?: number[] }
  | { type: 'lr'; lr: number }
  | { type: 'dispose' };

async function init(d: Init): Promise<void> {
  await initBackend(d.backend);
  model = await tfl.models.modelFromJSON({ modelTopology: d.topology } as never);
  writeWeights(model, d.weights);
  optimizer = tf.train.adam(d.learningRate);
  random = seededUniform(d.seed);
}

function handle(m: Msg): void {
  if (model === null || optimizer === null) throw new Error('parallel worker: not initialised');
  switch (m.type) {
    case 'step': {
      const r = computeShard(model, m.shard, random);
      port.postMessage({ type: 'grads', grads: r.grads, loss: r.loss, probs: r.probs }, [...r.grads.map((g) => g.buffer), r.probs.buffer] as ArrayBuffer[]);
      break;
    }
    case 'apply': {
      applyGrads(model, optimizer, m.grads);
      break;
    }
    case 'setWeights': {
      if (m.indices === undefined) writeWeights(model, m.weights);
      else tf.tidy(() => m.indices!.forEach((wi, j) => model!.weights[wi]!.write(tf.tensor(m.weights[j]!, model!.weights[wi]!.shape as number[]))));
      break;
    }
    case 'getWeights': {
      const all = readWeights(model);
      const out = m.indices === undefined ? all : m.indices.map((i) => all[i]!);
      port.postMessage({ type: 'weights', weights: out }, out.map((w) => w.buffer) as ArrayBuffer[]);
      break;
    }
    case 'lr':
      (optimizer as unknown as { learningRate: number }).learningRate = m.lr;
      break;
    case 'dispose':
      model.dispose();
      optimizer.dispose();
      port.close();
      break;
  }
}

const ready = init(workerData as Init).then(
  () => port.postMessage({ type: 'ready' }),
  (e: unknown) => port.postMessage({ type: 'error', message: `parallel worker failed to start: ${e instanceof Error ? e.message : String(e)}` }),
);

let chain: Promise<void> = ready;
port.on('message', (m: Msg) => {
  chain = chain.then(() => {
    try {
      handle(m);
    } catch (e) {
      port.postMessage({ type: 'error', message: `parallel worker: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
});
