import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir } from '../../src/util/dirs.js';
import { SerError } from '../../src/errors.js';

test('ensureDir creates missing parents and accepts an existing folder', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ser-dirs-'));
  try {
    const deep = join(root, 'a', 'b', 'c');
    await ensureDir(deep);
    assert.ok((await stat(deep)).isDirectory());
    await ensureDir(deep); // idempotent
    await ensureDir(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ensureDir refuses a file in the way with a SerError naming the path', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ser-dirs-'));
  try {
    const file = join(root, 'f');
    await writeFile(file, 'x');
    await assert.rejects(ensureDir(file), (e: unknown) => e instanceof SerError && e.message.includes(file) && /not a folder/.test(e.message));
    await assert.rejects(ensureDir(join(file, 'sub')), (e: unknown) => e instanceof SerError && e.message.includes(join(file, 'sub')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ensureDir fails fast under /proc, where fs.mkdir(recursive) loops forever in Node 20', { skip: process.platform !== 'linux' }, async () => {
  const target = `/proc/${process.pid}-no-such/x/y`;
  const outcome = await Promise.race([
    ensureDir(target).then(() => 'created', (e: unknown) => e),
    new Promise((r) => setTimeout(() => r('timeout'), 5000)),
  ]);
  assert.ok(outcome instanceof SerError, `expected a SerError, got ${String(outcome)}`);
  assert.ok(outcome.message.includes(target));
});
