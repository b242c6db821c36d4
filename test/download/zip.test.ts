/**
 * Zip extraction: members unpacked byte for byte, CRC-32 and size checks, zip-slip names and
 * symbolic links refused before anything is written, truncated archives, all-or-nothing unpack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { extractZip, extractZipAtomic, safeEntrySegments, removeStaleExtractions } from '../../src/download/zip.js';
import { SerError } from '../../src/errors.js';
import { buildZip, noiseWav, ravdessZip, tempDir } from './helpers.js';

function isSerError(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SerError, `expected SerError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

test('extractZip: every member unpacked byte for byte (stored and deflated), sizes counted', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { zip, files } = ravdessZip();
    const archive = join(dir, 'a.zip');
    writeFileSync(archive, zip);
    const r = await extractZip(archive, join(dir, 'out'));
    assert.equal(r.files, files.size);
    let bytes = 0;
    for (const [name, data] of files) {
      assert.deepEqual(readFileSync(join(dir, 'out', name)), data, name);
      bytes += data.length;
    }
    assert.equal(r.bytes, bytes);
  } finally {
    cleanup();
  }
});

test('extractZip: a wrong CRC-32 is caught (EFORMAT naming the member)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = noiseWav(500, 7);
    for (const method of [0, 8] as const) {
      const archive = join(dir, `crc${method}.zip`);
      writeFileSync(archive, buildZip([{ name: 'Actor_01/03-01-01-01-01-01-01.wav', data, method, crc: 0x12345678 }]));
      await assert.rejects(extractZip(archive, join(dir, `out${method}`)), isSerError('EFORMAT', /03-01-01-01-01-01-01\.wav.*CRC-32 mismatch/));
    }
    // A flipped byte inside stored data: same CRC in the directory, different content.
    const zip = buildZip([{ name: 'x.wav', data, method: 0 }]);
    zip[30 + 'x.wav'.length + 100] ^= 0xff;
    const archive = join(dir, 'flip.zip');
    writeFileSync(archive, zip);
    await assert.rejects(extractZip(archive, join(dir, 'flip')), isSerError('EFORMAT', /CRC-32 mismatch/));
  } finally {
    cleanup();
  }
});

test('extractZip: truncated archives and non-zip files → ETRUNC naming the file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { zip } = ravdessZip();
    for (const keep of [zip.length - 10, Math.floor(zip.length / 2), 100]) {
      const archive = join(dir, `t${keep}.zip`);
      writeFileSync(archive, zip.subarray(0, keep));
      await assert.rejects(extractZip(archive, join(dir, `o${keep}`)), isSerError('ETRUNC', new RegExp(`t${keep}\\.zip.*truncated or not a zip`)));
    }
    const html = join(dir, 'page.zip');
    writeFileSync(html, '<html>not found</html>');
    await assert.rejects(extractZip(html, join(dir, 'oh')), isSerError('ETRUNC'));
    await assert.rejects(extractZip(join(dir, 'missing.zip'), join(dir, 'om')), isSerError('ENOENT'));
  } finally {
    cleanup();
  }
});

test('zip-slip: ../, absolute, drive-letter, backslash names and symbolic links are refused; nothing is written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = { name: 'Actor_01/03-01-01-01-01-01-01.wav', data: noiseWav(100, 1) };
    const bad: [string, ReturnType<typeof buildZip>][] = [
      ['dotdot', buildZip([good, { name: '../evil.wav', data: Buffer.from('x') }])],
      ['nested-dotdot', buildZip([good, { name: 'Actor_01/../../evil.wav', data: Buffer.from('x') }])],
      ['absolute', buildZip([good, { name: '/tmp/evil.wav', data: Buffer.from('x') }])],
      ['drive', buildZip([good, { name: 'C:/evil.wav', data: Buffer.from('x') }])],
      ['backslash', buildZip([good, { name: '..\\evil.wav', data: Buffer.from('x') }])],
      ['symlink', buildZip([good, { name: 'Actor_01/link', data: Buffer.from('/etc/passwd'), mode: 0o120777, method: 0 }])],
    ];
    for (const [label, zip] of bad) {
      const archive = join(dir, `${label}.zip`);
      writeFileSync(archive, zip);
      const out = join(dir, 'sub', `out-${label}`);
      await assert.rejects(extractZip(archive, out), isSerError('EFORMAT', /unsafe member/), label);
      assert.equal(existsSync(out), false, `${label}: destination created`);
      assert.equal(existsSync(join(dir, 'evil.wav')), false);
      assert.equal(existsSync(join(dir, 'sub', 'evil.wav')), false);
    }
    // The name checker itself (second line of defence behind yauzl's).
    assert.deepEqual(safeEntrySegments('Actor_01/a.wav', 'z'), ['Actor_01', 'a.wav']);
    assert.deepEqual(safeEntrySegments('Actor_01/', 'z'), ['Actor_01']);
    for (const n of ['../a', 'a/../../b', '/a', 'C:a', 'a\\b', 'a//b', './a', 'a\0b', '']) assert.throws(() => safeEntrySegments(n, 'z'), SerError, n);
  } finally {
    cleanup();
  }
});

test('extractZipAtomic: success renames into place; a corrupt member or a failed verify leaves no target and no temporary folder', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { zip, files } = ravdessZip();
    const archive = join(dir, 'a.zip');
    writeFileSync(archive, zip);
    const parent = join(dir, 'data');
    const target = join(parent, 'ravdess');
    await extractZipAtomic(archive, target);
    for (const [name, data] of files) assert.deepEqual(readFileSync(join(target, name)), data);
    assert.deepEqual(readdirSync(parent), ['ravdess']);
    // Target exists → refused, untouched.
    await assert.rejects(extractZipAtomic(archive, target), isSerError('EPARAM', /already exists/));

    // Corrupt last member: earlier members were written to the temp tree, all removed.
    const members = [...files].map(([name, data]) => ({ name, data, method: 0 as const }));
    members[members.length - 1] = { ...members[members.length - 1], crc: 1 } as typeof members[number] & { crc: number };
    const bad = join(dir, 'bad.zip');
    writeFileSync(bad, buildZip(members));
    const target2 = join(parent, 'other');
    await assert.rejects(extractZipAtomic(bad, target2), isSerError('EFORMAT', /CRC-32/));
    assert.deepEqual(readdirSync(parent), ['ravdess']);

    // verify() throwing → same clean-up.
    await assert.rejects(
      extractZipAtomic(archive, target2, {
        verify: async (tmp) => {
          assert.ok(existsSync(join(tmp, 'Actor_01')));
          throw new SerError('EDATA', 'rejected by verify');
        },
      }),
      isSerError('EDATA', /rejected by verify/),
    );
    assert.deepEqual(readdirSync(parent), ['ravdess']);
  } finally {
    cleanup();
  }
});

test('stripComponents auto: one wrapper folder is dropped, Actor_NN at the top is kept', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = noiseWav(50, 3);
    const wrapped = join(dir, 'w.zip');
    writeFileSync(wrapped, buildZip([{ name: 'Audio_Speech_Actors_01-24/' }, { name: 'Audio_Speech_Actors_01-24/Actor_01/03-01-01-01-01-01-01.wav', data }]));
    let r = await extractZip(wrapped, join(dir, 'w'), { stripComponents: 'auto' });
    assert.equal(r.stripped, 1);
    assert.deepEqual(readFileSync(join(dir, 'w', 'Actor_01', '03-01-01-01-01-01-01.wav')), data);
    const flat = join(dir, 'f.zip');
    writeFileSync(flat, buildZip([{ name: 'Actor_01/03-01-01-01-01-01-01.wav', data }]));
    r = await extractZip(flat, join(dir, 'f'), { stripComponents: 'auto' });
    assert.equal(r.stripped, 0);
    assert.ok(existsSync(join(dir, 'f', 'Actor_01', '03-01-01-01-01-01-01.wav')));
  } finally {
    cleanup();
  }
});

test('removeStaleExtractions: temporary folders of dead processes are removed, live ones kept', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, '.tmp-x-999999999-0123abcd'));
    mkdirSync(join(dir, `.tmp-x-${process.pid}-0123abcd`));
    mkdirSync(join(dir, 'keep'));
    assert.equal(await removeStaleExtractions(dir), 1);
    assert.deepEqual(readdirSync(dir).sort(), [`.tmp-x-${process.pid}-0123abcd`, 'keep']);
  } finally {
    cleanup();
  }
});
