/** Synthetic runs for the report tests: a training history with known curves, test metrics, run folders. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEntry } from '../../src/model/train.js';
import { metricsFromConfusion, type EvaluationMetrics } from '../../src/model/metrics.js';
import type { Protocol } from '../../src/data/splits.js';
import type { RunSummary } from '../../src/report/types.js';

export const LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust'];

/** Curves that are exact quadratics of the 1-based epoch x (so the fits are known in closed form). */
export const CURVES = {
  loss: { a: 0.002, b: -0.1, c: 2.0 }, // vertex at 25
  val_loss: { a: 0.004, b: -0.12, c: 2.2 }, // vertex at 15
  acc: { a: -0.0005, b: 0.04, c: 0.2 }, // vertex at 40 (beyond 30 epochs)
  val_acc: { a: -0.0006, b: 0.03, c: 0.25 }, // vertex at 25
};

const q = (p: { a: number; b: number; c: number }, x: number) => p.a * x * x + p.b * x + p.c;

/** `epochs` entries, lr halved at 0-based epochs 10 and 20. */
export function syntheticHistory(epochs = 30, shift = 0): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let lr = 1e-3;
  for (let e = 0; e < epochs; e++) {
    if (e === 10 || e === 20) lr /= 2;
    const x = e + 1;
    out.push({
      epoch: e,
      loss: q(CURVES.loss, x) + shift,
      acc: q(CURVES.acc, x) - shift,
      uar: null,
      val_loss: q(CURVES.val_loss, x) + shift,
      val_acc: q(CURVES.val_acc, x) - shift,
      val_uar: null,
      lr,
      ms: 1500,
    });
  }
  return out;
}

/** A confusion matrix with `diag` on the diagonal and a few off-diagonal errors, varied by `seed`. */
export function syntheticConfusion(seed: number, diag = 20): number[][] {
  const k = LABELS.length;
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? diag + ((i * 3 + seed) % 5) : (i + 2 * j + seed) % 4)));
}

export function metricsOf(confusion: number[][]): EvaluationMetrics {
  return metricsFromConfusion(confusion, LABELS);
}

export const PROTOCOL: Protocol = {
  name: 'speaker-independent',
  seed: 7,
  description: 'speaker-independent: test speakers ravdess:01, ravdess:02; validation speakers ravdess:03',
  testSpeakers: ['ravdess:01', 'ravdess:02'],
  valSpeakers: ['ravdess:03'],
};

export function singleSummary(): RunSummary {
  const history = syntheticHistory();
  const test = metricsOf(syntheticConfusion(1));
  return {
    name: 'synthetic-run',
    protocol: PROTOCOL,
    labels: LABELS,
    parts: [{ name: 'run', protocol: PROTOCOL, history, training: { bestEpoch: 14, bestValue: 1.3, monitor: 'val_loss', stoppedBy: 'early_stopping', restoredBestWeights: true, elapsedMs: 45000 }, test }],
    command: 'ser train --data ../shared/data/ravdess --protocol speaker-independent --test-speakers 01,02',
    config: { epochs: 30, batch_size: 32, learning_rate: 1e-3 },
    wallTimeMs: 61000,
    counts: { train: { files: 720, recordings: 720, speakers: ['ravdess:04'] }, val: { files: 60 }, test: { files: 120, labels: { neutral: 20 } } },
  };
}

/** A single-split run folder as `ser train` writes it. Returns the folder. */
export async function writeRunDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const s = singleSummary();
  const p = s.parts[0];
  const trainResult = { history: p.history, bestEpoch: 14, bestValue: 1.3, monitor: 'val_loss', stoppedBy: 'early_stopping', restoredBestWeights: true, seed: 1, learningRate: 1e-3, batchSize: 32, elapsedMs: 45000 };
  await writeFile(join(dir, 'history.json'), JSON.stringify(trainResult, null, 2));
  await writeFile(join(dir, 'metrics.json'), JSON.stringify({ protocol: PROTOCOL, labels: LABELS, ...p.test, split: s.counts, wall_time_ms: 61000 }, null, 2));
  await writeFile(join(dir, 'config.json'), JSON.stringify(s.config));
  await writeFile(join(dir, 'command.txt'), s.command + '\n');
  return dir;
}

/** A k-fold run folder with metrics.json {protocol, folds: [...]} and history.json {folds: [...]}. */
export async function writeKFoldRunDir(dir: string, k = 3): Promise<{ dir: string; confusions: number[][][] }> {
  await mkdir(dir, { recursive: true });
  const base: Protocol = { name: 'speaker-kfold', seed: null, description: `speaker k-fold, k = ${k}`, k };
  const confusions = Array.from({ length: k }, (_, i) => syntheticConfusion(i, 10 + 5 * i));
  const folds = confusions.map((c, i) => ({ protocol: { ...base, fold: i, description: `speaker k-fold, k = ${k}, fold ${i + 1}` }, labels: LABELS, ...metricsOf(c) }));
  await writeFile(join(dir, 'metrics.json'), JSON.stringify({ protocol: base, labels: LABELS, folds }));
  const hist = confusions.map((_, i) => ({ history: syntheticHistory(12 + i, 0.01 * i), bestEpoch: 8, stoppedBy: 'epochs', monitor: 'val_loss' }));
  await writeFile(join(dir, 'history.json'), JSON.stringify({ folds: hist }));
  return { dir, confusions };
}
