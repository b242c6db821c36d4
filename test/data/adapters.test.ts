import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseRavdessName,
  parseTessName,
  parseCremaDName,
  parseSaveeName,
  folderAdapter,
  ravdessAdapter,
  parseCsv,
  parseManifest,
} from '../../src/data/adapters/index.js';
import { detectDataset, loadDataset } from '../../src/data/load.js';
import { normalizeLabel, parseEmotions } from '../../src/data/labels.js';
import { ALL_EMOTIONS, RECIPE_EMOTIONS } from '../../src/data/types.js';
import { SerError } from '../../src/errors.js';
import { RAVDESS_DIR, countBy, ravdessNames, tempDir, writeTree } from './helpers.js';

test('RAVDESS: every filename field is parsed', () => {
  const f = parseRavdessName('Actor_07/03-01-05-02-01-02-07.flac');
  assert.ok(!('error' in f));
  assert.equal(f.modality, 'audio-only');
  assert.equal(f.vocalChannel, 'speech');
  assert.equal(f.emotion, 'angry');
  assert.equal(f.intensity, 'strong');
  assert.equal(f.statement, 1);
  assert.equal(f.statementText, 'Kids are talking by the door');
  assert.equal(f.repetition, 2);
  assert.equal(f.actor, 7);
  assert.equal(f.gender, 'male');
  const g = parseRavdessName('03-02-08-01-02-01-12.wav');
  assert.ok(!('error' in g));
  assert.equal(g.vocalChannel, 'song');
  assert.equal(g.emotion, 'surprised');
  assert.equal(g.statementText, 'Dogs are sitting by the door');
  assert.equal(g.gender, 'female');
  // emotion codes 01..08 map onto the unified vocabulary in order
  for (let e = 1; e <= 8; e++) {
    const r = parseRavdessName(`03-01-0${e}-01-01-01-01.wav`);
    assert.ok(!('error' in r));
    assert.equal(r.emotion, ALL_EMOTIONS[e - 1]);
  }
  const p = ravdessAdapter.parse('Actor_07/03-01-05-02-01-02-07.wav');
  assert.ok(!('error' in p));
  assert.equal(p.speaker, 'ravdess:07');
  assert.equal(p.meta.recordingKey, '03-01-05-02-01-02-07');
});

test('RAVDESS: malformed names give a reason naming the field', () => {
  const cases: [string, RegExp][] = [
    ['03-01-05-02-01-02.wav', /not a RAVDESS name/],
    ['03-01-09-01-01-01-01.wav', /emotion '09'/],
    ['03-03-05-01-01-01-01.wav', /vocal channel '03'/],
    ['04-01-05-01-01-01-01.wav', /modality '04'/],
    ['03-01-05-03-01-01-01.wav', /intensity '03'/],
    ['03-01-01-02-01-01-01.wav', /neutral .* no strong/],
    ['03-01-05-01-03-01-01.wav', /statement '03'/],
    ['03-01-05-01-01-03-01.wav', /repetition '03'/],
    ['03-01-05-01-01-01-00.wav', /actor '00'/],
    ['03-01-05-01-01-01-01.mp4', /not a RAVDESS name/],
  ];
  for (const [name, re] of cases) {
    const r = parseRavdessName(name);
    assert.ok('error' in r, name);
    assert.match(r.error, re, name);
  }
});

test('TESS, CREMA-D, SAVEE parsers follow the public naming conventions', () => {
  const t = parseTessName('OAF_angry/OAF_back_angry.wav');
  assert.deepEqual(t, { speaker: 'OAF', word: 'back', emotion: 'angry', code: 'angry' });
  const ps = parseTessName('YAF_pleasant_surprised/YAF_bar_ps.wav');
  assert.ok(!('error' in ps) && ps.emotion === 'surprised' && ps.speaker === 'YAF');
  const fear = parseTessName('YAF_dog_fear.wav');
  assert.ok(!('error' in fear) && fear.emotion === 'fearful');
  assert.ok('error' in parseTessName('XAF_back_angry.wav'));
  assert.match((parseTessName('OAF_back_bored.wav') as { error: string }).error, /emotion 'bored'/);

  const c = parseCremaDName('1001_DFA_ANG_XX.wav');
  assert.deepEqual(c, { actor: '1001', sentence: 'DFA', emotion: 'angry', emotionCode: 'ANG', level: 'XX' });
  const codes: Record<string, string> = { ANG: 'angry', DIS: 'disgust', FEA: 'fearful', HAP: 'happy', NEU: 'neutral', SAD: 'sad' };
  for (const [code, label] of Object.entries(codes)) {
    const r = parseCremaDName(`1091_IEO_${code}_HI.wav`);
    assert.ok(!('error' in r) && r.emotion === label, code);
  }
  assert.match((parseCremaDName('1001_DFA_XYZ_XX.wav') as { error: string }).error, /emotion 'XYZ'/);
  assert.match((parseCremaDName('1001_DFA_ANG_ZZ.wav') as { error: string }).error, /level 'ZZ'/);
  assert.match((parseCremaDName('1001_QQQ_ANG_LO.wav') as { error: string }).error, /sentence 'QQQ'/);

  const sv: Record<string, string> = { a: 'angry', d: 'disgust', f: 'fearful', h: 'happy', n: 'neutral', sa: 'sad', su: 'surprised' };
  for (const [code, label] of Object.entries(sv)) {
    const flat = parseSaveeName(`ALL/DC_${code}01.wav`);
    assert.ok(!('error' in flat) && flat.emotion === label && flat.speaker === 'DC', code);
    const nested = parseSaveeName(`AudioData/KL/${code}12.wav`);
    assert.ok(!('error' in nested) && nested.emotion === label && nested.speaker === 'KL' && nested.sentence === 12, code);
  }
  assert.ok('error' in parseSaveeName('a01.wav')); // no speaker folder
  assert.ok('error' in parseSaveeName('DC_x01.wav'));
});

test('label synonyms and emotion selection', () => {
  const expect: Record<string, string> = {
    anger: 'angry', ANG: 'angry', Angry: 'angry', fear: 'fearful', fearful: 'fearful', disgusted: 'disgust',
    happiness: 'happy', joy: 'happy', sadness: 'sad', surprise: 'surprised', ps: 'surprised', neutral: 'neutral', calm: 'calm',
    'pleasant surprise': 'surprised',
  };
  for (const [k, v] of Object.entries(expect)) assert.equal(normalizeLabel(k), v, k);
  assert.equal(normalizeLabel('bored'), undefined);
  assert.deepEqual(parseEmotions(undefined), [...RECIPE_EMOTIONS]);
  assert.deepEqual(parseEmotions('all'), [...ALL_EMOTIONS]);
  assert.deepEqual(parseEmotions('anger, sad,angry'), ['angry', 'sad']);
  assert.throws(() => parseEmotions('angry,bored'), (e: unknown) => e instanceof SerError && /bored/.test(e.message));
});

test('CSV parsing: quotes, escaped quotes, commas and newlines inside quotes, CRLF, BOM', () => {
  const rows = parseCsv('\ufeffpath,label\r\n"a, b.wav","happy"\r\n"say ""hi"".wav",sad\n"multi\nline.wav",angry\n\n');
  assert.deepEqual(rows, [
    ['path', 'label'],
    ['a, b.wav', 'happy'],
    ['say "hi".wav', 'sad'],
    ['multi\nline.wav', 'angry'],
  ]);
  assert.throws(() => parseCsv('path,label\n"open,happy\n', 'm.csv'), (e: unknown) => e instanceof SerError && e.code === 'EDATA' && /m\.csv.*unterminated/.test(e.message));
  const m = parseManifest('Label,Path,Speaker,extra\nanger,x.wav,s1,foo\nbored,y.wav,s1,bar\nhappy,z.wav\n,w.wav,,\n', 'm.csv');
  assert.equal(m.rows.length, 1);
  assert.deepEqual(m.rows[0], { path: 'x.wav', label: 'angry', speaker: 'manifest:s1', dataset: 'manifest', extra: { extra: 'foo' }, row: 2 });
  assert.deepEqual(m.problems.map((p) => p.file), ['m.csv row 3', 'm.csv row 4', 'm.csv row 5']);
  assert.match(m.problems[0].reason, /unknown label 'bored'/);
  assert.throws(() => parseManifest('file_name,emotion_x\n', 'bad.csv'), (e: unknown) => e instanceof SerError && /bad\.csv.*'path'/.test(e.message));
});

test('loadDataset: RAVDESS tree with song files, a bad name and a non-audio file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files: Record<string, null | string> = {};
    for (const a of [1, 2]) for (const n of ravdessNames(a)) files[`Actor_0${a}/${n}`] = null;
    files['Actor_01/03-02-03-01-01-01-01.wav'] = null; // song
    files['Actor_01/03-02-05-02-02-02-01.wav'] = null; // song
    files['Actor_01/notes.wav'] = null; // audio whose name does not parse
    files['Actor_01/README.txt'] = 'hello';
    writeTree(dir, files);
    assert.equal(await detectDataset(dir), 'ravdess');
    const all = await loadDataset([dir], { emotions: 'all' });
    assert.equal(all.items.length, 120);
    assert.equal(all.excluded.song, 2);
    assert.equal(all.ignored, 1);
    assert.deepEqual(all.problems.map((p) => p.file), [join(dir, 'Actor_01/notes.wav')]);
    assert.deepEqual(all.sources, [{ dir, dataset: 'ravdess' }]);
    assert.deepEqual(countBy(all.items, (i) => i.speaker), { 'ravdess:01': 60, 'ravdess:02': 60 });
    assert.equal(all.items.filter((i) => i.meta.gender === 'male').length, 60);
    // default = recipe six: neutral and surprised excluded and counted
    const six = await loadDataset([dir]);
    assert.equal(six.items.length, 2 * 48);
    assert.deepEqual(six.excluded.labels, { neutral: 8, surprised: 16 });
    assert.ok(six.items.every((i) => RECIPE_EMOTIONS.includes(i.label)));
    const song = await loadDataset([dir], { emotions: 'all', includeSong: true });
    assert.equal(song.items.length, 122);
    assert.equal(song.excluded.song, 0);
    // the same recordings read again from a second folder are duplicates, not new items
    const dup = await loadDataset([dir, dir], { emotions: 'all' });
    assert.equal(dup.items.length, 120);
    assert.equal(dup.problems.filter((p) => /duplicate recording/.test(p.reason)).length, 122);
  } finally {
    cleanup();
  }
});

test('loadDataset: TESS, CREMA-D, SAVEE (both layouts) and folder-per-label trees', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, {
      'tess/OAF_angry/OAF_back_angry.wav': null,
      'tess/OAF_Fear/OAF_back_fear.wav': null,
      'tess/YAF_pleasant_surprised/YAF_bar_ps.wav': null,
      'tess/YAF_neutral/YAF_bar_neutral.wav': null,
      'crema/1001_DFA_ANG_XX.wav': null,
      'crema/1001_DFA_NEU_XX.wav': null,
      'crema/1002_IEO_HAP_HI.wav': null,
      'crema/1002_IEO_SAD_LO.wav': null,
      'savee-flat/DC_a01.wav': null,
      'savee-flat/JE_sa03.wav': null,
      'savee-flat/JK_su15.wav': null,
      'savee-nested/AudioData/KL/h02.wav': null,
      'savee-nested/AudioData/KL/d07.wav': null,
      'folder/Anger/spk1/x.wav': null,
      'folder/happiness/y.flac': null,
      'folder/Sad/z.wav': null,
      'folder/bored/w.wav': null,
    });
    assert.equal(await detectDataset(join(dir, 'tess')), 'tess');
    assert.equal(await detectDataset(join(dir, 'crema')), 'crema-d');
    assert.equal(await detectDataset(join(dir, 'savee-flat')), 'savee');
    assert.equal(await detectDataset(join(dir, 'savee-nested')), 'savee');
    assert.equal(await detectDataset(join(dir, 'folder')), 'folder');

    const tess = await loadDataset([join(dir, 'tess')], { emotions: 'all' });
    // items come sorted by path (code-unit order: 'OAF_Fear' < 'OAF_angry')
    assert.deepEqual(tess.items.map((i) => [i.label, i.speaker]), [
      ['fearful', 'tess:OAF'],
      ['angry', 'tess:OAF'],
      ['neutral', 'tess:YAF'],
      ['surprised', 'tess:YAF'],
    ]);
    const crema = await loadDataset([join(dir, 'crema')], { emotions: 'all' });
    assert.deepEqual(crema.items.map((i) => [i.label, i.speaker, i.meta.level]), [
      ['angry', 'crema-d:1001', 'unspecified'],
      ['neutral', 'crema-d:1001', 'unspecified'],
      ['happy', 'crema-d:1002', 'high'],
      ['sad', 'crema-d:1002', 'low'],
    ]);
    // CREMA-D demographics beside the audio folder add gender and age
    writeTree(dir, { 'crema/VideoDemographics.csv': 'ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n1002,21,Female,Caucasian,Not Hispanic\n' });
    const cremaG = await loadDataset([join(dir, 'crema')], { emotions: 'all' });
    assert.deepEqual(cremaG.items.map((i) => [i.meta.gender, i.meta.age]), [['male', 51], ['male', 51], ['female', 21], ['female', 21]]);
    const savee = await loadDataset([join(dir, 'savee-flat'), join(dir, 'savee-nested')], { emotions: 'all' });
    assert.deepEqual(savee.items.map((i) => [i.label, i.speaker]), [
      ['angry', 'savee:DC'],
      ['sad', 'savee:JE'],
      ['surprised', 'savee:JK'],
      ['disgust', 'savee:KL'],
      ['happy', 'savee:KL'],
    ]);
    const folder = await loadDataset([join(dir, 'folder')], { emotions: 'all' });
    assert.deepEqual(folder.items.map((i) => [i.label, i.speaker]), [
      ['angry', 'folder:spk1'],
      ['sad', 'folder:unknown'], // 'Sad' < 'happiness' in code-unit order
      ['happy', 'folder:unknown'],
    ]);
    assert.equal(folder.problems.length, 1);
    assert.match(folder.problems[0].reason, /label folder 'bored'/);
    // several corpora at once: speakers stay distinct
    const mixed = await loadDataset([join(dir, 'tess'), join(dir, 'crema'), join(dir, 'savee-flat')], { emotions: 'all' });
    assert.equal(mixed.items.length, 11);
    assert.deepEqual(mixed.sources.map((s) => s.dataset), ['tess', 'crema-d', 'savee']);
    // forcing an adapter that does not fit reports every file as a problem
    const forced = await loadDataset([join(dir, 'tess')], { dataset: 'crema-d', emotions: 'all' });
    assert.equal(forced.items.length, 0);
    assert.equal(forced.problems.length, 4);
  } finally {
    cleanup();
  }
});

test('loadDataset: CSV manifest with relative and quoted paths, missing files reported', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeTree(dir, {
      'audio/a, 1.wav': null,
      'audio/b.wav': null,
      'lists/m.csv': 'path,label,speaker\n"../audio/a, 1.wav",Anger,alice\n../audio/b.wav,fear,bob\n../audio/missing.wav,sad,bob\n',
    });
    const csv = join(dir, 'lists/m.csv');
    assert.equal(await detectDataset(csv), 'manifest');
    const r = await loadDataset([csv], { emotions: 'all' });
    assert.deepEqual(r.items.map((i) => [i.path, i.label, i.speaker, i.dataset]), [
      [join(dir, 'audio/a, 1.wav'), 'angry', 'manifest:alice', 'manifest'],
      [join(dir, 'audio/b.wav'), 'fearful', 'manifest:bob', 'manifest'],
    ]);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0].reason, /row 4 but missing/);
  } finally {
    cleanup();
  }
});

test('loadDataset: clear errors for a missing folder, an undetectable layout, an empty folder', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(loadDataset([join(dir, 'nope')]), (e: unknown) => e instanceof SerError && e.code === 'ENOENT' && e.message.includes('nope'));
    writeTree(dir, { 'odd/x.wav': null, 'odd/y.wav': null, 'empty/readme.txt': 'x' });
    await assert.rejects(loadDataset([join(dir, 'odd')]), (e: unknown) => e instanceof SerError && e.code === 'EDATA' && /--dataset/.test(e.message));
    await assert.rejects(loadDataset([join(dir, 'empty')]), (e: unknown) => e instanceof SerError && /no audio files/.test(e.message));
    await assert.rejects(loadDataset([dir], { dataset: 'bogus' as never }), (e: unknown) => e instanceof SerError && e.code === 'EPARAM');
  } finally {
    cleanup();
  }
});

test('folder adapter: files directly in the root are problems, not items', () => {
  const r = folderAdapter.parse('x.wav');
  assert.ok('error' in r);
});

test('real RAVDESS (../shared/data/ravdess): 1200 items, 20 speakers, 80 neutral, 160 of each other label', async (t) => {
  if (!existsSync(RAVDESS_DIR)) return t.skip('shared/data/ravdess is absent');
  assert.equal(await detectDataset(RAVDESS_DIR), 'ravdess');
  const r = await loadDataset([RAVDESS_DIR], { emotions: 'all' });
  assert.equal(r.problems.length, 0);
  assert.equal(r.items.length, 1200);
  assert.equal(new Set(r.items.map((i) => i.speaker)).size, 20);
  const labels = countBy(r.items, (i) => i.label);
  for (const e of ALL_EMOTIONS) assert.equal(labels[e], e === 'neutral' ? 80 : 160, e);
  const genders = countBy(r.items, (i) => String(i.meta.gender));
  assert.deepEqual(genders, { male: 600, female: 600 });
  const six = await loadDataset([RAVDESS_DIR]);
  assert.equal(six.items.length, 960);
  assert.deepEqual(six.excluded.labels, { neutral: 80, surprised: 160 });
});
