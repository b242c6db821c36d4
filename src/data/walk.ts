/**
 * Directory walking for the dataset adapters (Node only).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SerError } from '../errors.js';

/** File extensions treated as audio (lower case, with the dot). */
export const AUDIO_EXTENSIONS: readonly string[] = ['.wav', '.flac', '.mp3', '.ogg', '.oga'];

export function isAudioFile(name: string): boolean {
  const lower = name.toLowerCase();
  return AUDIO_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export interface WalkResult {
  /** Audio files, paths relative to the root with '/' separators, sorted. */
  audio: string[];
  /** Other (non-audio, non-hidden) files, same form: ignored by the adapters but counted. */
  other: string[];
}

/**
 * Lists every file under `root` recursively (hidden files and folders, i.e. names starting with
 * '.', are skipped; symbolic links are followed once through stat). Throws SerError ENOENT for a
 * missing root and EDATA when `root` is not a directory.
 */
export async function walkAudio(root: string): Promise<WalkResult> {
  let st;
  try {
    st = await stat(root);
  } catch (err) {
    throw new SerError('ENOENT', 'no such directory', { file: root, cause: err });
  }
  if (!st.isDirectory()) throw new SerError('EDATA', 'not a directory', { file: root });
  const audio: string[] = [];
  const other: string[] = [];
  const visited = new Set<string>();
  async function visit(dir: string): Promise<void> {
    const ds = await stat(dir);
    const real = `${ds.dev}:${ds.ino}`;
    if (visited.has(real)) return; // symlink loop
    visited.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new SerError('EIO', `cannot list directory (${(err as Error).message})`, { file: dir, cause: err });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const s = await stat(p);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          isFile = true; // dangling link: let the loader report it
        }
      }
      if (isDir) await visit(p);
      else if (isFile) {
        const rel = relative(root, p).split(sep).join('/');
        (isAudioFile(e.name) ? audio : other).push(rel);
      }
    }
  }
  await visit(root);
  audio.sort();
  other.sort();
  return { audio, other };
}
