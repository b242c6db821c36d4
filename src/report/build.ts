/**
 * `buildReport(summary)`: every number of the training report (the content of report.json),
 * computed from a {@link RunSummary}: per part (run or fold) the test metrics, how training
 * ended, learning-rate drops and the four quadratic fits; for k-fold the mean ± standard deviation
 * over folds and the pooled confusion matrix. Browser-safe (no Node imports).
 *
 * Epochs in the report are 1-based (the first epoch is epoch 1), as the CLI prints them.
 * The standard deviation over folds is the population standard deviation (n in the denominator,
 * numpy's default and what `ser train` prints).
 */
import { metricsFromConfusion, type EvaluationMetrics } from '../model/metrics.js';
import type { Protocol } from '../data/splits.js';
import { fitHistory, type HistoryFits, type FitOptions } from './fit.js';
import { learningRateDrops } from './plots.js';
import type { DatasetCounts, RunSummary } from './types.js';

export const REPORT_FORMAT = 'ser-training-report';
export const REPORT_VERSION = 1;

export interface PartReport {
  name: string;
  protocol: Protocol | null;
  counts: DatasetCounts | null;
  epochs: number;
  /** 1-based best epoch (weights kept), or null. */
  best_epoch: number | null;
  best_value: number | null;
  monitor: string | null;
  stopped_by: string | null;
  restored_best_weights: boolean | null;
  training_ms: number | null;
  /** 1-based epochs where the learning rate changed, with the new rate. */
  lr_drops: { epoch: number; lr: number; from: number }[];
  /** Final-epoch figures (null where the history has none). */
  last: { loss: number | null; acc: number | null; val_loss: number | null; val_acc: number | null; lr: number | null } | null;
  test: EvaluationMetrics | null;
  /** Validation-set metrics when recorded (used for early stopping: not a test result). */
  val: EvaluationMetrics | null;
  fits: HistoryFits;
}

export interface Aggregate {
  k: number;
  mean: { accuracy: number; uar: number; macro_f1: number };
  std: { accuracy: number; uar: number; macro_f1: number };
  /** Metrics of the confusion matrix summed over folds (every test item counted once). */
  pooled: EvaluationMetrics;
}

export interface TrainingReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  epoch_base: 1;
  generated: string;
  run: {
    name: string;
    source: string | null;
    protocol: Protocol | null;
    command: string | null;
    config: unknown;
    wall_time_ms: number | null;
    /** Where wall_time_ms came from: 'recorded' (run folder), 'training' (sum of the parts' training time), or null. */
    wall_time_source: 'recorded' | 'training' | null;
    counts: DatasetCounts | null;
    interrupted: boolean;
  };
  labels: string[];
  parts: PartReport[];
  /** k-fold only (more than one part with test metrics). */
  aggregate: Aggregate | null;
  /** The metrics the headline table shows: the single run's test metrics, or the pooled k-fold ones. */
  overall: EvaluationMetrics | null;
  figures: Record<string, { svg: string; png: string }>;
}

const finite = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);

function meanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, std: 0 };
  const mean = xs.reduce((u, v) => u + v, 0) / n;
  const ss = xs.reduce((u, v) => u + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / n) };
}

/** Computes every number of the report from a run summary. */
export function buildReport(summary: RunSummary, options: FitOptions & { now?: Date } = {}): TrainingReport {
  const parts: PartReport[] = summary.parts.map((p) => {
    const h = p.history;
    const last = h.length ? h[h.length - 1] : null;
    const t = p.training;
    const trainingMs = finite(t?.elapsedMs) ?? (h.length ? h.reduce((u, e) => u + (Number.isFinite(e.ms) ? e.ms : 0), 0) : null);
    return {
      name: p.name,
      protocol: p.protocol,
      counts: p.counts ?? null,
      epochs: h.length,
      best_epoch: finite(t?.bestEpoch) !== null ? t!.bestEpoch! + 1 : null,
      best_value: finite(t?.bestValue),
      monitor: t?.monitor ?? null,
      stopped_by: t?.stoppedBy ?? null,
      restored_best_weights: t?.restoredBestWeights ?? null,
      training_ms: trainingMs,
      lr_drops: learningRateDrops(h),
      last: last
        ? { loss: finite(last.loss), acc: finite(last.acc), val_loss: finite(last.val_loss), val_acc: finite(last.val_acc), lr: finite(last.lr) }
        : null,
      test: p.test,
      val: p.val ?? null,
      fits: fitHistory(h, options),
    };
  });
  const tested = parts.filter((p) => p.test);
  let aggregate: Aggregate | null = null;
  let overall: EvaluationMetrics | null = tested.length === 1 ? tested[0].test : null;
  if (tested.length > 1 && summary.labels.length > 0) {
    const k = summary.labels.length;
    const pooledConf = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const p of tested) p.test!.confusion.forEach((row, i) => row.forEach((c, j) => (pooledConf[i][j] += c)));
    const pooled = metricsFromConfusion(pooledConf, summary.labels);
    const acc = meanStd(tested.map((p) => p.test!.accuracy));
    const uar = meanStd(tested.map((p) => p.test!.uar));
    const f1 = meanStd(tested.map((p) => p.test!.macro_f1));
    aggregate = {
      k: tested.length,
      mean: { accuracy: acc.mean, uar: uar.mean, macro_f1: f1.mean },
      std: { accuracy: acc.std, uar: uar.std, macro_f1: f1.std },
      pooled,
    };
    overall = pooled;
  }
  const recorded = finite(summary.wallTimeMs);
  const summed = parts.every((p) => p.training_ms === null) ? null : parts.reduce((u, p) => u + (p.training_ms ?? 0), 0);
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    epoch_base: 1,
    generated: (options.now ?? new Date()).toISOString(),
    run: {
      name: summary.name,
      source: summary.source ?? null,
      protocol: summary.protocol,
      command: summary.command ?? null,
      config: summary.config ?? null,
      wall_time_ms: recorded ?? summed,
      wall_time_source: recorded !== null ? 'recorded' : summed !== null ? 'training' : null,
      counts: summary.counts ?? null,
      interrupted: summary.interrupted === true || parts.some((p) => p.stopped_by === 'abort'),
    },
    labels: summary.labels,
    parts,
    aggregate,
    overall,
    figures: {},
  };
}
