/**
 * CREMA-D (Cao et al. 2014): 91 actors (1001–1091), 12 sentences, six emotions, four levels.
 * File names `AAAA_SSS_EEE_LL.wav`, e.g. `1001_DFA_ANG_XX.wav`: actor id, sentence code, emotion
 * (ANG angry, DIS disgust, FEA fearful, HAP happy, NEU neutral, SAD sad) and level (LO low,
 * MD medium, HI high, XX unspecified). Gender is not in the file name (it is in the corpus's
 * VideoDemographics.csv) and is not read.
 *
 * Speaker id: `crema-d:AAAA`.
 */
import type { Emotion } from '../types.js';
import { baseName, stem, type FileNameAdapter, type ParseOutcome } from './common.js';

export const CREMAD_EMOTIONS: Record<string, Emotion> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fearful',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};

export const CREMAD_LEVELS: Record<string, string> = { LO: 'low', MD: 'medium', HI: 'high', XX: 'unspecified' };

export const CREMAD_SENTENCES: Record<string, string> = {
  IEO: "It's eleven o'clock",
  TIE: 'That is exactly what happened',
  IOM: "I'm on my way to the meeting",
  IWW: 'I wonder what this is about',
  TAI: 'The airplane is almost full',
  MTI: 'Maybe tomorrow it will be cold',
  IWL: 'I would like a new alarm clock',
  ITH: 'I think I have a doctor\'s appointment',
  DFA: "Don't forget a jacket",
  ITS: "I think I've seen this before",
  TSI: 'The surface is slick',
  WSI: "We'll stop in a couple of minutes",
};

const CREMAD_RE = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.(wav|flac|mp3|ogg)$/i;

export function parseCremaDName(
  fileName: string,
): { actor: string; sentence: string; emotion: Emotion; emotionCode: string; level: string } | { error: string } {
  const m = CREMAD_RE.exec(baseName(fileName));
  if (!m) return { error: 'not a CREMA-D name (expected AAAA_SSS_EEE_LL.wav, e.g. 1001_DFA_ANG_XX.wav)' };
  const sentence = m[2].toUpperCase();
  const code = m[3].toUpperCase();
  const level = m[4].toUpperCase();
  const emotion = CREMAD_EMOTIONS[code];
  if (!emotion) return { error: `CREMA-D emotion '${m[3]}' is not one of ${Object.keys(CREMAD_EMOTIONS).join(', ')}` };
  if (!CREMAD_LEVELS[level]) return { error: `CREMA-D level '${m[4]}' is not LO, MD, HI or XX` };
  if (!CREMAD_SENTENCES[sentence]) return { error: `CREMA-D sentence '${m[2]}' is not a known sentence code` };
  return { actor: m[1], sentence, emotion, emotionCode: code, level };
}

export const cremaDAdapter: FileNameAdapter = {
  name: 'crema-d',
  description: 'CREMA-D: AAAA_SSS_EEE_LL.wav (EEE: ANG, DIS, FEA, HAP, NEU, SAD)',
  parse(relPath: string): ParseOutcome {
    const f = parseCremaDName(relPath);
    if ('error' in f) return f;
    return {
      label: f.emotion,
      speaker: `crema-d:${f.actor}`,
      meta: {
        recordingKey: stem(relPath).toUpperCase(),
        actor: f.actor,
        sentence: f.sentence,
        sentenceText: CREMAD_SENTENCES[f.sentence],
        emotionCode: f.emotionCode,
        level: CREMAD_LEVELS[f.level],
      },
    };
  },
};
