/**
 * RAVDESS (Livingstone & Russo 2018): `MM-VV-EE-II-SS-RR-AA.(wav|flac)`, usually under
 * `Actor_AA/`. Seven two-digit fields:
 * modality (01 audio-video, 02 video-only, 03 audio-only), vocal channel (01 speech, 02 song),
 * emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised),
 * intensity (01 normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs are
 * sitting by the door"), repetition (01, 02), actor (01–24; odd = male, even = female).
 *
 * Speaker id: `ravdess:AA` (the two-digit actor number).
 */
import { ALL_EMOTIONS, type Emotion } from '../types.js';
import { baseName, stem, type FileNameAdapter, type ParseOutcome } from './common.js';

export const RAVDESS_STATEMENTS: Record<number, string> = {
  1: 'Kids are talking by the door',
  2: 'Dogs are sitting by the door',
};

export interface RavdessFields {
  modality: 'audio-video' | 'video-only' | 'audio-only';
  vocalChannel: 'speech' | 'song';
  emotion: Emotion;
  intensity: 'normal' | 'strong';
  statement: 1 | 2;
  statementText: string;
  repetition: 1 | 2;
  /** Actor number 1–24 (as a number). */
  actor: number;
  gender: 'male' | 'female';
}

const RAVDESS_RE = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.(wav|flac)$/i;
const MODALITY: Record<string, RavdessFields['modality']> = { '01': 'audio-video', '02': 'video-only', '03': 'audio-only' };

/**
 * Parses a RAVDESS file name (a bare name or a path; only the last segment is read). Returns the
 * fields, or `{error}` saying which field is wrong.
 */
export function parseRavdessName(fileName: string): RavdessFields | { error: string } {
  const name = baseName(fileName);
  const m = RAVDESS_RE.exec(name);
  if (!m) return { error: "not a RAVDESS name (expected MM-VV-EE-II-SS-RR-AA.wav|flac, two digits each)" };
  const [, mm, vv, ee, ii, ss, rr, aa] = m;
  const modality = MODALITY[mm];
  if (!modality) return { error: `RAVDESS modality '${mm}' is not 01, 02 or 03` };
  if (vv !== '01' && vv !== '02') return { error: `RAVDESS vocal channel '${vv}' is not 01 (speech) or 02 (song)` };
  const e = Number(ee);
  if (e < 1 || e > 8) return { error: `RAVDESS emotion '${ee}' is not 01–08` };
  if (ii !== '01' && ii !== '02') return { error: `RAVDESS intensity '${ii}' is not 01 or 02` };
  if (e === 1 && ii === '02') return { error: 'RAVDESS neutral (01) has no strong intensity (02)' };
  if (ss !== '01' && ss !== '02') return { error: `RAVDESS statement '${ss}' is not 01 or 02` };
  if (rr !== '01' && rr !== '02') return { error: `RAVDESS repetition '${rr}' is not 01 or 02` };
  const actor = Number(aa);
  if (actor < 1) return { error: `RAVDESS actor '${aa}' is not 01 or above` };
  const statement = Number(ss) as 1 | 2;
  return {
    modality,
    vocalChannel: vv === '01' ? 'speech' : 'song',
    emotion: ALL_EMOTIONS[e - 1],
    intensity: ii === '01' ? 'normal' : 'strong',
    statement,
    statementText: RAVDESS_STATEMENTS[statement],
    repetition: Number(rr) as 1 | 2,
    actor,
    gender: actor % 2 === 1 ? 'male' : 'female',
  };
}

export const ravdessAdapter: FileNameAdapter = {
  name: 'ravdess',
  description: 'RAVDESS: Actor_NN/MM-VV-EE-II-SS-RR-AA.wav|flac (speech; song with --include-song)',
  parse(relPath: string): ParseOutcome {
    const f = parseRavdessName(relPath);
    if ('error' in f) return f;
    const actorId = String(f.actor).padStart(2, '0');
    return {
      label: f.emotion,
      speaker: `ravdess:${actorId}`,
      meta: {
        recordingKey: stem(relPath),
        modality: f.modality,
        vocalChannel: f.vocalChannel,
        emotion: f.emotion,
        intensity: f.intensity,
        statement: f.statement,
        statementText: f.statementText,
        repetition: f.repetition,
        actor: actorId,
        gender: f.gender,
      },
    };
  },
};
