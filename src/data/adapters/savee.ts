/**
 * SAVEE (Surrey Audio-Visual Expressed Emotion; Jackson & Haq 2014): four male speakers DC, JE,
 * JK, KL. Two layouts are read: flat `DC_a01.wav` (as in most redistributions) and the original
 * folder-per-speaker `AudioData/DC/a01.wav`. Emotion prefix: a angry, d disgust, f fearful,
 * h happy, n neutral, sa sad, su surprised; then a two-digit sentence number.
 *
 * Speaker id: `savee:DC` etc.
 */
import type { Emotion } from '../types.js';
import { baseName, dirSegments, type FileNameAdapter, type ParseOutcome } from './common.js';

export const SAVEE_EMOTIONS: Record<string, Emotion> = {
  a: 'angry',
  d: 'disgust',
  f: 'fearful',
  h: 'happy',
  n: 'neutral',
  sa: 'sad',
  su: 'surprised',
};

const FLAT_RE = /^([A-Za-z]{2})_(sa|su|a|d|f|h|n)(\d{1,3})\.(wav|flac|mp3|ogg)$/i;
const BARE_RE = /^(sa|su|a|d|f|h|n)(\d{1,3})\.(wav|flac|mp3|ogg)$/i;
const SPEAKER_RE = /^[A-Za-z]{2}$/;

export function parseSaveeName(
  relPath: string,
): { speaker: string; emotion: Emotion; code: string; sentence: number } | { error: string } {
  const name = baseName(relPath);
  let m = FLAT_RE.exec(name);
  if (m) {
    const code = m[2].toLowerCase();
    return { speaker: m[1].toUpperCase(), emotion: SAVEE_EMOTIONS[code], code, sentence: Number(m[3]) };
  }
  m = BARE_RE.exec(name);
  if (m) {
    const dirs = dirSegments(relPath);
    const spk = dirs[dirs.length - 1];
    if (!spk || !SPEAKER_RE.test(spk)) {
      return { error: 'SAVEE file without a speaker: expected SPK_a01.wav or SPK/a01.wav (SPK two letters, e.g. DC)' };
    }
    const code = m[1].toLowerCase();
    return { speaker: spk.toUpperCase(), emotion: SAVEE_EMOTIONS[code], code, sentence: Number(m[2]) };
  }
  return { error: 'not a SAVEE name (expected DC_a01.wav or DC/a01.wav; prefixes a, d, f, h, n, sa, su)' };
}

export const saveeAdapter: FileNameAdapter = {
  name: 'savee',
  description: 'SAVEE: SPK_e01.wav or SPK/e01.wav (e: a, d, f, h, n, sa, su)',
  parse(relPath: string): ParseOutcome {
    const f = parseSaveeName(relPath);
    if ('error' in f) return f;
    const num = String(f.sentence).padStart(2, '0');
    return {
      label: f.emotion,
      speaker: `savee:${f.speaker}`,
      meta: {
        recordingKey: `${f.speaker}_${f.code}${num}`,
        emotionCode: f.code,
        sentence: f.sentence,
        gender: 'male',
      },
    };
  },
};
