/**
 * The input of the training report, independent of any folder layout: `loadRunDir` (run-dir.ts)
 * builds one from a `ser train` run folder; a program can also build one directly from
 * `train()`'s result and `evaluateMetrics()`. Browser-safe (types only).
 */
import type { HistoryEntry } from '../model/train.js';
import type { EvaluationMetrics } from '../model/metrics.js';
import type { Protocol, SplitSummary } from '../data/splits.js';

/** How training ended (the fields of `TrainResult` the report uses; all optional). */
export interface TrainingInfo {
  /** 0-based epoch whose weights the model holds (best epoch when restored). */
  bestEpoch?: number | null;
  bestValue?: number | null;
  /** Monitored metric, e.g. 'val_loss'. */
  monitor?: string | null;
  stoppedBy?: 'epochs' | 'early_stopping' | 'abort' | string | null;
  restoredBestWeights?: boolean | null;
  elapsedMs?: number | null;
}

/** Dataset counts of one split: files (and optionally recordings / speakers / per-label counts) per partition. */
export interface PartitionCounts {
  files: number;
  recordings?: number;
  augmented?: number;
  speakers?: string[];
  labels?: Record<string, number>;
}

export interface DatasetCounts {
  train?: PartitionCounts;
  val?: PartitionCounts;
  test?: PartitionCounts;
}

/** One trained model: the whole run for a single split, or one fold of a k-fold run. */
export interface RunPart {
  /** Display name, e.g. "run" or "fold 1". */
  name: string;
  /** The split protocol this part was trained and tested under. */
  protocol: Protocol | null;
  /** Per-epoch history (0-based `epoch`). May be empty. */
  history: HistoryEntry[];
  training: TrainingInfo | null;
  /** Test-set metrics (null when the run has none). */
  test: EvaluationMetrics | null;
  /** Validation-set metrics, when recorded (not a test result: validation drove early stopping). */
  val?: EvaluationMetrics | null;
  counts?: DatasetCounts | null;
}

export interface RunSummary {
  /** Run name (e.g. the run folder's name). */
  name: string;
  /** The run's protocol: for k-fold the protocol shared by the folds (any `fold` field ignored). */
  protocol: Protocol | null;
  /** Class labels in model output order (confusion-matrix order). */
  labels: string[];
  /** One entry for a single split; k entries for k-fold. */
  parts: RunPart[];
  /** The command line that made the run. */
  command?: string | null;
  /** The training configuration (shown as JSON). */
  config?: unknown;
  /** Wall time of the whole run in ms (null: unknown; the report then sums the parts' training time). */
  wallTimeMs?: number | null;
  /** Dataset counts of the whole run (single split: the split's counts). */
  counts?: DatasetCounts | null;
  /** True when training was interrupted (Ctrl-C): the results are of a shortened run. */
  interrupted?: boolean | null;
  /** Where the summary came from (the run folder), for display only. */
  source?: string | null;
}

export type { HistoryEntry, EvaluationMetrics, Protocol, SplitSummary };
