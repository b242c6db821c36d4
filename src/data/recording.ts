/**
 * Source-recording identity. Browser-safe.
 *
 * Every split and every leakage check works on `recordingId(item)`, the identity of the SOURCE
 * recording an item was made from:
 * - an original item: `<dataset>:<meta.recordingKey>` when the adapter knows a corpus-level key
 *   (RAVDESS, TESS, CREMA-D, SAVEE use the file stem, so the same recording stored as .wav in
 *   one folder and .flac in another is recognised as one recording), else `<dataset>:<path>`;
 * - an augmented copy: its source's recordingId, stored in `meta.sourceId` by `augmentedCopy`.
 */
import type { DatasetItem, MetaValue } from './types.js';

export function recordingId(item: DatasetItem): string {
  const src = item.meta.sourceId;
  if (typeof src === 'string' && src.length > 0) return src;
  const key = item.meta.recordingKey;
  return `${item.dataset}:${typeof key === 'string' && key.length > 0 ? key : item.path}`;
}

/** True for an item made by augmentation (it carries `meta.augmented === true`). */
export function isAugmented(item: DatasetItem): boolean {
  return item.meta.augmented === true;
}

/**
 * An augmented copy of `source`: same label, speaker and dataset; `meta` extended with
 * `augmented: true`, `augmentation` (a description such as 'pitch+2') and `sourceId` (the
 * source's recordingId), so the copy can never be mistaken for a different recording.
 * `path` defaults to the source's path plus `#augmentation` (copies usually live in memory or in
 * the feature cache, not as files).
 */
export function augmentedCopy(
  source: DatasetItem,
  augmentation: string,
  extra: { path?: string; meta?: Record<string, MetaValue> } = {},
): DatasetItem {
  return {
    path: extra.path ?? `${source.path}#${augmentation}`,
    label: source.label,
    speaker: source.speaker,
    dataset: source.dataset,
    meta: { ...source.meta, ...extra.meta, augmented: true, augmentation, sourceId: recordingId(source) },
  };
}
