/**
 * TESS (Toronto Emotional Speech Set; Dupuis & Pichora-Fuller 2010): two female speakers, OAF
 * (older adult female, 64) and YAF (younger adult female, 26), saying "Say the word ___" for 200
 * target words in seven emotions. File names `OAF_back_angry.wav`, `YAF_bar_ps.wav`; the public
 * release groups them into folders such as `OAF_angry/` or `YAF_pleasant_surprised/` (ignored:
 * the label comes from the file name).
 *
 * Mapping: angry→angry, disgust→disgust, fear→fearful, happy→happy, neutral→neutral,
 * ps (pleasant surprise)→surprised, sad→sad. Speaker id: `tess:OAF` / `tess:YAF`.
 */
import type { Emotion } from '../types.js';
import { baseName, stem, type FileNameAdapter, type ParseOutcome } from './common.js';

export const TESS_EMOTIONS: Record<string, Emotion> = {
  angry: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  ps: 'surprised',
  sad: 'sad',
};

const TESS_RE = /^(OAF|YAF)_([A-Za-z']+)_([A-Za-z]+)\.(wav|flac|mp3|ogg)$/i;

export function parseTessName(fileName: string): { speaker: 'OAF' | 'YAF'; word: string; emotion: Emotion; code: string } | { error: string } {
  const m = TESS_RE.exec(baseName(fileName));
  if (!m) return { error: 'not a TESS name (expected OAF|YAF_word_emotion.wav)' };
  const code = m[3].toLowerCase();
  const emotion = TESS_EMOTIONS[code];
  if (!emotion) return { error: `TESS emotion '${m[3]}' is not one of ${Object.keys(TESS_EMOTIONS).join(', ')}` };
  return { speaker: m[1].toUpperCase() as 'OAF' | 'YAF', word: m[2].toLowerCase(), emotion, code };
}

export const tessAdapter: FileNameAdapter = {
  name: 'tess',
  description: 'TESS: OAF|YAF_word_emotion.wav (emotion: angry, disgust, fear, happy, neutral, ps, sad)',
  parse(relPath: string): ParseOutcome {
    const f = parseTessName(relPath);
    if ('error' in f) return f;
    return {
      label: f.emotion,
      speaker: `tess:${f.speaker}`,
      meta: {
        recordingKey: stem(relPath).toUpperCase(),
        word: f.word,
        emotionCode: f.code,
        gender: 'female',
        ageGroup: f.speaker === 'OAF' ? 'older' : 'younger',
      },
    };
  },
};
