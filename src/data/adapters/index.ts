/**
 * The adapter registry (file-name adapters; the CSV manifest is read by ../load.ts).
 */
import type { DatasetName } from '../types.js';
import type { FileNameAdapter } from './common.js';
import { ravdessAdapter } from './ravdess.js';
import { cremaDAdapter } from './cremad.js';
import { tessAdapter } from './tess.js';
import { saveeAdapter } from './savee.js';
import { folderAdapter } from './folder.js';

export * from './common.js';
export { parseRavdessName, ravdessAdapter, RAVDESS_STATEMENTS, type RavdessFields } from './ravdess.js';
export { parseTessName, tessAdapter, TESS_EMOTIONS } from './tess.js';
export { parseCremaDName, cremaDAdapter, CREMAD_EMOTIONS, CREMAD_LEVELS, CREMAD_SENTENCES } from './cremad.js';
export { parseSaveeName, saveeAdapter, SAVEE_EMOTIONS } from './savee.js';
export { folderAdapter } from './folder.js';
export { parseCsv, parseManifest, type ManifestRow } from './manifest.js';

/** File-name adapters in detection order: on equal scores the earlier (more specific) wins. */
export const FILE_NAME_ADAPTERS: readonly FileNameAdapter[] = [ravdessAdapter, cremaDAdapter, tessAdapter, saveeAdapter, folderAdapter];

export function getAdapter(name: Exclude<DatasetName, 'manifest'>): FileNameAdapter {
  const a = FILE_NAME_ADAPTERS.find((x) => x.name === name);
  if (!a) throw new Error(`no adapter ${name}`);
  return a;
}

/**
 * Scores each file-name adapter on a listing (paths relative to the root): the fraction of files
 * its parser accepts. Pure; used by detectDataset.
 */
export function scoreAdapters(relPaths: readonly string[]): { name: FileNameAdapter['name']; score: number }[] {
  return FILE_NAME_ADAPTERS.map((a) => {
    let ok = 0;
    for (const p of relPaths) if (!('error' in a.parse(p))) ok++;
    return { name: a.name, score: relPaths.length ? ok / relPaths.length : 0 };
  });
}
