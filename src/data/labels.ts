/**
 * Label names → the unified Emotion vocabulary. Used by the folder-per-label and CSV manifest
 * adapters and by command-line options. Browser-safe.
 */
import { SerError } from '../errors.js';
import { ALL_EMOTIONS, RECIPE_EMOTIONS, isEmotion, type Emotion } from './types.js';

const SYNONYMS: Record<string, Emotion> = {
  neutral: 'neutral',
  neu: 'neutral',
  calm: 'calm',
  happy: 'happy',
  happiness: 'happy',
  joy: 'happy',
  hap: 'happy',
  sad: 'sad',
  sadness: 'sad',
  angry: 'angry',
  anger: 'angry',
  ang: 'angry',
  fear: 'fearful',
  fearful: 'fearful',
  fea: 'fearful',
  disgust: 'disgust',
  disgusted: 'disgust',
  dis: 'disgust',
  surprise: 'surprised',
  surprised: 'surprised',
  ps: 'surprised',
  sur: 'surprised',
  pleasant_surprise: 'surprised',
  pleasant_surprised: 'surprised',
};

/**
 * Maps a label name (case-insensitive; spaces and hyphens count as underscores) to an Emotion, or
 * returns undefined when the name is not a known synonym. Accepted names: see docs/datasets.md.
 */
export function normalizeLabel(name: string): Emotion | undefined {
  const key = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return SYNONYMS[key];
}

/** The synonym table (read-only copy), for documentation and error messages. */
export function labelSynonyms(): Record<string, Emotion> {
  return { ...SYNONYMS };
}

/**
 * Parses an emotion selection: 'all' → the eight, 'recipe' / undefined → the recipe's six, or a
 * comma-separated list / array of label names (synonyms allowed; order kept, duplicates removed).
 * Throws SerError('EPARAM') naming an unknown label.
 */
export function parseEmotions(sel: string | readonly string[] | undefined): Emotion[] {
  if (sel === undefined) return [...RECIPE_EMOTIONS];
  if (typeof sel === 'string') {
    const s = sel.trim().toLowerCase();
    if (s === 'all') return [...ALL_EMOTIONS];
    if (s === 'recipe' || s === 'default') return [...RECIPE_EMOTIONS];
    sel = s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  }
  const out: Emotion[] = [];
  for (const name of sel) {
    const e = isEmotion(name) ? name : normalizeLabel(name);
    if (!e) throw new SerError('EPARAM', `unknown emotion '${name}' (known: ${ALL_EMOTIONS.join(', ')}, or 'all')`);
    if (!out.includes(e)) out.push(e);
  }
  if (out.length === 0) throw new SerError('EPARAM', 'empty emotion selection');
  return out;
}
