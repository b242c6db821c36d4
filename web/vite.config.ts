/**
 * Vite config of the microphone web app (`npm run build:web` → dist-web/ at the repo root, the
 * folder `ser serve --static dist-web` serves).
 *
 * - build.minify 'esbuild': Vite 8's default minifier (oxc) breaks tfjs-backend-wasm's threaded
 *   worker source, which tfjs keeps as a string.
 * - The three tfjs-backend-wasm binaries are copied to `tfjs/` (fixed names) and the page calls
 *   setWasmPaths('tfjs/') through initBackend; in `vite` (dev) they are served from node_modules.
 * - A shipped model at ../models/default/ (bundle.json, model.json, weights.bin) is copied to
 *   `models/default/` when it exists at build time (the page's default model URL); in dev the
 *   repo's models/ folder is served.
 * - Two pages: index.html (the app) and bench.html (the browser streaming benchmark's harness).
 * - COOP/COEP headers in dev/preview so that `crossOriginIsolated` holds and wasm threads work.
 */
import { defineConfig, type Plugin } from 'vite';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(WEB, '..');
const require = createRequire(import.meta.url);
/** tfjs-backend-wasm's dist/ folder (its package "main" lives there). */
const WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const MODEL_FILES = ['bundle.json', 'model.json', 'weights.bin'];
const MODELS_DIR = join(REPO, 'models');

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Copies the tfjs wasm binaries and the shipped default model into the build; serves both in dev. */
function runtimeFiles(): Plugin {
  return {
    name: 'ser-runtime-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        let file: string | null = null;
        const m = /^\/tfjs\/([\w.-]+\.wasm)$/.exec(url);
        if (m && WASM_FILES.includes(m[1])) file = join(WASM_DIR, m[1]);
        else if (url.startsWith('/models/')) {
          const p = normalize(join(MODELS_DIR, decodeURIComponent(url.slice('/models/'.length))));
          if (p.startsWith(MODELS_DIR + sep) && existsSync(p) && statSync(p).isFile()) file = p;
        }
        if (!file) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const f of WASM_FILES) this.emitFile({ type: 'asset', fileName: `tfjs/${f}`, source: readFileSync(join(WASM_DIR, f)) });
      const shipped = join(MODELS_DIR, 'default');
      if (existsSync(shipped) && MODEL_FILES.every((f) => existsSync(join(shipped, f)))) {
        for (const f of readdirSync(shipped)) {
          if (MODEL_FILES.includes(f)) this.emitFile({ type: 'asset', fileName: `models/default/${f}`, source: readFileSync(join(shipped, f)) });
        }
      }
    },
  };
}

export default defineConfig({
  root: WEB,
  // relative URLs: the app works at any path prefix
  base: './',
  publicDir: join(WEB, 'public'),
  plugins: [runtimeFiles()],
  worker: { format: 'es' },
  build: {
    outDir: join(REPO, 'dist-web'),
    emptyOutDir: true,
    minify: 'esbuild',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { index: join(WEB, 'index.html'), bench: join(WEB, 'bench.html') },
    },
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
