/**
 * `ser serve [--port 8080] [--host 127.0.0.1] [--model DIR] [--static DIR] [--max-body-mb 20]
 *            [--max-duration-s 60] [--concurrency 2] [--queue 16] [--timeout-ms 30000]
 *            [--engine inline|workers] [--backend wasm|cpu]`
 *
 * Serves the HTTP API (docs/api.md) and, with --static, the web app's files. Prints
 * `ser serve: listening on http://HOST:PORT` on stdout once it accepts connections (with --port 0
 * the port is chosen by the system). SIGINT / SIGTERM: stop accepting, finish in-flight requests,
 * exit 0 (exit 1 if they do not finish within --timeout-ms + 5 s).
 * Fastify and TensorFlow.js are imported lazily, in the action, so `ser --help` stays fast.
 */
import { Option, type Command } from 'commander';
import { SerError } from '../../errors.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveModelDir, parseBackend, DEFAULT_MODEL_DIR } from './predict.js';

/** The built web app (`npm run build` → dist-web/ at the package root), if it exists. */
export function defaultStaticDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../../dist-web', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

interface ServeOptions {
  port: string;
  host: string;
  model?: string;
  static?: string;
  maxBodyMb: string;
  maxDurationS: string;
  concurrency: string;
  queue: string;
  timeoutMs: string;
  engine: string;
  backend: string;
  debugDelayMs?: string;
  log?: boolean;
}

function num(v: string, flag: string, { int = false, min = 0, allowZero = false } = {}): number {
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (allowZero ? n >= min : n > min) && (!int || Number.isInteger(n));
  if (!ok) throw new SerError('EPARAM', `${flag} must be a ${allowZero ? 'non-negative' : 'positive'} ${int ? 'integer' : 'number'}, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the prediction HTTP API (POST /v1/predict, GET /healthz) and optionally the web app')
    .option('--port <n>', 'TCP port (0 = any free port)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--model <dir>', `model bundle folder (default: ${DEFAULT_MODEL_DIR} here, else the packaged one)`)
    .option('--static <dir>', 'folder of static files to serve at / (default: the built web app, dist-web/, when present)')
    .option('--max-body-mb <mb>', 'largest request body in MiB (413 beyond)', '20')
    .option('--max-duration-s <s>', 'longest audio in seconds (422 beyond)', '60')
    .option('--concurrency <n>', 'predictions running at once (worker threads with --engine workers)', '2')
    .option('--queue <n>', 'requests waiting for a free slot before 503 + Retry-After', '16')
    .option('--timeout-ms <ms>', 'deadline per prediction, queue wait included (503 while queued, 504 while running)', '30000')
    .option('--engine <kind>', "'inline': predictions on the main thread, one at a time (faster on a busy 2-core machine); 'workers': worker threads, one model each (event loop never blocked)", 'inline')
    .option('--backend <name>', "TensorFlow.js backend: 'wasm' or 'cpu'", 'wasm')
    .option('--log', 'log every request (JSON lines on stdout)')
    .addOption(new Option('--debug-delay-ms <ms>', 'testing: delay before each prediction').hideHelp())
    .action(async (opts: ServeOptions) => {
      const port = num(opts.port, '--port', { int: true, allowZero: true });
      if (port > 65535) throw new SerError('EPARAM', `--port must be at most 65535, got ${port}`);
      const limits = {
        maxBodyBytes: Math.round(num(opts.maxBodyMb, '--max-body-mb') * 1024 * 1024),
        maxDurationS: num(opts.maxDurationS, '--max-duration-s'),
        concurrency: num(opts.concurrency, '--concurrency', { int: true }),
        queue: num(opts.queue, '--queue', { int: true, allowZero: true }),
        timeoutMs: num(opts.timeoutMs, '--timeout-ms'),
      };
      if (opts.engine !== 'workers' && opts.engine !== 'inline') throw new SerError('EPARAM', `--engine must be 'workers' or 'inline', got '${opts.engine}'`);
      const backend = parseBackend(opts.backend);
      const delayMs = opts.debugDelayMs === undefined ? 0 : num(opts.debugDelayMs, '--debug-delay-ms', { allowZero: true });
      const modelDir = resolveModelDir(opts.model);

      const [{ initBackend }, { loadBundle }, { disposeBundle }, { createServer }, engines] = await Promise.all([
        import('../../model/backend.js'),
        import('../../model/bundle-node.js'),
        import('../../model/bundle.js'),
        import('../../server/app.js'),
        import('../../server/engine.js'),
      ]);
      // Load (and validate) the bundle here first: a bad --model fails before anything listens.
      await initBackend(backend);
      const bundle = await loadBundle(modelDir);
      let engine;
      if (opts.engine === 'inline') {
        const sleep = delayMs > 0 ? () => new Promise<void>((r) => setTimeout(r, delayMs)) : undefined;
        engine = engines.createInlineEngine(bundle, { beforePredict: sleep, disposeOnClose: () => disposeBundle(bundle) });
      } else {
        disposeBundle(bundle);
        engine = engines.createWorkerEngine({ modelDir, backend, size: limits.concurrency, delayMs });
        try {
          await engine.ready();
        } catch (e) {
          await engine.close().catch(() => {});
          throw new SerError('EMODEL', `the inference workers could not start: ${(e as Error).message}`, { file: modelDir });
        }
      }
      opts.static ??= defaultStaticDir();
      const server = await createServer({ engine, meta: bundle.meta, modelSource: modelDir, limits, staticDir: opts.static, logger: opts.log === true });
      let address: string;
      try {
        address = await server.app.listen({ port, host: opts.host });
      } catch (e) {
        await server.close().catch(() => {});
        throw new SerError('EIO', `cannot listen on ${opts.host}:${port}: ${(e as Error).message}`);
      }
      process.stdout.write(`ser serve: listening on ${address} (model ${modelDir}, engine ${engine.kind} × ${limits.concurrency}, queue ${limits.queue}${opts.static ? `, static ${opts.static}` : ''})\n`);

      await new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          process.stdout.write(`ser serve: ${sig}: finishing ${server.queue.pending} in-flight request(s), then exiting\n`);
          const hard = setTimeout(() => {
            process.stderr.write('ser serve: in-flight requests did not finish in time; exiting\n');
            process.exit(1);
          }, limits.timeoutMs + 5000);
          hard.unref();
          server.close().then(
            () => {
              process.stdout.write('ser serve: stopped\n');
              resolve();
            },
            (e) => {
              process.stderr.write(`ser serve: error while stopping: ${(e as Error).message}\n`);
              process.exit(1);
            },
          );
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      process.exit(0);
    });
}
