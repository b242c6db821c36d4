import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, resolvePoolSize, WorkerCrashError, type MapResult } from '../../src/util/pool.js';
import { SerError } from '../../src/errors.js';
import type { EchoTask, EchoResult } from './fixtures/echo.worker.js';

const workerUrl = new URL('./fixtures/echo.worker.ts', import.meta.url);

test('run: result with transferred Float32Array; map: results in input order despite uneven delays', async () => {
  const pool = createPool<EchoTask, EchoResult>({ workerUrl, size: 2 });
  try {
    await pool.ready();
    const r = await pool.run({ op: 'echo', value: 3, n: 5 });
    assert.ok(r.data instanceof Float32Array);
    assert.deepEqual(Array.from(r.data), [3000, 3001, 3002, 3003, 3004]);
    // Early items are slow, late items fast: completion order differs from input order.
    const tasks: EchoTask[] = Array.from({ length: 12 }, (_, i) => ({ op: 'echo', value: i, delayMs: i < 3 ? 60 : 1 }));
    const progress: number[] = [];
    const out: MapResult<EchoTask, EchoResult>[] = [];
    for await (const res of pool.map(tasks, (p) => progress.push(p.done))) out.push(res);
    assert.deepEqual(out.map((x) => x.index), tasks.map((_, i) => i));
    assert.deepEqual(out.map((x) => (x.ok ? x.value.value : -1)), tasks.map((t) => t.value));
    assert.deepEqual(progress, tasks.map((_, i) => i + 1));
    const threads = new Set(out.map((x) => (x.ok ? x.value.thread : 0)));
    assert.equal(threads.size, 2, 'both workers were used');
  } finally {
    await pool.close();
  }
});

test('errors are per task: SerError keeps code and file, other tasks succeed, a crashed worker is replaced', async () => {
  const pool = createPool<EchoTask, EchoResult>({ workerUrl, size: 2 });
  try {
    const tasks: EchoTask[] = [
      { op: 'echo', value: 0 },
      { op: 'fail', value: 1 },
      { op: 'echo', value: 2 },
      { op: 'throw', value: 3 },
      { op: 'crash', value: 4 },
      { op: 'echo', value: 5 },
      { op: 'echo', value: 6 },
    ];
    const out: MapResult<EchoTask, EchoResult>[] = [];
    for await (const r of pool.map(tasks)) out.push(r);
    assert.deepEqual(out.map((r) => r.ok), [true, false, true, false, false, true, true]);
    const e1 = (out[1] as { error: Error }).error;
    assert.ok(e1 instanceof SerError);
    assert.equal((e1 as SerError).code, 'EFORMAT');
    assert.equal((e1 as SerError).file, 'bad-1.wav');
    assert.equal(e1.message, 'bad-1.wav: not an audio file');
    const e3 = (out[3] as { error: Error }).error;
    assert.equal(e3.name, 'TypeError');
    assert.match(e3.message, /plain failure 3/);
    assert.ok((out[4] as { error: Error }).error instanceof WorkerCrashError);
    // The pool still has working workers after the crash.
    const again = await pool.run({ op: 'echo', value: 9 });
    assert.equal(again.value, 9);
    await assert.rejects(pool.run({ op: 'fail', value: 8 }), (e: unknown) => e instanceof SerError && e.file === 'bad-8.wav');
  } finally {
    await pool.close();
  }
});

test('map keeps in-flight tasks bounded, pulling lazily from an async iterable', async () => {
  const pool = createPool<EchoTask, EchoResult>({ workerUrl, size: 2 });
  const window = 3;
  let pulled = 0;
  let consumed = 0;
  let maxAhead = 0;
  async function* gen(): AsyncGenerator<EchoTask> {
    for (let i = 0; i < 40; i++) {
      pulled++;
      maxAhead = Math.max(maxAhead, pulled - consumed);
      yield { op: 'echo', value: i, n: 1000, delayMs: 2 };
    }
  }
  try {
    let expect = 0;
    for await (const r of pool.map(gen(), { window })) {
      assert.equal(r.index, expect++);
      consumed++;
      // a slow consumer: the pool must not run ahead of it
      await new Promise((res) => setTimeout(res, 3));
    }
    assert.equal(consumed, 40);
    assert.ok(maxAhead <= window + 1, `pulled ${maxAhead} items ahead of the consumer (window ${window})`);
    assert.ok(pool.peakPending <= window, `peak pending ${pool.peakPending} > window ${window}`);
  } finally {
    await pool.close();
  }
});

test('a worker file that cannot start fails its tasks instead of hanging', async () => {
  const pool = createPool({ workerUrl: new URL('./fixtures/does-not-exist.worker.ts', import.meta.url), size: 1 });
  await assert.rejects(pool.run({}), WorkerCrashError);
  await assert.rejects(pool.ready(), /failed to start/);
  await pool.close();
});

test('terminate rejects running tasks; resolvePoolSize parses --jobs', async () => {
  const pool = createPool<EchoTask, EchoResult>({ workerUrl, size: 1 });
  await pool.run({ op: 'echo', value: 0 }); // worker is up
  const running = assert.rejects(pool.run({ op: 'echo', value: 1, delayMs: 5000 }), WorkerCrashError);
  const queued = assert.rejects(pool.run({ op: 'echo', value: 2 }), /terminated/);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await pool.terminate();
  await running;
  await queued;
  assert.ok(Date.now() - t0 < 4000, 'terminate does not wait for the running task');
  assert.equal(resolvePoolSize(undefined), 1);
  assert.equal(resolvePoolSize('3'), 3);
  assert.ok(resolvePoolSize('auto') >= 1);
  assert.ok(resolvePoolSize(0) >= 1);
  assert.throws(() => resolvePoolSize('-2'), SerError);
  assert.throws(() => resolvePoolSize('many'), SerError);
});

test('a plain .js worker (as in dist/) runs without tsx', async (t) => {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    t.skip('esbuild not available');
    return;
  }
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'ser-pool-'));
  try {
    const outfile = join(dir, 'echo.worker.mjs');
    await esbuild.build({ entryPoints: [new URL(workerUrl).pathname], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'silent' });
    const pool = createPool<EchoTask, EchoResult>({ workerUrl: new URL(`file://${outfile}`), size: 1 });
    try {
      const r = await pool.run({ op: 'echo', value: 2, n: 2 });
      assert.deepEqual(Array.from(r.data), [2000, 2001]);
    } finally {
      await pool.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
