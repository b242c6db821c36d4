import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSplit, splitSpecFromOptions } from '../../src/cli/commands/dataset.js';
import { makeSplits, summariseSplit, splitToJSON } from '../../src/data/splits.js';
import { SerError } from '../../src/errors.js';
import { ravdessNames, syntheticRavdess, tempDir, writeTree } from './helpers.js';

test('makeSplits: one entry point per protocol; summaries count files, speakers, labels', () => {
  const items = syntheticRavdess(8);
  const [r] = makeSplits(items, { protocol: 'random', seed: 1 });
  assert.equal(r.protocol.name, 'random');
  const folds = makeSplits(items, { protocol: 'speaker-kfold', k: 4 });
  assert.equal(folds.length, 4);
  const s = summariseSplit(folds[0]);
  assert.equal(s.test.files, 120);
  assert.deepEqual(s.test.speakers, ['ravdess:01', 'ravdess:02']);
  assert.deepEqual(Object.keys(s.test.labels), ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']);
  assert.equal(s.train.recordings, s.train.files);
  const j = splitToJSON(folds[0]);
  assert.equal(j.train.length + j.val.length + j.test.length, items.length);
  assert.match(j.test[0].recording, /^ravdess:03-01-/);
  assert.throws(() => makeSplits(items, { protocol: 'speaker-independent' }), /needs test speakers/);
  assert.throws(() => makeSplits(items, { protocol: 'bogus' as never }), SerError);
});

test('command-line options → SplitSpec, with clear errors', () => {
  assert.deepEqual(splitSpecFromOptions({ protocol: 'speaker-independent', testSpeakers: '01, 02', seed: '7', valFraction: '0.2' }), {
    protocol: 'speaker-independent',
    seed: 7,
    val: undefined,
    test: undefined,
    testSpeakers: ['01', '02'],
    valSpeakers: undefined,
    valFraction: 0.2,
    k: undefined,
  });
  assert.equal(splitSpecFromOptions({}).protocol, 'speaker-kfold');
  assert.equal(splitSpecFromOptions({ seed: 'abc' }).seed, 'abc');
  assert.throws(() => splitSpecFromOptions({ protocol: 'leaky' }), /--protocol must be/);
  assert.throws(() => splitSpecFromOptions({ k: '1' }), /--k must be/);
  assert.throws(() => splitSpecFromOptions({ protocol: 'random', val: 'x' }), /--val must be a number/);
});

test('ser dataset split (in process): text, --json and an atomic --out file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files: Record<string, null> = {};
    for (const a of [1, 2, 3, 4]) for (const n of ravdessNames(a)) files[`Actor_0${a}/${n}`] = null;
    writeTree(dir, files);
    const out: string[] = [];
    await runSplit([dir], { protocol: 'speaker-kfold', k: '4' }, (t) => out.push(t));
    const text = out.join('');
    assert.equal(text.match(/^speaker-kfold: /gm)?.length, 4);
    // genders are dealt group by group (female, then male): 02, 04, 01, 03; val = the next fold
    assert.match(text, /fold 1\/4: test speakers ravdess:02; validation speakers ravdess:04/);
    assert.match(text, /fold 4\/4: test speakers ravdess:03; validation speakers ravdess:02/);
    assert.match(text, /48 files, 1 speaker;/);
    const json: string[] = [];
    const outFile = join(dir, 'split.json');
    await runSplit([dir], { protocol: 'random', seed: '3', emotions: 'all', json: true, out: outFile }, (t) => json.push(t));
    const summaries = JSON.parse(json.join(''));
    assert.equal(summaries.length, 1);
    assert.equal(summaries[0].train.files + summaries[0].val.files + summaries[0].test.files, 240);
    const saved = JSON.parse(readFileSync(outFile, 'utf8'));
    assert.equal(saved.kind, 'splits');
    assert.equal(saved.splits[0].protocol.name, 'random');
    assert.equal(saved.splits[0].test.length, summaries[0].test.files);
    // the default emotion selection for training is the recipe's six: 4 actors × 48 files
    const six: string[] = [];
    await runSplit([dir], { protocol: 'random', json: true }, (t) => six.push(t));
    const s6 = JSON.parse(six.join(''))[0];
    assert.equal(s6.train.files + s6.val.files + s6.test.files, 4 * 48);
    await assert.rejects(runSplit([dir], { protocol: 'speaker-independent', testSpeakers: '09' }, () => {}), /unknown speaker '09'/);
  } finally {
    cleanup();
  }
});
