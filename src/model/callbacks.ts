/**
 * Training callbacks as pure logic (no tfjs): early stopping and reduce-learning-rate-on-plateau,
 * with Keras's semantics, so they can be tested on synthetic metric sequences and reused by any
 * training loop. The loop feeds each epoch's monitored value; the callbacks answer what to do.
 *
 * Browser-safe: no Node imports.
 */
import { check } from '../errors.js';

/** A metric name from the per-epoch history that a callback may watch. */
export type MonitorName = 'val_loss' | 'val_acc' | 'val_uar' | 'loss' | 'acc' | 'uar';

/** 'min' for losses, 'max' for accuracies/UAR (Keras's mode 'auto'). */
export function monitorMode(monitor: MonitorName): 'min' | 'max' {
  return monitor === 'loss' || monitor === 'val_loss' ? 'min' : 'max';
}

/** True when `current` improves on `best` by more than `minDelta` in the given mode. NaN never improves. */
export function isImprovement(current: number, best: number, mode: 'min' | 'max', minDelta = 0): boolean {
  if (!Number.isFinite(current)) return false;
  return mode === 'min' ? current < best - minDelta : current > best + minDelta;
}

export interface EarlyStoppingOptions {
  /** Epochs without improvement after which training stops (Keras `patience`, default 10). */
  patience?: number;
  /** Metric to watch (default 'val_loss'). */
  monitor?: MonitorName;
  /** Minimum change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Restore the weights of the best epoch when training ends (default true). */
  restoreBestWeights?: boolean;
}

export interface EarlyStoppingDecision {
  /** This epoch is the best so far: snapshot its weights / write a checkpoint. */
  improved: boolean;
  /** Stop training after this epoch. */
  stop: boolean;
}

/**
 * Keras EarlyStopping: counts epochs since the last improvement of `monitor`; stops when the count
 * reaches `patience`. The first finite value is always an improvement.
 */
export class EarlyStopping {
  readonly patience: number;
  readonly monitor: MonitorName;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  best: number;
  bestEpoch = -1;
  wait = 0;
  stoppedEpoch = -1;

  constructor(options: EarlyStoppingOptions = {}) {
    this.patience = options.patience ?? 10;
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.restoreBestWeights = options.restoreBestWeights ?? true;
    check(Number.isInteger(this.patience) && this.patience >= 0, `earlyStopping.patience must be an integer >= 0, got ${options.patience}`);
    this.mode = monitorMode(this.monitor);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Feed the monitored value of `epoch`; returns whether it improved and whether to stop. */
  update(epoch: number, value: number): EarlyStoppingDecision {
    if (isImprovement(value, this.best, this.mode, this.minDelta)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { improved: true, stop: false };
    }
    this.wait++;
    const stop = this.wait >= this.patience;
    if (stop) this.stoppedEpoch = epoch;
    return { improved: false, stop };
  }
}

export interface ReduceLrOnPlateauOptions {
  /** Multiply the learning rate by this factor on a plateau (default 0.5; must be in (0, 1)). */
  factor?: number;
  /** Epochs without improvement before reducing (default 5). */
  patience?: number;
  /** Lower bound of the learning rate (default 1e-6). */
  minLr?: number;
  /** Metric to watch (default 'val_loss'). */
  monitor?: MonitorName;
  /** Minimum change that counts as an improvement (default 0; Keras uses 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
}

/**
 * Keras ReduceLROnPlateau: when `monitor` has not improved for `patience` epochs, the learning
 * rate becomes max(lr · factor, minLr) (only if lr is still above minLr), and the wait restarts.
 */
export class ReduceLrOnPlateau {
  readonly factor: number;
  readonly patience: number;
  readonly minLr: number;
  readonly monitor: MonitorName;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  best: number;
  wait = 0;
  cooldownCounter = 0;

  constructor(options: ReduceLrOnPlateauOptions = {}) {
    this.factor = options.factor ?? 0.5;
    this.patience = options.patience ?? 5;
    this.minLr = options.minLr ?? 1e-6;
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.cooldown = options.cooldown ?? 0;
    check(this.factor > 0 && this.factor < 1, `reduceLrOnPlateau.factor must be in (0, 1), got ${options.factor}`);
    check(Number.isInteger(this.patience) && this.patience >= 0, `reduceLrOnPlateau.patience must be an integer >= 0, got ${options.patience}`);
    check(this.minLr >= 0 && Number.isFinite(this.minLr), `reduceLrOnPlateau.minLr must be >= 0, got ${options.minLr}`);
    check(Number.isInteger(this.cooldown) && this.cooldown >= 0, `reduceLrOnPlateau.cooldown must be an integer >= 0, got ${options.cooldown}`);
    this.mode = monitorMode(this.monitor);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Feed the monitored value and the current learning rate; returns the learning rate to use next. */
  update(value: number, lr: number): number {
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (isImprovement(value, this.best, this.mode, this.minDelta)) {
      this.best = value;
      this.wait = 0;
      return lr;
    }
    if (this.cooldownCounter > 0) return lr;
    this.wait++;
    if (this.wait >= this.patience) {
      // float32 comparison as in Keras: no reduction once lr has reached minLr
      if (Math.fround(lr) > Math.fround(this.minLr)) {
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
        return Math.max(lr * this.factor, this.minLr);
      }
    }
    return lr;
  }
}
