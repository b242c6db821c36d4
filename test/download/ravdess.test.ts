/**
 * `downloadRavdess` / `ser download ravdess` end to end against a local HTTP server serving a small
 * RAVDESS-style archive: download + checksum + unpack, then loadDataset finds every recording;
 * interruption and resume (in one run, and across two runs); bad checksum and truncated archive
 * leave no tree and no partial download; server without ranges; --from FILE.zip; a finished folder
 * is not redone; the CLI's exit codes and messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadRavdess, RAVDESS_SPEECH, DONE_MARKER } from '../../src/download/ravdess.js';
import { parseChecksum } from '../../src/download/checksum.js';
import { loadDataset } from '../../src/data/load.js';
import { SerError } from '../../src/errors.js';
import { buildZip, md5, noiseWav, RAVDESS_MEMBERS, ravdessZip, serveAndDrop, serveFull, serveRanges, sha256, startServer, tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { zip: ZIP, files: FILES } = ravdessZip();
const MD5 = { algorithm: 'md5' as const, hex: md5(ZIP) };
const QUIET = { progress: { quiet: true } };
const FOLDER = RAVDESS_SPEECH.folder;

function assertTree(dataDir: string) {
  for (const [name, data] of FILES) assert.deepEqual(readFileSync(join(dataDir, name)), data, name);
}

/** Only these names in DIR (hidden part files, temp folders, … would show up here). */
function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

test('official constants: Zenodo record 1188976, md5 and sha256 are well-formed digests', () => {
  assert.match(RAVDESS_SPEECH.url, /^https:\/\/zenodo\.org\/records\/1188976\/files\/Audio_Speech_Actors_01-24\.zip$/);
  assert.deepEqual(parseChecksum('md5', RAVDESS_SPEECH.md5).hex, RAVDESS_SPEECH.md5);
  assert.deepEqual(parseChecksum('sha256', RAVDESS_SPEECH.sha256).hex, RAVDESS_SPEECH.sha256);
  assert.equal(RAVDESS_SPEECH.recordings, 24 * 60);
});

test('download + md5 + unpack; loadDataset([DIR]) finds every recording with its label and speaker; part files gone', async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, ZIP));
  const { dir, cleanup } = tempDir();
  try {
    const r = await downloadRavdess(dir, { url: srv.url(), checksum: MD5, ...QUIET });
    assert.equal(r.dataDir, join(dir, FOLDER));
    assert.equal(r.files, FILES.size);
    assert.equal(r.recordings, RAVDESS_MEMBERS.length);
    assert.equal(r.actors, 2);
    assert.equal(r.download?.bytes, ZIP.length);
    assertTree(r.dataDir);
    assert.deepEqual(listing(dir), [FOLDER]);
    const marker = JSON.parse(readFileSync(join(r.dataDir, DONE_MARKER), 'utf8'));
    assert.equal(marker.checksum, `md5:${MD5.hex}`);

    const ds = await loadDataset([dir], { emotions: 'all' });
    assert.equal(ds.problems.length, 0, JSON.stringify(ds.problems));
    assert.equal(ds.sources[0].dataset, 'ravdess');
    assert.equal(ds.items.length, RAVDESS_MEMBERS.length);
    const got = ds.items.map((it) => [it.path.slice(it.path.indexOf('Actor_')), it.label, it.speaker]).sort();
    const want = RAVDESS_MEMBERS.map(([p, label]) => [p, label, `ravdess:${p.slice(6, 8)}`]).sort();
    assert.deepEqual(got, want);

    // Running again: the finished folder is recognised, nothing is fetched.
    const n = srv.requests.length;
    const again = await downloadRavdess(dir, { url: srv.url(), checksum: MD5, ...QUIET });
    assert.equal(again.alreadyPresent, true);
    assert.equal(again.recordings, RAVDESS_MEMBERS.length);
    assert.deepEqual(again.checksum, MD5);
    assert.equal(srv.requests.length, n);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('connection dropped mid-body: the retry resumes with Range (206) and the unpacked tree is exact; sha256 accepted', async () => {
  const cut = Math.floor(ZIP.length / 3);
  const srv = await startServer((req, res, i) => (i === 0 ? serveAndDrop(req, res, ZIP, cut) : serveRanges(req, res, ZIP)));
  const { dir, cleanup } = tempDir();
  try {
    const lines: string[] = [];
    const r = await downloadRavdess(dir, { url: srv.url(), checksum: { algorithm: 'sha256', hex: sha256(ZIP) }, retryDelayMs: 5, log: (l) => lines.push(l), ...QUIET });
    assert.equal(srv.requests.length, 2);
    assert.match(String(srv.requests[1].headers.range), /^bytes=\d+-$/);
    assert.equal(r.download?.resumed, true);
    assertTree(r.dataDir);
    assert.ok(lines.some((l) => /resuming the download at byte \d+ of \d+/.test(l)), lines.join('\n'));
    assert.deepEqual(listing(dir), [FOLDER]);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('interrupted run (no retries) keeps .part + state and no tree; the next run resumes and finishes', async () => {
  const cut = Math.floor(ZIP.length / 2);
  const srv = await startServer((req, res) => serveAndDrop(req, res, ZIP, cut));
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(downloadRavdess(dir, { url: srv.url(), checksum: MD5, retries: 0, ...QUIET }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EIO');
      assert.match(err.message, /run the same command again to resume/);
      return true;
    });
    assert.deepEqual(listing(dir), [`.${RAVDESS_SPEECH.fileName}.part`, `.${RAVDESS_SPEECH.fileName}.part.json`]);
    srv.handle((req, res) => serveRanges(req, res, ZIP));
    const r = await downloadRavdess(dir, { url: srv.url(), checksum: MD5, retries: 0, keepArchive: true, ...QUIET });
    assert.match(String(srv.requests[1].headers.range), /^bytes=[1-9]\d*-$/);
    assertTree(r.dataDir);
    assert.equal(r.archive, join(dir, RAVDESS_SPEECH.fileName));
    assert.deepEqual(readFileSync(r.archive!), ZIP);
    assert.deepEqual(listing(dir), [FOLDER, RAVDESS_SPEECH.fileName]);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('server without Range support: the interrupted download restarts from zero and completes', async () => {
  const srv = await startServer((req, res, i) => (i === 0 ? serveAndDrop(req, res, ZIP, 20000) : serveFull(res, ZIP)));
  const { dir, cleanup } = tempDir();
  try {
    const r = await downloadRavdess(dir, { url: srv.url(), checksum: MD5, retryDelayMs: 5, ...QUIET });
    assert.equal(r.download?.restarted, true);
    assertTree(r.dataDir);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('bad checksum: EFORMAT with both digests, nothing unpacked, no partial tree, the bad download deleted', async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, ZIP));
  const { dir, cleanup } = tempDir();
  try {
    const wrong = 'f'.repeat(32);
    await assert.rejects(downloadRavdess(dir, { url: srv.url(), checksum: { algorithm: 'md5', hex: wrong }, ...QUIET }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EFORMAT', String(err));
      assert.match(err.message, new RegExp(`md5 checksum mismatch: expected ${wrong}, got ${MD5.hex}`));
      assert.match(err.message, /download was deleted/);
      return true;
    });
    assert.deepEqual(listing(dir), []);
    // The default is the official md5, which this small archive cannot match.
    await assert.rejects(downloadRavdess(dir, { url: srv.url(), ...QUIET }), new RegExp(`expected ${RAVDESS_SPEECH.md5}`));
    assert.deepEqual(listing(dir), []);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('truncated archive (checksum of the truncated bytes, or none): ETRUNC, no tree, nothing left', async () => {
  const truncated = ZIP.subarray(0, ZIP.length - 40);
  const srv = await startServer((req, res) => serveRanges(req, res, truncated));
  const { dir, cleanup } = tempDir();
  try {
    for (const checksum of [{ algorithm: 'md5' as const, hex: md5(truncated) }, null]) {
      await assert.rejects(downloadRavdess(dir, { url: srv.url(), checksum, ...QUIET }), (err: unknown) => {
        assert.ok(err instanceof SerError && err.code === 'ETRUNC', String(err));
        assert.match(err.message, /truncated or not a zip/);
        return true;
      });
      assert.deepEqual(listing(dir), []);
    }
  } finally {
    cleanup();
    await srv.close();
  }
});

test('zip-slip member in a downloaded archive: refused, nothing written outside or inside DIR', async () => {
  const evil = buildZip([
    { name: 'Actor_01/03-01-01-01-01-01-01.wav', data: noiseWav(100, 1) },
    { name: 'Actor_01/../../escaped.wav', data: noiseWav(100, 2) },
  ]);
  const srv = await startServer((req, res) => serveRanges(req, res, evil));
  const { dir, cleanup } = tempDir();
  try {
    const inner = join(dir, 'data');
    await assert.rejects(downloadRavdess(inner, { url: srv.url(), checksum: null, ...QUIET }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EFORMAT', String(err));
      assert.match(err.message, /unsafe member/);
      return true;
    });
    assert.deepEqual(listing(inner), []);
    assert.deepEqual(listing(dir), ['data']);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('--from FILE.zip: same verification, the user\'s file is never deleted; an archive without RAVDESS names → EDATA', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const archive = join(dir, 'mine.zip');
    writeFileSync(archive, ZIP);
    const out = join(dir, 'out');
    await assert.rejects(downloadRavdess(out, { from: archive, checksum: { algorithm: 'md5', hex: '0'.repeat(32) }, ...QUIET }), /mine\.zip: md5 checksum mismatch/);
    assert.ok(existsSync(archive));
    const r = await downloadRavdess(out, { from: archive, checksum: MD5, ...QUIET });
    assertTree(r.dataDir);
    assert.equal(r.download, undefined);
    assert.ok(existsSync(archive));

    const other = join(dir, 'other.zip');
    writeFileSync(other, buildZip([{ name: 'songs/track.wav', data: noiseWav(100, 5) }]));
    const out2 = join(dir, 'out2');
    await assert.rejects(downloadRavdess(out2, { from: other, checksum: null, ...QUIET }), (err: unknown) => {
      assert.ok(err instanceof SerError && err.code === 'EDATA', String(err));
      return true;
    });
    assert.deepEqual(listing(out2), []);
    await assert.rejects(downloadRavdess(out2, { from: join(dir, 'nope.zip'), ...QUIET }), (err: unknown) => err instanceof SerError && err.code === 'ENOENT');
  } finally {
    cleanup();
  }
});

test('a target folder not made by ser download is refused, not overwritten', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, FOLDER, 'Actor_01'), { recursive: true });
    writeFileSync(join(dir, FOLDER, 'Actor_01', 'mine.txt'), 'keep');
    const archive = join(dir, 'a.zip');
    writeFileSync(archive, ZIP);
    await assert.rejects(downloadRavdess(dir, { from: archive, checksum: MD5, ...QUIET }), /already exists but was not completed by ser download/);
    assert.equal(readFileSync(join(dir, FOLDER, 'Actor_01', 'mine.txt'), 'utf8'), 'keep');
  } finally {
    cleanup();
  }
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'download', 'ravdess', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('CLI: ser download ravdess DIR --url --md5 (exit 0, summary, progress on stderr); bad checksum and bad flags exit 1 with one ser: line', { timeout: 60000 }, async () => {
  const srv = await startServer((req, res) => serveRanges(req, res, ZIP));
  const { dir, cleanup } = tempDir();
  try {
    const archive = join(dir, 'local.zip');
    writeFileSync(archive, ZIP);
    const [ok, bad, flags, local] = await Promise.all([
      runCli([join(dir, 'ok'), '--url', srv.url(), '--md5', MD5.hex.toUpperCase()]),
      runCli([join(dir, 'bad'), '--url', srv.url(), '--sha256', 'a'.repeat(64)]),
      runCli([join(dir, 'flags'), '--md5', 'xyz']),
      runCli([join(dir, 'local'), '--from', archive, '--no-checksum', '--json', '--quiet']),
    ]);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stderr, '', '--quiet prints nothing on success');
    const j = JSON.parse(local.stdout);
    assert.equal(j.recordings, RAVDESS_MEMBERS.length);
    assert.equal(j.checksum, null);
    assert.equal(j.download, null);
    assertTree(join(dir, 'local', FOLDER));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /6 recordings of 2 actors unpacked into .*Audio_Speech_Actors_01-24/);
    assert.match(ok.stdout, new RegExp(`md5 verified: ${MD5.hex}`));
    assert.match(ok.stdout, /ser train --data /);
    assert.match(ok.stderr, /download .*100%/);
    assertTree(join(dir, 'ok', FOLDER));

    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ser: .*sha256 checksum mismatch: expected a{64}, got [0-9a-f]{64}/m);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, 'no stack trace');
    assert.deepEqual(listing(join(dir, 'bad')), []);

    assert.equal(flags.code, 1);
    assert.match(flags.stderr, /ser: --md5 must be 32 hexadecimal digits; got 'xyz'/);
  } finally {
    cleanup();
    await srv.close();
  }
});
