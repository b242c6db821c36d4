/**
 * Property tests of the splits on arbitrary item lists: several corpora, unknown genders, uneven
 * speakers and labels, and the same recording present twice (e.g. .wav and .flac).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { augmentTrainingOnly, findLeaks, randomStratifiedSplit, speakerIndependentSplit, speakerKFold, speakersOf, type Split } from '../../src/data/splits.js';
import { ALL_EMOTIONS, type DatasetItem, type Emotion } from '../../src/data/types.js';

const itemArb = fc.record({
  dataset: fc.constantFrom('ravdess', 'crema-d', 'tess'),
  spk: fc.integer({ min: 1, max: 9 }),
  gender: fc.constantFrom('male', 'female', undefined),
  label: fc.constantFrom(...ALL_EMOTIONS),
  rec: fc.integer({ min: 0, max: 400 }),
  ext: fc.constantFrom('wav', 'flac'),
});

/** Builds items; a speaker's gender is fixed by its first occurrence; (dataset, rec) = one recording with one label and speaker. */
function build(raw: fc.infer<typeof itemArb>[]): DatasetItem[] {
  const recs = new Map<string, { label: Emotion; speaker: string }>();
  const genders = new Map<string, string | undefined>();
  const seenPath = new Set<string>();
  const out: DatasetItem[] = [];
  for (const r of raw) {
    const key = `${r.dataset}:${r.rec}`;
    const speaker = recs.get(key)?.speaker ?? `${r.dataset}:${r.spk}`;
    const label = recs.get(key)?.label ?? r.label;
    recs.set(key, { label, speaker });
    if (!genders.has(speaker)) genders.set(speaker, r.gender);
    const path = `/d/${r.dataset}/${r.rec}.${r.ext}`;
    if (seenPath.has(path)) continue;
    seenPath.add(path);
    const g = genders.get(speaker);
    out.push({ path, label, speaker, dataset: r.dataset, meta: { recordingKey: String(r.rec), ...(g ? { gender: g } : {}) } });
  }
  return out;
}

function assertClean(items: DatasetItem[], s: Split, speakerBased: boolean): void {
  const all = [...s.train, ...s.val, ...s.test];
  assert.equal(all.length, items.length);
  assert.deepEqual(new Set(all.map((i) => i.path)).size, items.length);
  const part = new Map<string, string>();
  for (const [name, list] of [['train', s.train], ['val', s.val], ['test', s.test]] as const) {
    for (const it of list) {
      const rec = `${it.dataset}:${it.meta.recordingKey}`;
      assert.ok(!part.has(rec) || part.get(rec) === name, `recording ${rec} split`);
      part.set(rec, name);
      if (speakerBased) {
        const sk = `spk ${it.speaker}`;
        assert.ok(!part.has(sk) || part.get(sk) === name, `${sk} split`);
        part.set(sk, name);
      }
    }
  }
  assert.deepEqual(findLeaks(s), []);
}

test('property: every split kind is complete and leak-free on arbitrary item lists', () => {
  fc.assert(
    fc.property(fc.array(itemArb, { minLength: 6, maxLength: 150 }), fc.integer({ min: 0, max: 1000 }), (raw, seed) => {
      const items = build(raw);
      const speakers = speakersOf(items);
      assertClean(items, randomStratifiedSplit(items, { seed }), false);
      if (speakers.length >= 3) {
        const si = speakerIndependentSplit(items, { testSpeakers: [speakers[seed % speakers.length]], valFraction: 0.3, seed });
        assertClean(items, si, true);
        const k = 2 + (seed % Math.min(4, speakers.length - 1));
        const folds = speakerKFold(items, { k, seed, val: k >= 3 ? 'next-fold' : 0 });
        const tested = folds.flatMap((f) => f.protocol.testSpeakers ?? []);
        assert.deepEqual([...tested].sort(), [...speakers].sort());
        const sizes = folds.map((f) => f.protocol.testSpeakers!.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
        for (const f of folds) {
          assertClean(items, f, true);
          const a = augmentTrainingOnly(f, (_, i) => (i % 2 ? ['x'] : ['x', 'y']));
          assert.ok(a.val.every((i) => i.meta.augmented !== true) && a.test.every((i) => i.meta.augmented !== true));
          assert.deepEqual(findLeaks(a), []);
        }
      }
    }),
    { numRuns: 60 },
  );
});

test('random split: a recording stored twice (wav + flac) never straddles partitions', () => {
  const items: DatasetItem[] = [];
  for (let r = 0; r < 50; r++)
    for (const ext of ['wav', 'flac'])
      items.push({ path: `/x/${r}.${ext}`, label: r % 2 ? 'happy' : 'sad', speaker: 'ravdess:01', dataset: 'ravdess', meta: { recordingKey: `r${r}` } });
  const s = randomStratifiedSplit(items, { seed: 3 });
  assertClean(items, s, false);
  // whole recordings are counted for stratification: 25 per label → 5 test, 3 val (round 2.5 → 3)
  assert.equal(s.test.length, 2 * 2 * 5);
  assert.equal(s.val.length, 2 * 2 * 3);
});
