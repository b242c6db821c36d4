/**
 * THE LEAKAGE TEST. Over every split kind — random stratified, speaker-independent, and each fold
 * of speaker k-fold — with augmentation applied after splitting, on a realistic synthetic
 * RAVDESS listing (20 actors × 60 files) and on the real ../shared/data/ravdess listing when
 * present, it checks, with identities computed here independently of the library's recordingId:
 * - no source recording (file path / RAVDESS file stem) is in two partitions;
 * - augmented copies exist only in training, and only of training recordings;
 * - speaker-based partitions share no speaker;
 * - every item is in exactly one partition (nothing dropped, nothing duplicated);
 * - stratification by label holds (random split) / label balance follows the speakers (k-fold).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  augmentTrainingOnly,
  findLeaks,
  randomStratifiedSplit,
  speakerIndependentSplit,
  speakerKFold,
  type Split,
} from '../../src/data/splits.js';
import { augmentedCopy } from '../../src/data/recording.js';
import { loadDataset } from '../../src/data/load.js';
import type { DatasetItem } from '../../src/data/types.js';
import { SerError } from '../../src/errors.js';
import { RAVDESS_DIR, countBy, syntheticRavdess } from './helpers.js';

const AUGS = ['stretch0.8', 'pitch+2'];

/** Source identity computed here: the file path without any '#augmentation' suffix. */
const sourcePath = (it: DatasetItem) => it.path.replace(/#.*$/, '');
/** A second, corpus-level identity: the RAVDESS file stem (same recording as .wav or .flac). */
const stemOf = (it: DatasetItem) => sourcePath(it).replace(/^.*\//, '').replace(/\.[^.]*$/, '');

function checkSplit(name: string, items: readonly DatasetItem[], split: Split, speakerIndependent: boolean): void {
  const parts = { train: split.train, val: split.val, test: split.test };
  // originals: every input item in exactly one partition
  const originalsIn = new Map<string, string[]>();
  for (const [p, list] of Object.entries(parts)) {
    for (const it of list) {
      if (it.meta.augmented === true) continue;
      const l = originalsIn.get(it.path) ?? [];
      l.push(p);
      originalsIn.set(it.path, l);
    }
  }
  assert.equal(originalsIn.size, items.length, `${name}: every item placed`);
  for (const it of items) assert.equal(originalsIn.get(it.path)?.length, 1, `${name}: ${it.path} in exactly one partition`);
  const nOriginal = [...Object.values(parts)].reduce((s, l) => s + l.filter((i) => i.meta.augmented !== true).length, 0);
  assert.equal(nOriginal, items.length, `${name}: no item duplicated`);

  // no source recording (by path and by stem) in two partitions, augmented copies included
  for (const key of [sourcePath, stemOf]) {
    const where = new Map<string, Set<string>>();
    for (const [p, list] of Object.entries(parts)) for (const it of list) (where.get(key(it)) ?? where.set(key(it), new Set()).get(key(it))!).add(p);
    for (const [id, ps] of where) assert.equal(ps.size, 1, `${name}: recording ${id} is in ${[...ps].join(' and ')}`);
  }
  // augmented copies: only in train, only of training recordings, same label and speaker
  assert.equal(split.val.filter((i) => i.meta.augmented === true).length, 0, `${name}: augmented copy in val`);
  assert.equal(split.test.filter((i) => i.meta.augmented === true).length, 0, `${name}: augmented copy in test`);
  const trainSources = new Map(split.train.filter((i) => i.meta.augmented !== true).map((i) => [i.path, i]));
  for (const it of split.train.filter((i) => i.meta.augmented === true)) {
    const src = trainSources.get(sourcePath(it));
    assert.ok(src, `${name}: augmented ${it.path} has no training source`);
    assert.equal(it.label, src.label);
    assert.equal(it.speaker, src.speaker);
  }
  // speakers
  if (speakerIndependent) {
    const spk = (l: DatasetItem[]) => new Set(l.map((i) => i.speaker));
    const [tr, va, te] = [spk(split.train), spk(split.val), spk(split.test)];
    for (const s of te) assert.ok(!tr.has(s) && !va.has(s), `${name}: test speaker ${s} shared`);
    for (const s of va) assert.ok(!tr.has(s), `${name}: val speaker ${s} shared with train`);
  }
  // the library's own run-time check agrees
  assert.deepEqual(findLeaks(split), [], `${name}: findLeaks`);
  assert.ok(split.protocol.description.length > 0 && split.protocol.name, `${name}: protocol named`);
}

function augment(split: Split): Split {
  return augmentTrainingOnly(split, () => AUGS);
}

function runAllSplitKinds(label: string, items: DatasetItem[], thorough: boolean): void {
  const labels = countBy(items, (i) => i.label);

  // random stratified
  for (const seed of thorough ? [0, 1, 12345] : [0]) {
    const s = randomStratifiedSplit(items, { val: 0.1, test: 0.2, seed });
    const a = augment(s);
    checkSplit(`${label} random seed ${seed}`, items, a, false);
    assert.equal(a.train.length, s.train.length * (1 + AUGS.length));
    assert.equal(a.protocol.name, 'random');
    assert.equal(a.protocol.augmentation?.trainOnly, true);
    // stratified: per label, test and val sizes are round(n·f) exactly
    const te = countBy(s.test, (i) => i.label);
    const va = countBy(s.val, (i) => i.label);
    for (const [l, n] of Object.entries(labels)) {
      assert.equal(te[l] ?? 0, Math.round(n * 0.2), `${label}: test count of ${l}`);
      assert.equal(va[l] ?? 0, Math.round(n * 0.1), `${label}: val count of ${l}`);
    }
  }

  // speaker-independent, named speakers (and drawn validation speakers)
  const si = speakerIndependentSplit(items, { testSpeakers: ['ravdess:01', 'ravdess:02', '03', '4'], valFraction: 0.125, seed: 7 });
  checkSplit(`${label} speaker-independent`, items, augment(si), true);
  assert.deepEqual(si.protocol.testSpeakers, ['ravdess:01', 'ravdess:02', 'ravdess:03', 'ravdess:04']);
  assert.equal(si.protocol.valSpeakers?.length, 2);
  const si2 = speakerIndependentSplit(items, { testSpeakers: ['19', '20'], valSpeakers: ['17', '18'] });
  checkSplit(`${label} speaker-independent named val`, items, augment(si2), true);
  assert.equal(si2.val.length, 120);
  assert.equal(si2.test.length, 120);

  // speaker k-fold: every fold
  const kfoldOptions = thorough ? [{}, { seed: 3 }, { k: 4, val: 2 as const }, { seed: 'x', val: 0 as const }] : [{}];
  for (const opts of kfoldOptions) {
    const folds = speakerKFold(items, opts);
    const k = (opts as { k?: number }).k ?? 5;
    assert.equal(folds.length, k);
    const testCount = new Map<string, number>();
    folds.forEach((f, i) => {
      checkSplit(`${label} k-fold ${JSON.stringify(opts)} fold ${i}`, items, augment(f), true);
      for (const s of new Set(f.test.map((x) => x.speaker))) testCount.set(s, (testCount.get(s) ?? 0) + 1);
      // whole speakers with the same label mix: each partition's label counts are 'count per
      // speaker' × speakers — for RAVDESS every actor has 4 neutral and 8 of each other label
      const nTest = new Set(f.test.map((x) => x.speaker)).size;
      const te = countBy(f.test, (x) => x.label);
      for (const [l, n] of Object.entries(labels)) assert.equal(te[l], (n / 20) * nTest, `fold ${i} test label ${l}`);
      // genders balanced: male and female test speakers differ by at most one (equal when k | 10)
      const g = countBy([...new Set(f.test.map((x) => `${x.speaker}|${x.meta.gender}`))], (x) => x.split('|')[1]);
      assert.ok(Math.abs(g.male - g.female) <= (10 % k === 0 ? 0 : 1), `fold ${i} gender balance ${JSON.stringify(g)}`);
    });
    // fold sizes differ by at most one speaker
    const sizes = folds.map((f) => new Set(f.test.map((x) => x.speaker)).size);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
    // every speaker is tested exactly once over the folds
    assert.equal(testCount.size, 20);
    for (const [s, c] of testCount) assert.equal(c, 1, `speaker ${s} tested ${c} times`);
  }
}

test('leakage: synthetic RAVDESS listing (20 actors × 60 files), every split kind, augmentation after splitting', () => {
  const items = syntheticRavdess(20);
  assert.equal(items.length, 1200);
  runAllSplitKinds('synthetic', items, true);
});

test('leakage: real ../shared/data/ravdess listing, every split kind', async (t) => {
  if (!existsSync(RAVDESS_DIR)) return t.skip('shared/data/ravdess is absent');
  const { items } = await loadDataset([RAVDESS_DIR], { emotions: 'all' });
  assert.equal(items.length, 1200);
  runAllSplitKinds('real', items, false);
});

test('k-fold default: RAVDESS 01–20 → fold i holds actors 4i+1 … 4i+4 (2 male, 2 female); val = next fold', () => {
  const folds = speakerKFold(syntheticRavdess(20));
  folds.forEach((f, i) => {
    const want = [1, 2, 3, 4].map((j) => `ravdess:${String(4 * i + j).padStart(2, '0')}`);
    assert.deepEqual(f.protocol.testSpeakers, want);
    assert.deepEqual(f.protocol.valSpeakers, folds[(i + 1) % 5].protocol.testSpeakers);
    assert.equal(f.train.length, 12 * 60);
    assert.equal(f.protocol.name, 'speaker-kfold');
    assert.match(f.protocol.description, new RegExp(`fold ${i + 1}/5`));
  });
});

test('splits are deterministic: same seed → same split, whatever the input order; other seed → other split', () => {
  const items = syntheticRavdess(20);
  const shuffled = [...items].reverse();
  const ids = (s: Split) => [s.train, s.val, s.test].map((l) => l.map((i) => i.path).sort());
  assert.deepEqual(ids(randomStratifiedSplit(items, { seed: 5 })), ids(randomStratifiedSplit(shuffled, { seed: 5 })));
  assert.notDeepEqual(ids(randomStratifiedSplit(items, { seed: 5 })), ids(randomStratifiedSplit(items, { seed: 6 })));
  const a = speakerKFold(items, { seed: 9 }).map((f) => f.protocol.testSpeakers);
  const b = speakerKFold(shuffled, { seed: 9 }).map((f) => f.protocol.testSpeakers);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, speakerKFold(items, { seed: 10 }).map((f) => f.protocol.testSpeakers));
  const v1 = speakerIndependentSplit(items, { testSpeakers: ['01'], valFraction: 0.2, seed: 1 }).protocol.valSpeakers;
  const v2 = speakerIndependentSplit(shuffled, { testSpeakers: ['01'], valFraction: 0.2, seed: 1 }).protocol.valSpeakers;
  assert.deepEqual(v1, v2);
});

test('protocol guards: augmenting before splitting is refused; bad speaker options are clear errors', () => {
  const items = syntheticRavdess(4);
  const augmentedFirst = [...items, ...items.map((i) => augmentedCopy(i, 'pitch+2'))];
  for (const f of [
    () => randomStratifiedSplit(augmentedFirst),
    () => speakerIndependentSplit(augmentedFirst, { testSpeakers: ['01'] }),
    () => speakerKFold(augmentedFirst, { k: 2, val: 0 }),
  ]) {
    assert.throws(f, (e: unknown) => e instanceof SerError && /augment/.test(e.message));
  }
  assert.throws(() => speakerIndependentSplit(items, { testSpeakers: ['99'] }), (e: unknown) => e instanceof SerError && /unknown speaker '99'/.test(e.message));
  assert.throws(() => speakerIndependentSplit(items, { testSpeakers: ['01'], valSpeakers: ['01'] }), SerError);
  assert.throws(() => speakerIndependentSplit(items, { testSpeakers: ['01', '02', '03', '04'] }), /no training speaker/);
  assert.throws(() => speakerKFold(items, { k: 5 }), /only 4 speakers/);
  assert.throws(() => speakerKFold(items, { k: 2 }), /next-fold/);
  assert.throws(() => speakerKFold(items, { folds: [['01', '02'], ['03']] }), /in no fold: ravdess:04/);
  assert.throws(() => speakerKFold(items, { folds: [['01', '02'], ['02', '03', '04']] }), /fold 1 and fold 2/);
  assert.throws(() => randomStratifiedSplit(items, { val: 0.5, test: 0.5 }), SerError);
});

test('findLeaks detects each kind of leak (so the checks above can fail)', () => {
  const items = syntheticRavdess(6);
  const base = speakerIndependentSplit(items, { testSpeakers: ['01'], valSpeakers: ['02'] });
  // the recipe's mistake: an augmented copy of a test recording in training
  const leakyAug: Split = { ...base, train: [...base.train, augmentedCopy(base.test[0], 'pitch+2')] };
  assert.ok(findLeaks(leakyAug).some((l) => /recording ravdess:.* is in (test and train|train and test)/.test(l)));
  // an augmented copy placed in test
  const augInTest: Split = { ...base, test: [...base.test, augmentedCopy(base.test[0], 'noise')] };
  assert.ok(findLeaks(augInTest).some((l) => /augmented copy .* is in test/.test(l)));
  // the same speaker in train and test
  const spk: Split = { ...base, test: [...base.test, base.train[0]] };
  assert.ok(findLeaks(spk).some((l) => /speaker ravdess:\d+ is in train and test/.test(l)));
  // the same recording stored twice (wav + flac) on both sides
  const flac = { ...base.test[0], path: base.test[0].path.replace(/\.wav$/, '.flac') };
  const twice: Split = { ...base, train: [...base.train, flac] };
  assert.ok(findLeaks(twice).some((l) => l.startsWith(`recording ravdess:${base.test[0].meta.recordingKey} is in`)));
});
