import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { inspectDataset, formatInspectReport, mapLimit } from '../../src/data/inspect.js';
import { SerError } from '../../src/errors.js';
import { Command } from 'commander';
import { parseDatasetOption, register, runInspect } from '../../src/cli/commands/dataset.js';
import { RAVDESS_DIR, REPO_ROOT, ravdessNames, tempDir, wavBytes, writeTree } from './helpers.js';

/** Runs the CLI from source (asynchronously, so the file's CLI runs overlap: each start costs seconds). */
function ser(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ status: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

// Start every CLI run of this file at once (the shared tree is made first); tests await them.
const cliTree = tempDir();
let cliRuns: Record<'broken' | 'missing' | 'ravdess', ReturnType<typeof ser>>;
before(() => {
  brokenTree(cliTree.dir);
  cliRuns = {
    broken: ser(['dataset', 'inspect', cliTree.dir, '--json']),
    missing: ser(['dataset', 'inspect', join(cliTree.dir, 'nope')]),
    ravdess: existsSync(RAVDESS_DIR) ? ser(['dataset', 'inspect', '../shared/data/ravdess', '--json']) : Promise.resolve({ status: null, stdout: '', stderr: '' }),
  };
});
after(async () => {
  await Promise.all(Object.values(cliRuns ?? {}));
  cliTree.cleanup();
});

/** A small RAVDESS tree: actor 01 complete with valid WAVs (1000 samples at 16 kHz each), plus broken files. */
function brokenTree(dir: string): void {
  const files: Record<string, Buffer | string | null> = {};
  for (const n of ravdessNames(1)) files[`Actor_01/${n}`] = wavBytes(1000, 16000);
  files['Actor_02/03-01-05-01-01-01-02.wav'] = ''; // zero bytes
  files['Actor_02/03-01-05-01-01-02-02.wav'] = 'this is not audio at all, just text';
  files['Actor_02/03-01-05-01-02-01-02.wav'] = wavBytes(1000).subarray(0, 30); // truncated header
  files['Actor_02/bad-name.wav'] = null;
  writeTree(dir, files);
}

test('inspectDataset: counts readable files, reports each unreadable one with its reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    brokenTree(dir);
    const r = await inspectDataset([dir]);
    assert.equal(r.files, 60);
    assert.equal(r.speakers, 1);
    assert.deepEqual(r.labels, { neutral: 4, calm: 8, happy: 8, sad: 8, angry: 8, fearful: 8, disgust: 8, surprised: 8 });
    assert.ok(Math.abs(r.duration_s - 60 * (1000 / 16000)) < 1e-6);
    assert.deepEqual(r.sample_rates, { '16000': 60 });
    assert.equal(r.problems.length, 4);
    const byFile = new Map(r.problems.map((p) => [p.file.replace(/^.*\//, ''), p.reason]));
    assert.match(byFile.get('bad-name.wav')!, /not a RAVDESS name/);
    for (const f of ['03-01-05-01-01-01-02.wav', '03-01-05-01-01-02-02.wav', '03-01-05-01-02-01-02.wav']) {
      const reason = byFile.get(f);
      assert.ok(reason && reason.length > 3, `${f} has a reason`);
      assert.ok(!reason.includes(dir), 'the reason does not repeat the path');
    }
    // with an emotion selection, the other labels are excluded and counted
    const six = await inspectDataset([dir], { emotions: ['angry', 'sad'] });
    assert.equal(six.files, 16);
    assert.deepEqual(six.excluded.labels, { neutral: 4, calm: 8, happy: 8, fearful: 8, disgust: 8, surprised: 8 });
    const text = formatInspectReport(r);
    assert.match(text, /60 readable files, 1 speaker,/);
    assert.match(text, /problems: 4/);
  } finally {
    cleanup();
  }
});

test('mapLimit keeps order and never exceeds the limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (x) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, x));
    inFlight--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(peak, 2);
  await assert.rejects(inspectDataset(['/definitely/not/here']), (e: unknown) => e instanceof SerError && e.code === 'ENOENT');
});

test('CLI: ser dataset inspect on a tree with broken files exits 0 and lists them; a missing folder exits 1', async () => {
  const r = await cliRuns.broken;
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.files, 60);
  assert.equal(j.problems.length, 4);
  assert.ok(j.problems.every((p: { file: string; reason: string }) => p.file && p.reason));
  const missing = await cliRuns.missing;
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^ser: .*nope: no such file or directory/m);
});

test('CLI options, in process: --dataset names, --emotions, text output', async () => {
  assert.equal(parseDatasetOption(undefined), 'auto');
  assert.equal(parseDatasetOption('CREMA-D'), 'crema-d');
  assert.equal(parseDatasetOption('cremad'), 'crema-d');
  assert.throws(() => parseDatasetOption('bogus'), (e: unknown) => e instanceof SerError && /--dataset must be/.test(e.message));
  const { dir, cleanup } = tempDir();
  const out: string[] = [];
  try {
    brokenTree(dir);
    await runInspect([dir], { emotions: 'anger,sad' }, (t) => out.push(t));
    await assert.rejects(runInspect([dir], { concurrency: '0' }, () => {}), /--concurrency/);
    await assert.rejects(runInspect([dir], { emotions: 'bored' }, () => {}), /unknown emotion 'bored'/);
    // the command is registered under 'dataset inspect'
    const program = new Command();
    register(program);
    const ds = program.commands.find((c) => c.name() === 'dataset');
    assert.ok(ds?.commands.some((c) => c.name() === 'inspect'));
  } finally {
    cleanup();
  }
  const text = out.join('');
  assert.match(text, /16 readable files, 1 speaker,/);
  assert.match(text, /excluded on purpose: neutral 4, calm 8/);
  assert.match(text, /problems: 4/);
});

test('CLI: ser dataset inspect ../shared/data/ravdess --json → 1200 files, 20 speakers, 8 labels', async (t) => {
  if (!existsSync(RAVDESS_DIR)) return t.skip('shared/data/ravdess is absent');
  const r = await cliRuns.ravdess;
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.files, 1200);
  assert.equal(j.speakers, 20);
  assert.equal(Object.keys(j.labels).length, 8);
  for (const [label, n] of Object.entries(j.labels)) assert.equal(n, label === 'neutral' ? 80 : 160, label);
  assert.deepEqual(j.problems, []);
  assert.equal(Object.keys(j.speaker_counts).length, 20);
  assert.deepEqual(j.datasets, { ravdess: 1200 });
  // RAVDESS speech clips last about 3–5.3 s each
  assert.ok(j.duration_s > 1200 * 3 && j.duration_s < 1200 * 5.5, `duration ${j.duration_s}`);
});
