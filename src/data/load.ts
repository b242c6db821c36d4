/**
 * Loading datasets from disk (Node): auto-detection, the directory walkers of the file-name
 * adapters, the CSV manifest reader, emotion selection and de-duplication.
 */
import { readFile, stat, access } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { SerError } from '../errors.js';
import { FILE_NAME_ADAPTERS, getAdapter, parseCsv, parseManifest, scoreAdapters } from './adapters/index.js';
import { parseEmotions } from './labels.js';
import { recordingId } from './recording.js';
import { ALL_EMOTIONS, DATASET_NAMES, type DatasetItem, type DatasetName, type DatasetProblem, type Emotion } from './types.js';
import { walkAudio } from './walk.js';

export interface LoadDatasetOptions {
  /** Which adapter reads every directory; 'auto' (default) detects each one separately. */
  dataset?: 'auto' | DatasetName;
  /** Emotions to keep: a list, 'all' (eight), or undefined → the recipe's six. */
  emotions?: readonly Emotion[] | 'all';
  /** Keep RAVDESS song recordings (vocal channel 02). Default false. */
  includeSong?: boolean;
}

export interface LoadDatasetResult {
  /** Kept items, in input order of the directories, each sorted by path. */
  items: DatasetItem[];
  /** Files that could not be used (name does not parse, unknown label, duplicate recording, missing manifest entry). */
  problems: DatasetProblem[];
  /** Items parsed fine but left out on purpose, counted. */
  excluded: {
    /** Per label outside the emotion selection. */
    labels: Partial<Record<Emotion, number>>;
    /** RAVDESS song recordings (without includeSong). */
    song: number;
  };
  /** Non-audio files found in the folders (ignored; e.g. README.txt, .csv). */
  ignored: number;
  /** The adapter used for each input, in input order. */
  sources: { dir: string; dataset: DatasetName }[];
}

/**
 * Decides which adapter reads `dir`: a `.csv` file is a manifest; a folder is scored by the share
 * of its audio files each file-name adapter parses (RAVDESS, CREMA-D, TESS, SAVEE, folder per
 * label, in that order of preference on ties); the best wins if it parses at least half.
 * Throws SerError ENOENT for a missing path, EDATA when no layout fits.
 */
export async function detectDataset(dir: string): Promise<DatasetName> {
  const st = await statOrThrow(dir);
  if (st.isFile()) {
    if (extname(dir).toLowerCase() === '.csv') return 'manifest';
    throw new SerError('EDATA', 'not a dataset folder or a .csv manifest', { file: dir });
  }
  const { audio } = await walkAudio(dir);
  return detectFromListing(dir, audio);
}

function detectFromListing(dir: string, audio: string[]): Exclude<DatasetName, 'manifest'> {
  if (audio.length === 0) throw new SerError('EDATA', 'no audio files (.wav, .flac, .mp3, .ogg) found', { file: dir });
  const scores = scoreAdapters(audio);
  let best = scores[0];
  for (const s of scores) if (s.score > best.score) best = s;
  if (best.score < 0.5) {
    const detail = scores.map((s) => `${s.name} ${(100 * s.score).toFixed(0)}%`).join(', ');
    throw new SerError(
      'EDATA',
      `cannot tell the dataset layout (files parsed: ${detail}); pass --dataset ravdess|tess|crema-d|savee|folder|manifest`,
      { file: dir },
    );
  }
  return best.name;
}

async function statOrThrow(p: string) {
  try {
    return await stat(p);
  } catch (err) {
    throw new SerError('ENOENT', 'no such file or directory', { file: p, cause: err });
  }
}

/**
 * Reads one or more dataset folders (or CSV manifests) into one item list.
 * - Every audio file either becomes an item, or is reported in `problems` with the reason, or is
 *   counted in `excluded` (label outside the selection, RAVDESS song): nothing is dropped silently.
 * - The same source recording found twice (by recordingId, e.g. a RAVDESS file as .wav and .flac)
 *   is kept once; the later copy is a problem ("duplicate recording").
 * - Throws SerError ENOENT for a missing directory, EDATA when a layout cannot be detected or a
 *   manifest is malformed, EPARAM for an unknown dataset name.
 */
export async function loadDataset(dirs: readonly string[], opts: LoadDatasetOptions = {}): Promise<LoadDatasetResult> {
  if (dirs.length === 0) throw new SerError('EPARAM', 'no dataset folder given');
  const dsOpt = opts.dataset ?? 'auto';
  if (dsOpt !== 'auto' && !DATASET_NAMES.includes(dsOpt)) {
    throw new SerError('EPARAM', `unknown dataset '${dsOpt}' (known: auto, ${DATASET_NAMES.join(', ')})`);
  }
  const keep = new Set<Emotion>(opts.emotions === 'all' ? ALL_EMOTIONS : opts.emotions ?? parseEmotions(undefined));
  const result: LoadDatasetResult = { items: [], problems: [], excluded: { labels: {}, song: 0 }, ignored: 0, sources: [] };
  const seen = new Map<string, string>();

  const accept = (item: DatasetItem, shownPath: string) => {
    const id = recordingId(item);
    const first = seen.get(id);
    if (first !== undefined) {
      result.problems.push({ file: shownPath, reason: `duplicate recording ${id} (already read from ${first})` });
      return;
    }
    seen.set(id, shownPath);
    if (item.meta.vocalChannel === 'song' && !opts.includeSong) {
      result.excluded.song++;
      return;
    }
    if (!keep.has(item.label)) {
      result.excluded.labels[item.label] = (result.excluded.labels[item.label] ?? 0) + 1;
      return;
    }
    result.items.push(item);
  };

  for (const dir of dirs) {
    const st = await statOrThrow(dir);
    if (dsOpt === 'manifest' || (dsOpt === 'auto' && st.isFile() && extname(dir).toLowerCase() === '.csv')) {
      if (!st.isFile()) throw new SerError('EDATA', 'a manifest must be a .csv file, not a folder', { file: dir });
      result.sources.push({ dir, dataset: 'manifest' });
      await readManifestInto(dir, accept, result.problems);
      continue;
    }
    if (st.isFile()) throw new SerError('EDATA', 'not a dataset folder (a .csv manifest needs --dataset manifest or a .csv name)', { file: dir });
    const { audio, other } = await walkAudio(dir);
    result.ignored += other.length;
    const name = dsOpt === 'auto' ? detectFromListing(dir, audio) : dsOpt;
    result.sources.push({ dir, dataset: name });
    const adapter = getAdapter(name as Exclude<DatasetName, 'manifest'>);
    const demographics = name === 'crema-d' ? await readCremaDemographics(dir, result.problems) : undefined;
    for (const rel of audio) {
      const shown = join(dir, rel);
      const parsed = adapter.parse(rel);
      if ('error' in parsed) {
        result.problems.push({ file: shown, reason: parsed.error });
        continue;
      }
      const meta = demographics ? { ...parsed.meta, ...demographics.get(String(parsed.meta.actor)) } : parsed.meta;
      accept({ path: resolve(dir, rel), label: parsed.label, speaker: parsed.speaker, dataset: adapter.name, meta }, shown);
    }
  }
  return result;
}

/**
 * CREMA-D keeps speaker demographics in VideoDemographics.csv (ActorID, Age, Sex, Race,
 * Ethnicity) at the corpus root, beside AudioWAV/. When found in the dataset folder or its parent,
 * `gender` ('male' / 'female') and `age` are added to each item's meta, so speaker k-fold can
 * balance genders. A malformed file is a problem, not an error.
 */
async function readCremaDemographics(dir: string, problems: DatasetProblem[]): Promise<Map<string, Record<string, string | number>> | undefined> {
  for (const candidate of [join(dir, 'VideoDemographics.csv'), join(dir, '..', 'VideoDemographics.csv')]) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue;
    }
    try {
      const rows = parseCsv(text, candidate);
      const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
      const idCol = header.indexOf('actorid');
      const sexCol = header.indexOf('sex');
      const ageCol = header.indexOf('age');
      if (idCol < 0 || sexCol < 0) throw new SerError('EDATA', "expected columns 'ActorID' and 'Sex'", { file: candidate });
      const map = new Map<string, Record<string, string | number>>();
      for (const r of rows.slice(1)) {
        const id = (r[idCol] ?? '').trim();
        const sex = (r[sexCol] ?? '').trim().toLowerCase();
        if (!id) continue;
        const m: Record<string, string | number> = {};
        if (sex === 'male' || sex === 'female') m.gender = sex;
        const age = ageCol >= 0 ? Number(r[ageCol]) : NaN;
        if (Number.isFinite(age)) m.age = age;
        map.set(id, m);
      }
      return map;
    } catch (err) {
      problems.push({ file: candidate, reason: `demographics not used: ${err instanceof SerError ? err.message.replace(`${candidate}: `, '') : String(err)}` });
      return undefined;
    }
  }
  return undefined;
}

async function readManifestInto(
  csv: string,
  accept: (item: DatasetItem, shown: string) => void,
  problems: DatasetProblem[],
): Promise<void> {
  let text: string;
  try {
    text = await readFile(csv, 'utf8');
  } catch (err) {
    throw new SerError('EIO', `cannot read manifest (${(err as Error).message})`, { file: csv, cause: err });
  }
  const { rows, problems: rowProblems } = parseManifest(text, csv);
  problems.push(...rowProblems);
  const base = dirname(csv);
  const exists = await Promise.all(
    rows.map(async (r) => {
      const p = isAbsolute(r.path) ? r.path : resolve(base, r.path);
      try {
        await access(p);
        return true;
      } catch {
        return false;
      }
    }),
  );
  rows.forEach((r, i) => {
    const abs = isAbsolute(r.path) ? r.path : resolve(base, r.path);
    const shown = isAbsolute(r.path) ? r.path : join(base, r.path);
    if (!exists[i]) {
      problems.push({ file: shown, reason: `listed in ${csv} row ${r.row} but missing` });
      return;
    }
    accept({ path: abs, label: r.label, speaker: r.speaker, dataset: r.dataset, meta: { ...r.extra, manifestRow: r.row } }, shown);
  });
}

/** The registered file-name adapters' one-line descriptions (for help texts). */
export function describeAdapters(): string[] {
  return [...FILE_NAME_ADAPTERS.map((a) => `${a.name}: ${a.description}`), 'manifest: CSV path,label[,speaker[,dataset]] with a header row'];
}
