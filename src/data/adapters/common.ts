/**
 * What every file-name adapter provides: a pure parser from a path (relative to the dataset root,
 * '/'-separated) to the item's label, speaker and metadata — or the reason it does not parse.
 * Browser-safe (no Node imports): the directory walking lives in ../load.ts.
 */
import type { DatasetName, Emotion, MetaValue } from '../types.js';

export interface ParsedFile {
  label: Emotion;
  /** Globally unique speaker id, `<dataset>:<id>`. */
  speaker: string;
  meta: Record<string, MetaValue>;
}

export type ParseOutcome = ParsedFile | { error: string };

export function isParseError(p: ParseOutcome): p is { error: string } {
  return (p as { error?: string }).error !== undefined;
}

export interface FileNameAdapter {
  name: Exclude<DatasetName, 'manifest'>;
  /** One line for `--help` and docs. */
  description: string;
  /** Pure parser: `relPath` is relative to the dataset root, with '/' separators. */
  parse(relPath: string): ParseOutcome;
}

/** The last path segment. */
export function baseName(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? relPath : relPath.slice(i + 1);
}

/** The file name without its extension. */
export function stem(relPath: string): string {
  const b = baseName(relPath);
  const i = b.lastIndexOf('.');
  return i <= 0 ? b : b.slice(0, i);
}

/** The folder segments of a relative path (everything but the file name). */
export function dirSegments(relPath: string): string[] {
  const parts = relPath.split('/');
  parts.pop();
  return parts.filter((p) => p.length > 0 && p !== '.');
}
