/**
 * Dataset types shared by the adapters, the splits and the training pipeline. Browser-safe: no
 * Node imports.
 */

/** The unified emotion vocabulary (RAVDESS's eight classes); every adapter maps onto it. */
export type Emotion = 'neutral' | 'calm' | 'happy' | 'sad' | 'angry' | 'fearful' | 'disgust' | 'surprised';

/** All eight emotions, in RAVDESS code order (01 neutral … 08 surprised). */
export const ALL_EMOTIONS: readonly Emotion[] = Object.freeze([
  'neutral',
  'calm',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgust',
  'surprised',
] as const);

/** The recipe's six classes, in the recipe's order: the default emotion selection. */
export const RECIPE_EMOTIONS: readonly Emotion[] = Object.freeze([
  'calm',
  'happy',
  'fearful',
  'disgust',
  'angry',
  'sad',
] as const);

/** Names accepted for `dataset` options (besides 'auto'). */
export type DatasetName = 'ravdess' | 'tess' | 'crema-d' | 'savee' | 'folder' | 'manifest';
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze([
  'ravdess',
  'tess',
  'crema-d',
  'savee',
  'folder',
  'manifest',
] as const);

export type MetaValue = string | number | boolean;

/**
 * One labelled recording.
 * - `path`: the audio file (absolute, or as given on the command line resolved against the cwd).
 * - `speaker`: globally unique speaker id, always `<dataset>:<id>` (e.g. `ravdess:07`,
 *   `crema-d:1001`, `tess:OAF`), so speakers of different corpora never collide.
 * - `dataset`: the adapter that produced the item ('ravdess', 'tess', ...).
 * - `meta`: everything else the file name tells (RAVDESS intensity, statement, gender, ...).
 *   Reserved keys: `recordingKey` (the adapter's identity of the source recording, see
 *   recordingId), `sourceId` / `augmented` / `augmentation` (set on augmented copies only).
 */
export interface DatasetItem {
  path: string;
  label: Emotion;
  speaker: string;
  dataset: string;
  meta: Record<string, MetaValue>;
}

/** A file an adapter could not use, and why. */
export interface DatasetProblem {
  file: string;
  reason: string;
}

export function isEmotion(x: unknown): x is Emotion {
  return typeof x === 'string' && (ALL_EMOTIONS as readonly string[]).includes(x);
}
