/**
 * The per-recording work of the training pipeline's feature stage (Node: reads files):
 * decode → resample to `sr` (src/workers/feature-tasks.ts decodeForFeatures, shared with `ser features`
 * and the dataset cache) → [trim silence (librosa.effects.trim)] → [augmentation] →
 * crop / pad to the clip length exactly as `predictClip` does (src/dsp/clip.ts fitClip) →
 * features → one checksummed cache entry (src/io/featfile.ts) written atomically.
 *
 * Trimming happens BEFORE augmentation so that a noisy copy is trimmed like its source, and so
 * that the original (no augmentation) goes through exactly the steps a bundle applies at
 * prediction time: trim → fitClip(crop, pad) → extractFeatures.
 * Runs in-process (jobs = 1) or in the worker (./feature-worker.ts): same output either way.
 */
import { SerError } from '../errors.js';
import { extractFeatures, type FeatureConfig } from '../features/extract.js';
import { encodeFeatureEntry } from '../io/featfile.js';
import { writeFileAtomic } from '../util/atomic.js';
import { trim } from '../dsp/trim.js';
import { fitClip } from '../dsp/clip.js';
import { decodeForFeatures } from '../workers/feature-tasks.js';
import type { ClipCrop, ClipPad } from '../dsp/clip.js';

export interface PipelineFeatureTask {
  file: string;
  sr: number;
  config: FeatureConfig;
  /** An src/augment descriptor, or null for the original recording. */
  augmentation: unknown;
  seed: number;
  /** librosa.effects.trim top_db, or null for no trimming. */
  trimDb: number | null;
  clipSeconds: number;
  crop: ClipCrop;
  pad: ClipPad;
  outPath: string;
  contentSha256: string;
  meta: Record<string, unknown>;
}

export interface PipelineFeatureResult {
  rows: number;
  cols: number;
}

/** Runs one task: writes the entry at `task.outPath`. Errors are SerErrors naming the file. */
export async function runPipelineFeatureTask(task: PipelineFeatureTask): Promise<PipelineFeatureResult> {
  let y = (await decodeForFeatures(task)).y;
  if (y.length === 0) throw new SerError('EEMPTY', 'the audio is empty', { file: task.file });
  if (task.trimDb !== null) {
    const t = trim(y, { top_db: task.trimDb }).y;
    if (t.length > 0) y = t; // an all-silent clip stays whole (as predictClip does)
  }
  if (task.augmentation !== null && task.augmentation !== undefined) {
    const { applyAugmentation } = await import('../augment/index.js');
    y = applyAugmentation(y, task.sr, task.augmentation as Parameters<typeof applyAugmentation>[2], task.seed);
  }
  y = fitClip(y, Math.round(task.clipSeconds * task.sr), task.crop, task.pad);
  const f = extractFeatures(y, task.sr, task.config);
  const entry = encodeFeatureEntry({ ...task.meta, sr: task.sr, columns: f.columns }, { rows: f.rows, cols: f.cols, data: f.data });
  await writeFileAtomic(task.outPath, entry);
  return { rows: f.rows, cols: f.cols };
}
