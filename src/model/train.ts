/**
 * The custom training loop (not `model.fit`): weighted categorical cross-entropy, Adam, seeded
 * shuffling, per-epoch history (loss / accuracy / UAR on train and validation, learning rate),
 * early stopping with best-weight restore, reduce-LR-on-plateau, checkpoints on improvement,
 * a progress callback with ETA and an AbortSignal for a clean Ctrl-C.
 *
 * Loss: Keras semantics for class weights. Each sample's weight is `classWeights[label]`; the batch
 * loss is `mean(w · ce) = sum(w · ce) / batch_size` (Keras's SUM_OVER_BATCH_SIZE reduction with
 * `class_weight`), where `ce = -sum(y · log(clip(p, 1e-7, 1 - 1e-7)))`. As in Keras, class weights
 * apply to training only: `val_loss` is the plain (unweighted) mean cross-entropy. Regularisation
 * penalties of the model's layers (e.g. L2 kernel regularizers) are added to the training loss
 * (and so to `loss` in the history), not to `val_loss`.
 *
 * The per-batch step is pluggable ({@link BatchTrainer}): by default a local tfjs step
 * ({@link createLocalTrainer}); a data-parallel trainer can be dropped in with `trainer`.
 *
 * Determinism: batches are drawn from a permutation made by a seeded PRNG, and the local step runs
 * with `Math.random` temporarily replaced by a seeded stream (tfjs draws unseeded dropout masks
 * from Math.random), so the same seed, data, model weights and backend give the same history.
 *
 * Browser-safe: no Node imports. Inputs are Float32Array of shape [n, frames, features] (row-major)
 * plus Int32Array labels in [0, nClasses).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { SerError, check } from '../errors.js';
import { Rng } from '../util/random.js';
import { EarlyStopping, ReduceLrOnPlateau, type EarlyStoppingOptions, type MonitorName, type ReduceLrOnPlateauOptions } from './callbacks.js';
import { argmaxRows, uar as uarOf } from './metrics.js';
import { augmentBatch, isIdentityBatchAugment, validateBatchAugment, type BatchAugmentConfig } from '../augment/batch.js';

/** Clipping epsilon of the cross-entropy (Keras's backend epsilon). */
export const CE_EPSILON = 1e-7;

/**
 * One training batch, as plain typed arrays. The arrays are views of buffers the loop reuses for
 * the next batch: a trainer must copy what it keeps beyond `trainBatch` and must not transfer
 * (detach) them.
 */
export interface Batch {
  /** Inputs, shape [batchSize, frames, features]. */
  x: Float32Array;
  shape: [number, number, number];
  /** One-hot targets, shape [batchSize, nClasses]. */
  yOneHot: Float32Array;
  /** Per-sample weights (class weight of each sample's label), shape [batchSize]. */
  sampleWeight: Float32Array;
  /** Integer labels, shape [batchSize]. */
  labels: Int32Array;
}

export interface BatchResult {
  /** Weighted batch loss mean(w · ce). */
  loss: number;
  /** Unweighted batch accuracy (training-mode forward pass). */
  acc: number;
  /** Predicted class of each sample (training-mode forward pass); enables the train UAR. */
  pred?: Int32Array;
}

/**
 * A per-batch training step. Contract: after `trainBatch` resolves, the weights of the `model`
 * passed to {@link train} are the updated ones (a parallel trainer syncs them back, or implements
 * `syncToModel`), because the loop evaluates and snapshots that model.
 */
export interface BatchTrainer {
  trainBatch(batch: Batch): Promise<BatchResult>;
  setLearningRate(lr: number): void;
  /** Called before the loop reads the model's weights (validation, snapshot), if the trainer keeps its own copy. */
  syncToModel?(): Promise<void> | void;
  /** Called after the loop wrote weights into the model (best-weight restore). */
  onWeightsSet?(): Promise<void> | void;
  dispose?(): void;
}

/** A copy of every weight of a model (trainable and not, e.g. batch-norm statistics), in `model.weights` order. */
export interface WeightSnapshot {
  names: string[];
  shapes: number[][];
  data: Float32Array[];
}

export interface HistoryEntry {
  epoch: number;
  loss: number;
  acc: number;
  /** Train UAR from the training-mode predictions of the epoch's batches (null if the trainer gives no predictions). */
  uar: number | null;
  val_loss: number | null;
  val_acc: number | null;
  val_uar: number | null;
  /** Learning rate used during this epoch. */
  lr: number;
  /** Wall-clock milliseconds of the epoch (training + validation). */
  ms: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running weighted loss and accuracy of the current epoch. */
  loss: number;
  acc: number;
  elapsedMs: number;
  /** Estimated milliseconds until `epochs` epochs are done (early stopping may end sooner). */
  etaMs: number;
}

/** Early-stopping settings of {@link train} (the callback's options, src/model/callbacks.ts). */
export type EarlyStoppingConfig = EarlyStoppingOptions;
/** Learning-rate reduction settings of {@link train} (the callback's options). */
export type ReduceLrConfig = ReduceLrOnPlateauOptions;

export interface TrainOptions {
  model: LayersModel;
  /** [n, frames, features] row-major; frames and features must match the model's input shape. */
  xTrain: Float32Array;
  yTrain: Int32Array;
  xVal?: Float32Array;
  yVal?: Int32Array;
  /** Weight of each class index (length nClasses); default all 1. */
  classWeights?: ArrayLike<number>;
  epochs: number;
  batchSize?: number;
  /** Adam learning rate (default 1e-4, the recipe's reduced rate). */
  learningRate?: number;
  /** Seed of shuffling and dropout masks (default 0). */
  seed?: number;
  /** Early stopping (default patience 10 on val_loss, restoring the best weights); false disables it. */
  earlyStopping?: EarlyStoppingConfig | false;
  /** Reduce-LR-on-plateau (default factor 0.5, patience 5, minLr 1e-6 on val_loss); false disables it. */
  reduceLrOnPlateau?: ReduceLrConfig | false;
  /** Batch size of the validation forward passes (default 128). */
  evalBatchSize?: number;
  onEpoch?: (entry: HistoryEntry) => void | Promise<void>;
  onProgress?: (p: TrainProgress) => void;
  /** Abort → training stops after the current batch; the best weights are kept. */
  signal?: AbortSignal;
  /** Called whenever the monitored metric improves, with the weights of that epoch. */
  checkpoint?: (epoch: number, weights: WeightSnapshot) => Promise<void>;
  /** Per-batch step; default {@link createLocalTrainer}(model, {learningRate, seed}). */
  trainer?: BatchTrainer;
  /**
   * In-loop augmentation of every training batch (SpecAugment-style masks, time shift, mixup,
   * label smoothing; src/augment/batch.ts), drawn from a generator seeded by `seed`. Validation
   * data is never augmented. Default: none.
   */
  batchAugment?: BatchAugmentConfig | null;
}

export interface TrainResult {
  history: HistoryEntry[];
  /** Epoch (0-based) whose weights the model holds at the end when best weights were restored, else the last epoch. */
  bestEpoch: number;
  /** Best value of the monitored metric. */
  bestValue: number | null;
  monitor: MonitorName;
  stoppedBy: 'epochs' | 'early_stopping' | 'abort';
  restoredBestWeights: boolean;
  seed: number;
  learningRate: number;
  batchSize: number;
  elapsedMs: number;
}

/** Copies every weight of `model` (`model.weights` order). */
export function snapshotWeights(model: LayersModel): WeightSnapshot {
  const names: string[] = [];
  const shapes: number[][] = [];
  const data: Float32Array[] = [];
  for (const w of model.weights) {
    const v = w.read();
    names.push(w.name);
    shapes.push(v.shape.slice());
    data.push(Float32Array.from(v.dataSync() as Float32Array));
  }
  return { names, shapes, data };
}

/** Writes a snapshot made by {@link snapshotWeights} back into `model`. */
export function restoreWeights(model: LayersModel, snap: WeightSnapshot): void {
  const ws = model.weights;
  check(ws.length === snap.data.length, `restoreWeights: model has ${ws.length} weights, snapshot ${snap.data.length}`);
  const tensors = snap.data.map((d, i) => tf.tensor(d, snap.shapes[i], 'float32'));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Class probabilities of `n` inputs [n, frames, features] in inference mode → Float32Array (n, nClasses). */
export function predictProbabilities(model: LayersModel, x: Float32Array, n: number, batchSize = 128): Float32Array {
  const [frames, features] = modelInputShape(model);
  const per = frames * features;
  check(x.length === n * per, `predict: expected ${n}×${frames}×${features} = ${n * per} values, got ${x.length}`);
  const nClasses = modelOutputClasses(model);
  const out = new Float32Array(n * nClasses);
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    const probs = tf.tidy(() => {
      const xt = tf.tensor3d(x.subarray(s * per, (s + b) * per), [b, frames, features]);
      return model.predict(xt, { batchSize: b }) as tf.Tensor;
    });
    out.set(probs.dataSync() as Float32Array, s * nClasses); // read outside tidy
    probs.dispose();
  }
  return out;
}

/** The model's input shape [frames, features] (from its first input, batch dimension dropped). */
export function modelInputShape(model: LayersModel): [number, number] {
  const shape = model.inputs[0].shape;
  const frames = shape[1];
  const features = shape[2];
  if (shape.length !== 3 || typeof frames !== 'number' || typeof features !== 'number') {
    throw new SerError('EMODEL', `model input shape must be [batch, frames, features] with fixed sizes, got [${shape.join(', ')}]`);
  }
  return [frames, features];
}

/** Number of classes of the model's softmax output. */
export function modelOutputClasses(model: LayersModel): number {
  const shape = model.outputs[0].shape;
  const k = shape[shape.length - 1];
  if (typeof k !== 'number') throw new SerError('EMODEL', `model output shape must end with a fixed class count, got [${shape.join(', ')}]`);
  return k;
}

/** Weighted categorical cross-entropy, mean(w · ce) over the batch (Keras semantics). Returns a scalar tensor. */
export function weightedCategoricalCrossentropy(yOneHot: tf.Tensor, probs: tf.Tensor, sampleWeight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(probs, CE_EPSILON, 1 - CE_EPSILON);
    const ce = tf.neg(tf.sum(tf.mul(yOneHot, tf.log(p)), -1));
    return tf.mean(tf.mul(ce, sampleWeight)) as tf.Scalar;
  });
}

/** Mean unweighted cross-entropy and predictions from probabilities (n, k) and labels. */
function lossAndPreds(probs: Float32Array, labels: Int32Array, k: number): { loss: number; pred: Int32Array } {
  const n = labels.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(Math.max(probs[i * k + labels[i]], CE_EPSILON), 1 - CE_EPSILON);
    s -= Math.log(p);
  }
  return { loss: n > 0 ? s / n : 0, pred: argmaxRows(probs, n, k) };
}

/**
 * Runs `fn` with the `seed` of the model's Dropout-type layers (Dropout, SpatialDropout1D,
 * GaussianDropout, GaussianNoise, AlphaDropout) temporarily removed, and restores them after.
 * Why: tfjs draws a layer's mask from a fresh generator seeded with that fixed seed on every call,
 * so a seeded Dropout drops the SAME units at every training step (a thinner network, not
 * dropout). Unseeded, the masks come from Math.random, which the local step replaces by a seeded
 * stream — deterministic across runs and different at every step.
 */
export function withUnseededDropout<T>(model: LayersModel, fn: () => T): T {
  const saved: { layer: { seed?: number }; seed: number }[] = [];
  const visit = (layers: readonly unknown[]) => {
    for (const l of layers as { getClassName(): string; seed?: number; layers?: unknown[] }[]) {
      if (Array.isArray(l.layers)) visit(l.layers);
      if (/Dropout|GaussianNoise/.test(l.getClassName()) && typeof l.seed === 'number') {
        saved.push({ layer: l, seed: l.seed });
        l.seed = undefined;
      }
    }
  };
  visit(model.layers);
  try {
    return fn();
  } finally {
    for (const s of saved) s.layer.seed = s.seed;
  }
}

/**
 * The default per-batch step: one Adam update of `model`'s trainable weights on the weighted
 * cross-entropy, forward pass in training mode (dropout on, batch-norm statistics updated).
 * Dropout masks are drawn from a PRNG seeded by `seed`, fresh at every step, also for Dropout
 * layers built with a fixed seed (see {@link withUnseededDropout}).
 */
export function createLocalTrainer(model: LayersModel, options: { learningRate?: number; seed?: number } = {}): BatchTrainer {
  const lr = options.learningRate ?? 1e-4;
  const optimizer = tf.train.adam(lr);
  const rng = new Rng(options.seed ?? 0).fork('dropout');
  return {
    async trainBatch(batch: Batch): Promise<BatchResult> {
      const b = batch.shape[0];
      const k = batch.yOneHot.length / b;
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      let probsT: tf.Tensor | null = null;
      const savedRandom = Math.random;
      Math.random = () => rng.uniform();
      let lossT: tf.Scalar;
      try {
        lossT = withUnseededDropout(model, () => tf.tidy((): tf.Scalar => {
          const x = tf.tensor3d(batch.x, batch.shape);
          const y = tf.tensor2d(batch.yOneHot, [b, k]);
          const w = tf.tensor1d(batch.sampleWeight);
          const cost = optimizer.minimize(
            () => {
              const probs = model.apply(x, { training: true }) as tf.Tensor;
              probsT = tf.keep(probs);
              let loss = weightedCategoricalCrossentropy(y, probs, w);
              // weight penalties (kernel regularizers), as Keras adds them to the training loss
              for (const reg of model.calculateLosses()) loss = tf.add(loss, reg) as tf.Scalar;
              return loss;
            },
            true,
            vars,
          );
          if (cost === null) throw new SerError('EMODEL', 'train: the optimizer returned no loss');
          return cost;
        }));
      } finally {
        Math.random = savedRandom;
      }
      const loss = (await lossT.data())[0];
      lossT.dispose();
      const probs = probsT as tf.Tensor | null;
      let pred: Int32Array = new Int32Array(0);
      if (probs) {
        const pd = (await probs.data()) as Float32Array;
        probs.dispose();
        pred = argmaxRows(pd, b, k);
      }
      let correct = 0;
      for (let i = 0; i < b; i++) if (pred[i] === batch.labels[i]) correct++;
      return { loss, acc: b > 0 ? correct / b : 0, pred };
    },
    setLearningRate(newLr: number) {
      (optimizer as unknown as { learningRate: number }).learningRate = newLr;
    },
    dispose() {
      optimizer.dispose();
    },
  };
}

function validateData(name: string, x: Float32Array | undefined, y: Int32Array | undefined, per: number, k: number): number {
  check(x instanceof Float32Array, `train: ${name} inputs must be a Float32Array`);
  check(y instanceof Int32Array, `train: ${name} labels must be an Int32Array`);
  const n = y.length;
  check(x.length === n * per, `train: ${name} inputs have ${x.length} values, expected ${n} items × ${per} (frames × features of the model input)`);
  for (let i = 0; i < n; i++) check(y[i] >= 0 && y[i] < k, `train: ${name} label ${y[i]} at item ${i} is outside [0, ${k})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new SerError('ENONFINITE', `train: ${name} inputs contain a non-finite value at index ${i}`);
  }
  return n;
}

function metricOf(entry: HistoryEntry, m: MonitorName): number {
  const v = entry[m];
  return v === null ? NaN : v;
}

/**
 * Trains `model` in place. Returns the history and how training ended; with
 * `earlyStopping.restoreBestWeights` (default) the model ends holding the weights of the best
 * epoch of the monitored metric — also after an abort. Without validation data the monitors
 * fall back to the training metrics ('val_loss' → 'loss').
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const t0 = Date.now();
  const { model } = options;
  const [frames, features] = modelInputShape(model);
  const k = modelOutputClasses(model);
  const per = frames * features;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 1e-4;
  const seed = options.seed ?? 0;
  const epochs = options.epochs;
  check(Number.isInteger(epochs) && epochs >= 1, `train: epochs must be an integer >= 1, got ${epochs}`);
  check(Number.isInteger(batchSize) && batchSize >= 1, `train: batchSize must be an integer >= 1, got ${batchSize}`);
  check(Number.isFinite(learningRate) && learningRate > 0, `train: learningRate must be > 0, got ${learningRate}`);
  const n = validateData('training', options.xTrain, options.yTrain, per, k);
  check(n > 0, 'train: the training set is empty');
  const hasVal = options.xVal !== undefined || options.yVal !== undefined;
  const nVal = hasVal ? validateData('validation', options.xVal, options.yVal, per, k) : 0;
  const useVal = hasVal && nVal > 0;
  const cw = new Float32Array(k).fill(1);
  if (options.classWeights !== undefined) {
    check(options.classWeights.length === k, `train: classWeights has ${options.classWeights.length} entries, the model has ${k} classes`);
    for (let i = 0; i < k; i++) {
      const w = options.classWeights[i];
      check(Number.isFinite(w) && w >= 0, `train: classWeights[${i}] = ${w} must be a finite number >= 0`);
      cw[i] = w;
    }
  }
  const fallback = (m: MonitorName): MonitorName => (useVal ? m : (m.replace(/^val_/, '') as MonitorName));
  const es = options.earlyStopping === false ? null : new EarlyStopping({ ...options.earlyStopping, monitor: fallback(options.earlyStopping?.monitor ?? 'val_loss') });
  const rlr = options.reduceLrOnPlateau === false ? null : new ReduceLrOnPlateau({ ...options.reduceLrOnPlateau, monitor: fallback(options.reduceLrOnPlateau?.monitor ?? 'val_loss') });
  // The best epoch is tracked on the early-stopping monitor (or val_loss/loss when early stopping is off).
  const tracker = es ?? new EarlyStopping({ monitor: fallback('val_loss'), patience: Number.MAX_SAFE_INTEGER, restoreBestWeights: false });
  const restoreBest = es !== null && es.restoreBestWeights;
  const batchAug = isIdentityBatchAugment(options.batchAugment) ? null : options.batchAugment!;
  if (batchAug) validateBatchAugment(batchAug);
  const augRng = new Rng(seed).fork('batch-augment');
  const augScratch = batchAug ? new Float32Array((batchAug.mixup ?? 0) > 0 ? batchSize * per : per) : undefined;

  const ownTrainer = options.trainer === undefined;
  const trainer = options.trainer ?? createLocalTrainer(model, { learningRate, seed });
  let lr = learningRate;
  trainer.setLearningRate(lr);
  const shuffleRng = new Rng(seed).fork('shuffle');
  const order = new Int32Array(n);
  const batches = Math.ceil(n / batchSize);
  const evalBatch = options.evalBatchSize ?? 128;

  const history: HistoryEntry[] = [];
  let best: WeightSnapshot | null = null;
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
  let trainMsTotal = 0;
  let batchesDone = 0;
  const aborted = () => options.signal?.aborted === true;

  const xb = new Float32Array(batchSize * per);
  const yb = new Float32Array(batchSize * k);
  const wb = new Float32Array(batchSize);
  const lb = new Int32Array(batchSize);

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (aborted()) {
        stoppedBy = 'abort';
        break;
      }
      const te = Date.now();
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleRng.shuffle(order);
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      const predAll = new Int32Array(n);
      const trueAll = new Int32Array(n);
      let havePred = true;
      for (let bi = 0; bi < batches; bi++) {
        if (aborted()) {
          stoppedBy = 'abort';
          break;
        }
        const s = bi * batchSize;
        const b = Math.min(batchSize, n - s);
        yb.fill(0);
        for (let j = 0; j < b; j++) {
          const idx = order[s + j];
          xb.set(options.xTrain.subarray(idx * per, (idx + 1) * per), j * per);
          const label = options.yTrain[idx];
          yb[j * k + label] = 1;
          wb[j] = cw[label];
          lb[j] = label;
        }
        if (batchAug) augmentBatch({ x: xb, yOneHot: yb, sampleWeight: wb, b, frames, features, k }, batchAug, augRng, augScratch);
        const tb = Date.now();
        const r = await trainer.trainBatch({
          x: xb.subarray(0, b * per),
          shape: [b, frames, features],
          yOneHot: yb.subarray(0, b * k),
          sampleWeight: wb.subarray(0, b),
          labels: lb.subarray(0, b),
        });
        trainMsTotal += Date.now() - tb;
        batchesDone++;
        if (!Number.isFinite(r.loss)) {
          // leave the model holding the best weights so far (a caller may still save them)
          if (restoreBest && best) {
            restoreWeights(model, best);
            await trainer.onWeightsSet?.();
          }
          throw new SerError('ENONFINITE', `train: the loss became ${r.loss} at epoch ${epoch + 1}, batch ${bi + 1} (learning rate ${lr}); lower the learning rate or check the inputs`);
        }
        lossSum += r.loss * b;
        accSum += r.acc * b;
        if (r.pred && r.pred.length === b) {
          predAll.set(r.pred, seen);
          trueAll.set(lb.subarray(0, b), seen);
        } else havePred = false;
        seen += b;
        if (options.onProgress) {
          const perBatch = trainMsTotal / batchesDone;
          const remaining = (batches - bi - 1) + (epochs - epoch - 1) * batches;
          options.onProgress({
            epoch,
            epochs,
            batch: bi + 1,
            batches,
            loss: lossSum / seen,
            acc: accSum / seen,
            elapsedMs: Date.now() - t0,
            etaMs: Math.round(remaining * perBatch * (1 + (useVal ? nVal / n / 3 : 0))),
          });
        }
      }
      if (stoppedBy === 'abort') break; // the interrupted epoch is not recorded
      await trainer.syncToModel?.();
      const entry: HistoryEntry = {
        epoch,
        loss: lossSum / seen,
        acc: accSum / seen,
        uar: havePred ? uarOf(trueAll, predAll, k) : null,
        val_loss: null,
        val_acc: null,
        val_uar: null,
        lr,
        ms: 0,
      };
      if (useVal) {
        const probs = predictProbabilities(model, options.xVal!, nVal, evalBatch);
        const { loss, pred } = lossAndPreds(probs, options.yVal!, k);
        let c = 0;
        for (let i = 0; i < nVal; i++) if (pred[i] === options.yVal![i]) c++;
        entry.val_loss = loss;
        entry.val_acc = c / nVal;
        entry.val_uar = uarOf(options.yVal!, pred, k);
      }
      entry.ms = Date.now() - te;
      history.push(entry);

      const dec = tracker.update(epoch, metricOf(entry, tracker.monitor));
      if (dec.improved) {
        if (restoreBest || options.checkpoint) {
          best = snapshotWeights(model);
          if (options.checkpoint) await options.checkpoint(epoch, best);
        }
      }
      if (rlr) {
        const next = rlr.update(metricOf(entry, rlr.monitor), lr);
        if (next !== lr) {
          lr = next;
          trainer.setLearningRate(lr);
        }
      }
      if (options.onEpoch) await options.onEpoch(entry);
      if (dec.stop && es) {
        stoppedBy = 'early_stopping';
        break;
      }
    }
  } finally {
    if (ownTrainer) trainer.dispose?.();
  }

  let restored = false;
  if (restoreBest && best && tracker.bestEpoch !== history.length - 1) {
    restoreWeights(model, best);
    await trainer.onWeightsSet?.();
    restored = true;
  }
  return {
    history,
    bestEpoch: restoreBest && tracker.bestEpoch >= 0 ? tracker.bestEpoch : history.length - 1,
    bestValue: Number.isFinite(tracker.best) ? tracker.best : null,
    monitor: tracker.monitor,
    stoppedBy,
    restoredBestWeights: restored || (restoreBest && tracker.bestEpoch === history.length - 1 && history.length > 0),
    seed,
    learningRate,
    batchSize,
    elapsedMs: Date.now() - t0,
  };
}

/** The history as pretty JSON (for `history.json`). */
export function historyToJson(result: TrainResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}

function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One progress line for a CLI, e.g. `epoch 3/50  batch 12/34  loss 1.2345  acc 41.2%  elapsed 0:42  ETA 11:05`. */
export function formatTrainProgress(p: TrainProgress): string {
  return (
    `epoch ${p.epoch + 1}/${p.epochs}  batch ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  acc ${(100 * p.acc).toFixed(1)}%  ` +
    `elapsed ${clock(p.elapsedMs)}  ETA ${clock(p.etaMs)}`
  );
}

/** One summary line per epoch, e.g. `epoch 3  loss 1.1 acc 52.0% uar 50.1%  val_loss 1.3 val_acc 45.0% val_uar 44.2%  lr 1e-4`. */
export function formatHistoryEntry(e: HistoryEntry): string {
  const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
  const num = (v: number | null) => (v === null ? '-' : v.toFixed(4));
  return (
    `epoch ${e.epoch + 1}  loss ${num(e.loss)} acc ${pct(e.acc)} uar ${pct(e.uar)}  ` +
    `val_loss ${num(e.val_loss)} val_acc ${pct(e.val_acc)} val_uar ${pct(e.val_uar)}  lr ${e.lr.toPrecision(3)}  ${clock(e.ms)}`
  );
}
