/**
 * Leakage-free data splits. Browser-safe (no Node imports). All splits are seeded: the same
 * items (in any order) and the same seed give the same split.
 *
 * Rules every split obeys (checked by test/data/leakage.test.ts and by `findLeaks` at run time):
 * - the unit of splitting is the SOURCE recording (`recordingId`), never a file copy: items
 *   sharing a recordingId always land in the same partition;
 * - splits refuse augmented items: augmentation happens AFTER splitting, to training items only
 *   (`augmentTrainingOnly`), so no copy of a validation/test recording can reach training;
 * - speaker-based splits move whole speakers: no speaker is in two partitions;
 * - every item ends up in exactly one partition;
 * - every split carries `protocol`, which names how it was made; results must print it.
 */
import { SerError, check } from '../errors.js';
import { Rng } from '../util/random.js';
import { augmentedCopy, isAugmented, recordingId } from './recording.js';
import { ALL_EMOTIONS, type DatasetItem, type MetaValue } from './types.js';

/** 'all': a final model trained on every speaker but a few validation speakers (early stopping
 * only) — no held-out data, no test figure. `makeSplits` does not make it (src/pipeline/run.ts does). */
export type ProtocolName = 'random' | 'speaker-independent' | 'speaker-kfold' | 'all';

/** How a split was made: printed and saved with every result. */
export interface Protocol {
  name: ProtocolName;
  /** The seed used (null when the split involved no randomness). */
  seed: number | string | null;
  /** One human-readable sentence, e.g. "speaker-independent: test speakers ravdess:01, …". */
  description: string;
  /** Fractions for 'random'. */
  fractions?: { train: number; val: number; test: number };
  testSpeakers?: string[];
  valSpeakers?: string[];
  /** For 'speaker-kfold': number of folds and this fold's index (0-based). */
  k?: number;
  fold?: number;
  /** Set by augmentTrainingOnly. */
  augmentation?: { trainOnly: true; copies: number };
}

export interface Split {
  train: DatasetItem[];
  val: DatasetItem[];
  test: DatasetItem[];
  protocol: Protocol;
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const collator = new Intl.Collator('en', { numeric: true });
const naturalCompare = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

function refuseAugmented(items: readonly DatasetItem[], fn: string): void {
  const bad = items.find(isAugmented);
  if (bad) {
    throw new SerError(
      'EPARAM',
      `${fn}: item ${bad.path} is an augmented copy; split the original recordings first, then augment the training partition (augmentTrainingOnly)`,
    );
  }
}

/** Groups items by recordingId; units sorted by id so input order does not matter. */
function recordingUnits(items: readonly DatasetItem[]): { id: string; items: DatasetItem[] }[] {
  const map = new Map<string, DatasetItem[]>();
  for (const it of items) {
    const id = recordingId(it);
    const list = map.get(id);
    if (list) list.push(it);
    else map.set(id, [it]);
  }
  return [...map.entries()].sort((a, b) => naturalCompare(a[0], b[0])).map(([id, list]) => ({ id, items: list }));
}

function seedOf(seed: number | string | undefined): number | string {
  return seed === undefined ? 0 : seed;
}

/** All distinct speakers, naturally sorted ('ravdess:2' before 'ravdess:10'). */
export function speakersOf(items: readonly DatasetItem[]): string[] {
  return [...new Set(items.map((i) => i.speaker))].sort(naturalCompare);
}

/**
 * Resolves speaker names given by a user: an exact id ('ravdess:03') or, when unambiguous, the
 * part after the colon ('03'). Throws SerError('EPARAM') for an unknown or ambiguous name.
 */
export function resolveSpeakers(names: readonly string[], known: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    let match: string[] = known.includes(name) ? [name] : known.filter((s) => s.slice(s.indexOf(':') + 1) === name);
    if (match.length === 0 && /^\d+$/.test(name)) {
      // '3' for 'ravdess:03'
      match = known.filter((s) => {
        const tail = s.slice(s.indexOf(':') + 1);
        return /^\d+$/.test(tail) && Number(tail) === Number(name);
      });
    }
    if (match.length === 0) throw new SerError('EPARAM', `unknown speaker '${name}' (speakers: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`);
    if (match.length > 1) throw new SerError('EPARAM', `speaker '${name}' is ambiguous (${match.join(', ')}); use the full id`);
    if (!out.includes(match[0])) out.push(match[0]);
  }
  return out;
}

/**
 * Speakers grouped by `meta.gender` ('unknown' when absent): one list per gender, genders in
 * sorted order, speakers in the order given.
 */
function genderGroups(items: readonly DatasetItem[], speakers: readonly string[]): string[][] {
  const genderOf = new Map<string, string>();
  for (const it of items) if (!genderOf.has(it.speaker) && typeof it.meta.gender === 'string') genderOf.set(it.speaker, it.meta.gender);
  const groups = new Map<string, string[]>();
  for (const s of speakers) {
    const g = genderOf.get(s) ?? 'unknown';
    const l = groups.get(g);
    if (l) l.push(s);
    else groups.set(g, [s]);
  }
  return [...groups.keys()].sort().map((g) => groups.get(g)!);
}

function partitionBySpeaker(items: readonly DatasetItem[], test: Set<string>, val: Set<string>): Omit<Split, 'protocol'> {
  const train: DatasetItem[] = [];
  const v: DatasetItem[] = [];
  const t: DatasetItem[] = [];
  for (const it of items) (test.has(it.speaker) ? t : val.has(it.speaker) ? v : train).push(it);
  return { train, val: v, test: t };
}

function list(s: readonly string[]): string {
  return s.length ? s.join(', ') : 'none';
}

// ---------------------------------------------------------------------------------------------
// random stratified
// ---------------------------------------------------------------------------------------------

export interface RandomSplitOptions {
  /** Fraction of each label's recordings for validation. Default 0.1. */
  val?: number;
  /** Fraction of each label's recordings for test. Default 0.2. */
  test?: number;
  /** Default 0. */
  seed?: number | string;
}

/**
 * Random train/val/test split, stratified by label: within each label the recordings are shuffled
 * (seeded) and round(n·test) go to test, round(n·val) to validation, the rest to training.
 * Speakers are shared between partitions — this protocol measures speaker-DEPENDENT accuracy and
 * says so in its protocol description.
 */
export function randomStratifiedSplit(items: readonly DatasetItem[], options: RandomSplitOptions = {}): Split {
  const val = options.val ?? 0.1;
  const test = options.test ?? 0.2;
  const seed = seedOf(options.seed);
  check(val >= 0 && test >= 0 && val + test < 1, `val (${val}) and test (${test}) must be ≥ 0 with val + test < 1`);
  refuseAugmented(items, 'randomStratifiedSplit');
  const rng = new Rng(seed).fork('random-stratified');
  const byLabel = new Map<string, { id: string; items: DatasetItem[] }[]>();
  for (const u of recordingUnits(items)) {
    const label = u.items[0].label;
    const l = byLabel.get(label);
    if (l) l.push(u);
    else byLabel.set(label, [u]);
  }
  const out: Omit<Split, 'protocol'> = { train: [], val: [], test: [] };
  for (const label of [...byLabel.keys()].sort()) {
    const units = rng.shuffle(byLabel.get(label)!);
    const n = units.length;
    const nTest = Math.round(n * test);
    const nVal = Math.min(n - nTest, Math.round(n * val));
    units.forEach((u, i) => (i < nTest ? out.test : i < nTest + nVal ? out.val : out.train).push(...u.items));
  }
  return {
    ...out,
    protocol: {
      name: 'random',
      seed,
      fractions: { train: 1 - val - test, val, test },
      description: `random split stratified by label (train ${fmt(1 - val - test)}, val ${fmt(val)}, test ${fmt(test)}; seed ${seed}); speakers are shared between partitions, so this measures speaker-dependent accuracy`,
    },
  };
}

function fmt(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

// ---------------------------------------------------------------------------------------------
// speaker-independent
// ---------------------------------------------------------------------------------------------

export interface SpeakerSplitOptions {
  /** Speakers held out for test (ids or unambiguous short ids such as '03'). */
  testSpeakers: readonly string[];
  /** Speakers held out for validation; if absent, `valFraction` of the remaining speakers are drawn. */
  valSpeakers?: readonly string[];
  /**
   * Fraction of the non-test speakers drawn (seeded, whole speakers, alternating genders when
   * known) for validation when valSpeakers is absent: max(1, round(f · n)). Default 0.1; 0 → none.
   */
  valFraction?: number;
  seed?: number | string;
}

/** Draws `count` speakers from `pool`, seeded, alternating between genders when they are known. */
function drawSpeakers(items: readonly DatasetItem[], pool: readonly string[], count: number, rng: Rng): string[] {
  const lists = genderGroups(items, pool).map((g) => rng.shuffle(g));
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const l = lists[i % lists.length];
    if (l.length) out.push(l.shift()!);
    if (lists.every((x) => x.length === 0)) break;
  }
  return out.sort(naturalCompare);
}

/**
 * Speaker-independent split: every recording of a test speaker goes to test, of a validation
 * speaker to validation, the rest to training. Throws SerError('EPARAM') for unknown speakers, a
 * speaker named for both test and validation, or no training speaker left.
 */
export function speakerIndependentSplit(items: readonly DatasetItem[], options: SpeakerSplitOptions): Split {
  refuseAugmented(items, 'speakerIndependentSplit');
  const seed = seedOf(options.seed);
  const known = speakersOf(items);
  check(options.testSpeakers && options.testSpeakers.length > 0, 'speakerIndependentSplit: testSpeakers must name at least one speaker');
  const test = resolveSpeakers(options.testSpeakers, known).sort(naturalCompare);
  let val: string[];
  if (options.valSpeakers) {
    val = resolveSpeakers(options.valSpeakers, known).sort(naturalCompare);
    const both = val.filter((s) => test.includes(s));
    if (both.length) throw new SerError('EPARAM', `speaker ${both.join(', ')} named for both test and validation`);
  } else {
    const frac = options.valFraction ?? 0.1;
    check(frac >= 0 && frac < 1, `valFraction must be in [0, 1), got ${frac}`);
    const rest = known.filter((s) => !test.includes(s));
    const count = frac === 0 || rest.length < 2 ? 0 : Math.min(rest.length - 1, Math.max(1, Math.round(frac * rest.length)));
    val = drawSpeakers(items, rest, count, new Rng(seed).fork('speaker-val'));
  }
  const nTrain = known.length - test.length - val.length;
  if (nTrain < 1) throw new SerError('EPARAM', 'speakerIndependentSplit: no training speaker left');
  return {
    ...partitionBySpeaker(items, new Set(test), new Set(val)),
    protocol: {
      name: 'speaker-independent',
      seed: options.valSpeakers ? null : seed,
      testSpeakers: test,
      valSpeakers: val,
      description: `speaker-independent split: test speakers ${list(test)}; validation speakers ${list(val)}; training the other ${nTrain} speakers`,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// speaker k-fold
// ---------------------------------------------------------------------------------------------

export interface SpeakerKFoldOptions {
  /** Number of folds (ignored when `folds` is given). Default 5. */
  k?: number;
  /**
   * Without a seed, speakers are assigned in natural order (RAVDESS 01–20, k = 5 → fold i holds
   * actors 4i+1 … 4i+4: two male, two female). With a seed, speakers are shuffled within each
   * gender first.
   */
  seed?: number | string;
  /** Explicit test speakers of each fold; every speaker must be in exactly one fold. */
  folds?: readonly (readonly string[])[];
  /**
   * Validation speakers of each fold, drawn from its training speakers: 'next-fold' (default; the
   * next fold's test speakers, k ≥ 3) or a number of speakers drawn (seeded, genders alternating).
   */
  val?: 'next-fold' | number;
}

/**
 * k-fold cross-validation by speaker: returns k splits; in split i the test partition holds fold
 * i's speakers, validation whole training speakers (see `val`), training the rest. Genders are
 * balanced across folds: speakers are grouped by `meta.gender` (unknown = one group), each group
 * sorted (or shuffled, with a seed) and cut into k contiguous chunks of floor(n/k) or
 * floor(n/k) + 1 speakers, the larger chunks going to the folds with fewest speakers so far; fold
 * sizes differ by at most one speaker.
 */
export function speakerKFold(items: readonly DatasetItem[], options: SpeakerKFoldOptions = {}): Split[] {
  refuseAugmented(items, 'speakerKFold');
  const known = speakersOf(items);
  let folds: string[][];
  if (options.folds) {
    folds = options.folds.map((f) => resolveSpeakers(f, known).sort(naturalCompare));
    check(folds.length >= 2, 'speakerKFold: at least 2 folds');
    const owner = new Map<string, number>();
    folds.forEach((f, i) =>
      f.forEach((s) => {
        if (owner.has(s)) throw new SerError('EPARAM', `speakerKFold: speaker ${s} is in fold ${owner.get(s)! + 1} and fold ${i + 1}`);
        owner.set(s, i);
      }),
    );
    const missing = known.filter((s) => !owner.has(s));
    if (missing.length) throw new SerError('EPARAM', `speakerKFold: speakers in no fold: ${missing.join(', ')}`);
  } else {
    const k = options.k ?? 5;
    check(Number.isInteger(k) && k >= 2, `speakerKFold: k must be an integer ≥ 2, got ${k}`);
    if (k > known.length) throw new SerError('EPARAM', `speakerKFold: k = ${k} folds but only ${known.length} speakers`);
    const rng = options.seed === undefined ? null : new Rng(options.seed).fork('speaker-kfold');
    folds = Array.from({ length: k }, () => []);
    // Group by group, every fold gets floor(n/k) consecutive speakers and the n mod k extra ones go
    // to the folds that are smallest so far (lowest index first): each fold's count of every
    // group differs by at most one, and fold sizes differ by at most one speaker overall.
    for (const members of genderGroups(items, known)) {
      // naturally sorted (known is), or shuffled with a seed
      if (rng) rng.shuffle(members);
      const n = members.length;
      const q = Math.floor(n / k);
      const extra = new Set(
        folds
          .map((f, i) => ({ i, size: f.length }))
          .sort((a, b) => a.size - b.size || a.i - b.i)
          .slice(0, n % k)
          .map((x) => x.i),
      );
      let pos = 0;
      for (let i = 0; i < k; i++) {
        const take = q + (extra.has(i) ? 1 : 0);
        folds[i].push(...members.slice(pos, pos + take));
        pos += take;
      }
    }
    folds.forEach((f) => f.sort(naturalCompare));
    const empty = folds.findIndex((f) => f.length === 0);
    if (empty >= 0) throw new SerError('EPARAM', `speakerKFold: fold ${empty + 1} has no speaker`);
  }
  const k = folds.length;
  const valOpt = options.val ?? 'next-fold';
  if (valOpt === 'next-fold' && k < 3) {
    throw new SerError('EPARAM', `speakerKFold: val 'next-fold' needs k ≥ 3 (k = ${k} would leave no training speaker); pass a number of validation speakers`);
  }
  if (typeof valOpt === 'number') check(Number.isInteger(valOpt) && valOpt >= 0, `speakerKFold: val must be 'next-fold' or a count ≥ 0, got ${valOpt}`);
  const seed = options.seed ?? null;
  return folds.map((testSpk, i) => {
    const trainPool = known.filter((s) => !testSpk.includes(s));
    let val: string[];
    if (valOpt === 'next-fold') val = [...folds[(i + 1) % k]];
    else {
      if (valOpt >= trainPool.length) throw new SerError('EPARAM', `speakerKFold: ${valOpt} validation speakers leave no training speaker in fold ${i + 1}`);
      val = drawSpeakers(items, trainPool, valOpt, new Rng(seedOf(options.seed)).fork(`kfold-val-${i}`));
    }
    const nTrain = trainPool.length - val.length;
    return {
      ...partitionBySpeaker(items, new Set(testSpk), new Set(val)),
      protocol: {
        name: 'speaker-kfold',
        seed,
        k,
        fold: i,
        testSpeakers: testSpk,
        valSpeakers: val,
        description: `speaker-independent ${k}-fold cross-validation, fold ${i + 1}/${k}: test speakers ${list(testSpk)}; validation speakers ${list(val)}; training the other ${nTrain} speakers`,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// augmentation after splitting
// ---------------------------------------------------------------------------------------------

/** What `makeCopies` returns per copy: a name ('pitch+2', 'noise20db#1'), or more detail. */
export type CopySpec = string | { augmentation: string; path?: string; meta?: Record<string, MetaValue> };

/**
 * Adds augmented copies of the TRAINING items only, after splitting. `makeCopies(item, i)` returns
 * the copies to make of training item i (e.g. ['stretch0.8', 'pitch+2']); each copy is built by
 * `augmentedCopy`, so it carries its source's recordingId, label and speaker. Validation and test
 * are returned unchanged (same arrays). The training list keeps each original followed by its
 * copies. The protocol records `augmentation: {trainOnly: true, copies}`.
 */
export function augmentTrainingOnly(split: Split, makeCopies: (item: DatasetItem, index: number) => readonly CopySpec[]): Split {
  refuseAugmented([...split.train, ...split.val, ...split.test], 'augmentTrainingOnly');
  const train: DatasetItem[] = [];
  let copies = 0;
  split.train.forEach((item, i) => {
    train.push(item);
    for (const spec of makeCopies(item, i)) {
      const s = typeof spec === 'string' ? { augmentation: spec } : spec;
      train.push(augmentedCopy(item, s.augmentation, { path: s.path, meta: s.meta }));
      copies++;
    }
  });
  const protocol: Protocol = {
    ...split.protocol,
    augmentation: { trainOnly: true, copies },
    description: `${split.protocol.description}; ${copies} augmented copies added to training only, after splitting`,
  };
  return { train, val: split.val, test: split.test, protocol };
}

// ---------------------------------------------------------------------------------------------
// run-time leakage check
// ---------------------------------------------------------------------------------------------

/**
 * Lists every leak in a split (empty = clean): a recordingId in two partitions; an augmented
 * item outside training; for speaker-based protocols, a speaker in two partitions. Call it before
 * training; the training code refuses a split with leaks.
 */
export function findLeaks(split: Split): string[] {
  const leaks: string[] = [];
  const where = new Map<string, string>();
  const parts: ['train' | 'val' | 'test', DatasetItem[]][] = [
    ['train', split.train],
    ['val', split.val],
    ['test', split.test],
  ];
  for (const [name, items] of parts) {
    for (const it of items) {
      const id = recordingId(it);
      const prev = where.get(id);
      if (prev !== undefined && prev !== name) leaks.push(`recording ${id} is in ${prev} and ${name}`);
      else where.set(id, name);
      if (name !== 'train' && isAugmented(it)) leaks.push(`augmented copy ${it.path} is in ${name}`);
    }
  }
  if (split.protocol.name !== 'random') {
    const spk = new Map<string, string>();
    for (const [name, items] of parts) {
      for (const it of items) {
        const prev = spk.get(it.speaker);
        if (prev !== undefined && prev !== name) leaks.push(`speaker ${it.speaker} is in ${prev} and ${name}`);
        else spk.set(it.speaker, name);
      }
    }
  }
  return [...new Set(leaks)];
}

// ---------------------------------------------------------------------------------------------
// one entry point for command lines and training code
// ---------------------------------------------------------------------------------------------

/** A protocol choice, as given on a command line or in a training config. */
export interface SplitSpec {
  protocol: ProtocolName;
  seed?: number | string;
  /** 'random': fractions (defaults 0.1 / 0.2). */
  val?: number;
  test?: number;
  /** 'speaker-independent': test speakers (required), validation speakers or fraction. */
  testSpeakers?: readonly string[];
  valSpeakers?: readonly string[];
  valFraction?: number;
  /** 'speaker-kfold': number of folds (default 5) or explicit folds; validation per fold. */
  k?: number;
  folds?: readonly (readonly string[])[];
  kfoldVal?: 'next-fold' | number;
}

/**
 * Makes the split(s) a spec asks for: one split for 'random' and 'speaker-independent', k for
 * 'speaker-kfold'. Every result is checked with findLeaks; a leak (impossible unless the input
 * violates the item contract) throws SerError('EDATA').
 */
export function makeSplits(items: readonly DatasetItem[], spec: SplitSpec): Split[] {
  let splits: Split[];
  switch (spec.protocol) {
    case 'random':
      splits = [randomStratifiedSplit(items, { val: spec.val, test: spec.test, seed: spec.seed })];
      break;
    case 'speaker-independent':
      if (!spec.testSpeakers || spec.testSpeakers.length === 0) {
        throw new SerError('EPARAM', "protocol 'speaker-independent' needs test speakers (e.g. --test-speakers 01,02)");
      }
      splits = [
        speakerIndependentSplit(items, {
          testSpeakers: spec.testSpeakers,
          valSpeakers: spec.valSpeakers,
          valFraction: spec.valFraction,
          seed: spec.seed,
        }),
      ];
      break;
    case 'speaker-kfold':
      splits = speakerKFold(items, { k: spec.k, seed: spec.seed, folds: spec.folds, val: spec.kfoldVal });
      break;
    default:
      throw new SerError('EPARAM', `unknown protocol '${String((spec as { protocol: unknown }).protocol)}' (random, speaker-independent, speaker-kfold)`);
  }
  for (const s of splits) {
    const leaks = findLeaks(s);
    if (leaks.length) throw new SerError('EDATA', `split has leaks: ${leaks.slice(0, 3).join('; ')}${leaks.length > 3 ? ' …' : ''}`);
  }
  return splits;
}

export interface PartitionSummary {
  files: number;
  recordings: number;
  augmented: number;
  speakers: string[];
  labels: Record<string, number>;
}

export interface SplitSummary {
  protocol: Protocol;
  train: PartitionSummary;
  val: PartitionSummary;
  test: PartitionSummary;
}

function summarisePartition(items: readonly DatasetItem[]): PartitionSummary {
  const counts: Record<string, number> = {};
  for (const it of items) counts[it.label] = (counts[it.label] ?? 0) + 1;
  const order = (l: string) => {
    const i = (ALL_EMOTIONS as readonly string[]).indexOf(l);
    return i < 0 ? ALL_EMOTIONS.length : i;
  };
  const labels: Record<string, number> = {};
  for (const l of Object.keys(counts).sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1))) labels[l] = counts[l];
  return {
    files: items.length,
    recordings: new Set(items.map(recordingId)).size,
    augmented: items.filter(isAugmented).length,
    speakers: speakersOf(items),
    labels,
  };
}

/** Counts per partition (files, recordings, augmented copies, speakers, labels) and the protocol. */
export function summariseSplit(split: Split): SplitSummary {
  return { protocol: split.protocol, train: summarisePartition(split.train), val: summarisePartition(split.val), test: summarisePartition(split.test) };
}

/** Serialisable form of a split: the protocol and each partition's item paths, labels and speakers. */
export interface SplitJSON {
  kind: 'split';
  protocol: Protocol;
  train: { path: string; label: string; speaker: string; recording: string }[];
  val: { path: string; label: string; speaker: string; recording: string }[];
  test: { path: string; label: string; speaker: string; recording: string }[];
}

export function splitToJSON(split: Split): SplitJSON {
  const rows = (l: readonly DatasetItem[]) => l.map((i) => ({ path: i.path, label: i.label, speaker: i.speaker, recording: recordingId(i) }));
  return { kind: 'split', protocol: split.protocol, train: rows(split.train), val: rows(split.val), test: rows(split.test) };
}
