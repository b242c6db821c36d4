/**
 * Classification metrics for speech emotion recognition: accuracy, macro-F1, UAR (unweighted
 * average recall), per-class precision / recall / F1 / support and the confusion matrix.
 *
 * Conventions (the same as scikit-learn's defaults with `zero_division=0`):
 * - `confusion[i][j]` counts items whose TRUE label is `labels[i]` and PREDICTED label is `labels[j]`.
 * - A per-class value whose denominator is zero (precision of a class never predicted, recall of a
 *   class with zero support, F1 when precision + recall = 0) is defined as 0 — never NaN.
 * - `uar` is the mean recall over the classes that occur in `yTrue` (scikit-learn's
 *   `balanced_accuracy_score`): a class absent from the test data says nothing about recall.
 * - `macro_f1` is the mean F1 over the classes that occur in `yTrue` or in `yPred`
 *   (scikit-learn's `f1_score(average='macro')` label set): a class never seen and never predicted
 *   is left out rather than counted as 0.
 * - With no items at all every figure is 0.
 *
 * Browser-safe: no Node imports.
 */
import { check } from '../errors.js';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvaluationMetrics {
  n: number;
  accuracy: number;
  macro_f1: number;
  uar: number;
  per_class: Record<string, ClassMetrics>;
  /** confusion[true][pred], rows and columns in the order of `labels`. */
  confusion: number[][];
}

/**
 * Confusion matrix of integer class indices: shape (nClasses, nClasses), `[true][pred]`.
 * Throws SerError('EPARAM') when the arrays differ in length or an index is outside [0, nClasses).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): number[][] {
  check(Number.isInteger(nClasses) && nClasses > 0, `confusionMatrix: nClasses must be a positive integer, got ${nClasses}`);
  check(yTrue.length === yPred.length, `confusionMatrix: yTrue has ${yTrue.length} items but yPred has ${yPred.length}`);
  const m: number[][] = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    check(Number.isInteger(t) && t >= 0 && t < nClasses, `confusionMatrix: yTrue[${i}] = ${t} is not a class index in [0, ${nClasses})`);
    check(Number.isInteger(p) && p >= 0 && p < nClasses, `confusionMatrix: yPred[${i}] = ${p} is not a class index in [0, ${nClasses})`);
    m[t][p]++;
  }
  return m;
}

/** Metrics from an existing confusion matrix (`[true][pred]`, square, in `labels` order). */
export function metricsFromConfusion(confusion: number[][], labels: string[]): EvaluationMetrics {
  const k = labels.length;
  check(k > 0, 'evaluateMetrics: labels must not be empty');
  check(new Set(labels).size === k, `evaluateMetrics: labels must be unique, got ${JSON.stringify(labels)}`);
  check(confusion.length === k && confusion.every((r) => r.length === k), `evaluateMetrics: confusion matrix must be ${k}x${k}`);
  let n = 0;
  let correct = 0;
  const rowSum = new Array<number>(k).fill(0);
  const colSum = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const c = confusion[i][j];
      n += c;
      rowSum[i] += c;
      colSum[j] += c;
      if (i === j) correct += c;
    }
  }
  const per_class: Record<string, ClassMetrics> = {};
  let recallSum = 0;
  let recallCount = 0;
  let f1Sum = 0;
  let f1Count = 0;
  for (let i = 0; i < k; i++) {
    const tp = confusion[i][i];
    const precision = colSum[i] > 0 ? tp / colSum[i] : 0;
    const recall = rowSum[i] > 0 ? tp / rowSum[i] : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    per_class[labels[i]] = { precision, recall, f1, support: rowSum[i] };
    if (rowSum[i] > 0) {
      recallSum += recall;
      recallCount++;
    }
    if (rowSum[i] > 0 || colSum[i] > 0) {
      f1Sum += f1;
      f1Count++;
    }
  }
  return {
    n,
    accuracy: n > 0 ? correct / n : 0,
    macro_f1: f1Count > 0 ? f1Sum / f1Count : 0,
    uar: recallCount > 0 ? recallSum / recallCount : 0,
    per_class,
    confusion: confusion.map((r) => r.slice()),
  };
}

/**
 * Evaluation metrics of predicted vs true class indices (indices into `labels`).
 * Returns {n, accuracy, macro_f1, uar, per_class: {label: {precision, recall, f1, support}},
 * confusion: (n_labels, n_labels) as [true][pred]}. See the module comment for the zero-division rules.
 */
export function evaluateMetrics(yTrue: Int32Array | ArrayLike<number>, yPred: Int32Array | ArrayLike<number>, labels: string[]): EvaluationMetrics {
  check(labels.length > 0, 'evaluateMetrics: labels must not be empty');
  return metricsFromConfusion(confusionMatrix(yTrue, yPred, labels.length), labels);
}

/** Unweighted average recall of integer predictions (mean recall over classes present in yTrue). */
export function uar(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): number {
  const m = confusionMatrix(yTrue, yPred, nClasses);
  let s = 0;
  let c = 0;
  for (let i = 0; i < nClasses; i++) {
    let row = 0;
    for (let j = 0; j < nClasses; j++) row += m[i][j];
    if (row > 0) {
      s += m[i][i] / row;
      c++;
    }
  }
  return c > 0 ? s / c : 0;
}

/** Index of the largest value in each row of a (rows, cols) row-major probability array. */
export function argmaxRows(probs: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = probs[r * cols + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
