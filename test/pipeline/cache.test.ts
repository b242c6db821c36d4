import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeToneDataset } from './helpers.js';
import { buildFeatureCache, readFeatureCache, verifyFeatureCache, planFeatureCache } from '../../src/data/cache.js';
import type { DatasetItem } from '../../src/data/types.js';

const SR = 22050;
const N = 16;
let dir: string;
let audioDir: string;
let items: DatasetItem[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ser-cache-'));
  ({ audioDir, items } = makeToneDataset(dir, N, SR));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function entryFiles(cacheDir: string): string[] {
  return readdirSync(cacheDir).filter((n) => n.endsWith('.serf') && !n.startsWith('.'));
}

test('entries are keyed by content: 1 and 2 workers give identical files; a renamed copy reuses its entry', async () => {
  const c1 = join(dir, 'one');
  const c2 = join(dir, 'two');
  const few = items.slice(0, 6);
  const r1 = await buildFeatureCache({ items: few, cacheDir: c1, jobs: 1 });
  const r2 = await buildFeatureCache({ items: few, cacheDir: c2, jobs: 2 });
  assert.equal(r1.built, 6);
  assert.equal(r2.built, 6);
  const names = entryFiles(c1).sort();
  assert.deepEqual(entryFiles(c2).sort(), names);
  for (const n of names) assert.ok(readFileSync(join(c1, n)).equals(readFileSync(join(c2, n))), n);

  const copy = join(dir, 'renamed.wav');
  writeFileSync(copy, readFileSync(few[2].path));
  const refs = await planFeatureCache({ items: [{ ...few[2], path: copy }], cacheDir: c1 });
  assert.equal(refs[0].key, r1.entries[2].key);
  const r3 = await buildFeatureCache({ items: [{ ...few[2], path: copy }], cacheDir: c1 });
  assert.equal(r3.existing, 1);
  assert.equal(r3.built, 0);
  // A different clip policy is a different entry.
  const r4 = await buildFeatureCache({ items: few.slice(0, 1), cacheDir: c1, clip: { seconds: 0.5 } });
  assert.equal(r4.built, 1);
  for await (const e of readFeatureCache({ cacheDir: c1, entries: r4.entries })) assert.equal(e.features.rows, 1 + Math.floor(SR / 2 / 512));
});

test('unreadable and undecodable files are reported per entry, the rest is built', async () => {
  const bad = join(dir, 'bad.wav');
  writeFileSync(bad, 'this is not audio');
  const list: DatasetItem[] = [items[0], { ...items[0], path: bad }, { ...items[0], path: join(dir, 'nope.wav') }, items[1]];
  const res = await buildFeatureCache({ items: list, cacheDir: join(dir, 'bad'), jobs: 2 });
  assert.equal(res.built, 2);
  assert.deepEqual(res.failed.map((f) => f.file).sort(), [bad, join(dir, 'nope.wav')].sort());
  for (const f of res.failed) assert.ok(f.error.message.includes(f.file), f.error.message);
  const v = await verifyFeatureCache(join(dir, 'bad'));
  assert.equal(v.valid.length, 2);
});

test('augmentations from a plan: one entry per (item, augmentation), seeded and reproducible', async () => {
  const two = items.slice(0, 2);
  const augs = [null, { kind: 'gain', db: -6 }, { kind: 'noise', snr_db: 20 }];
  const a = await buildFeatureCache({ items: two, augmentations: () => augs, cacheDir: join(dir, 'aug-a'), jobs: 2 });
  const b = await buildFeatureCache({ items: two, augmentations: [augs, augs], cacheDir: join(dir, 'aug-b'), jobs: 1 });
  assert.deepEqual(a.failed, []);
  assert.equal(a.built, 6);
  assert.deepEqual(a.entries.map((e) => [e.itemIndex, e.augmentation]), [
    [0, 'none'], [0, 'gain:-6dB'], [0, 'noise:20dB'],
    [1, 'none'], [1, 'gain:-6dB'], [1, 'noise:20dB'],
  ]);
  assert.equal(new Set(a.entries.map((e) => e.key)).size, 6);
  for (let i = 0; i < 6; i++) {
    assert.equal(a.entries[i].key, b.entries[i].key);
    assert.ok(readFileSync(a.entries[i].path).equals(readFileSync(b.entries[i].path)), `entry ${i} differs between runs`);
  }
  // A -6 dB gain lowers every log-mel value by exactly 6 dB (power_to_db with ref 1.0; the top_db
  // floor moves with the maximum), while noise changes them.
  const got: Record<string, { rows: number; cols: number; data: Float32Array; columns: string[] }> = {};
  for await (const e of readFeatureCache({ cacheDir: join(dir, 'aug-a'), entries: a.entries.slice(0, 3) })) {
    got[e.ref!.augmentation] = { ...e.features, columns: e.header.columns as string[] };
  }
  const cols = got.none.columns.map((c, j) => [c, j] as const).filter(([c]) => /^logmel_/.test(c)).map(([, j]) => j);
  assert.equal(cols.length, 128);
  let worst = 0;
  for (let t = 0; t < got.none.rows; t++) {
    for (const j of cols) worst = Math.max(worst, Math.abs(got['gain:-6dB'].data[t * got.none.cols + j] - (got.none.data[t * got.none.cols + j] - 6)));
  }
  assert.ok(worst < 1e-3, `log-mel shift error ${worst} dB`);
  assert.ok(got['noise:20dB'].data.some((v, i) => Math.abs(v - got.none.data[i]) > 1), 'noise changes the features');
});
