/**
 * Generic folder-per-label layout: `DIR/LABEL/file.wav`, or `DIR/LABEL/SPEAKER/file.wav` when the
 * speaker is known. LABEL goes through the synonym table of ../labels.ts (angry/anger/ang,
 * fear/fearful, disgust/disgusted, happy/happiness/joy, sad/sadness, surprise/surprised/ps,
 * neutral, calm; case-insensitive). Deeper nesting is allowed; the speaker is then the folder
 * directly under LABEL.
 *
 * Speaker id: `folder:SPEAKER`, or `folder:unknown` for files directly in LABEL/ — all such files
 * then count as ONE speaker, so a speaker-independent split keeps them together (no leakage, but
 * no speaker-independence either: give speakers folders or use a manifest with a speaker column).
 */
import { normalizeLabel } from '../labels.js';
import { baseName, dirSegments, type FileNameAdapter, type ParseOutcome } from './common.js';

export const folderAdapter: FileNameAdapter = {
  name: 'folder',
  description: 'folder per label: DIR/LABEL/[SPEAKER/]file.wav (label synonyms accepted)',
  parse(relPath: string): ParseOutcome {
    const dirs = dirSegments(relPath);
    if (dirs.length === 0) return { error: 'file directly in the dataset folder: expected DIR/LABEL/file' };
    const label = normalizeLabel(dirs[0]);
    if (!label) return { error: `label folder '${dirs[0]}' is not a known emotion name` };
    const speaker = dirs.length >= 2 ? dirs[1] : 'unknown';
    return {
      label,
      speaker: `folder:${speaker}`,
      meta: { labelFolder: dirs[0], fileName: baseName(relPath) },
    };
  },
};
