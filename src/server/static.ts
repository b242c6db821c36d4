/**
 * Static files for `ser serve --static DIR` (the web app built by Vite), written here rather than
 * taken from a plugin so that the path rules are explicit and tested:
 *
 * - the request path is taken from the raw request target (query and fragment dropped), percent-
 *   decoded once; a malformed escape → 400; a NUL byte or a backslash → 400;
 * - any `..` segment (after decoding, so `%2e%2e` and `%2F..` count) → 403, and dot-files /
 *   dot-folders (`.git`, `.env`) → 404;
 * - the file is found under the root with path.join (a leading `//` or an encoded absolute path
 *   stays under the root), then its real path (symlinks resolved) must lie inside the root's real
 *   path, else 403;
 * - a folder serves its index.html; only regular files are served.
 *
 * Content types come from the extension (application/wasm for .wasm, text/javascript for .js/.mjs,
 * ...; unknown → application/octet-stream). The caller adds the COOP/COEP headers.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
});

/** Content type for a file name by its extension (application/octet-stream when unknown). */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { ok: true; path: string; size: number; mtime: Date; contentType: string }
  | { ok: false; status: 400 | 403 | 404; code: string; message: string };

/** The path part of a raw request target ('/a/b?x' → '/a/b'; absolute-form 'http://h/a' → '/a'). */
function rawPathOf(target: string): string {
  let t = target;
  if (!t.startsWith('/')) {
    try {
      t = new URL(t).pathname;
    } catch {
      return '';
    }
  }
  const q = t.search(/[?#]/);
  return q >= 0 ? t.slice(0, q) : t;
}

/**
 * Maps a raw request target to a file under `rootReal` (the root's real path). Never returns a
 * path outside it.
 */
export async function lookupStatic(rootReal: string, target: string): Promise<StaticLookup> {
  const raw = rawPathOf(target);
  if (!raw.startsWith('/')) return { ok: false, status: 400, code: 'EBADPATH', message: 'malformed request path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, status: 400, code: 'EBADPATH', message: 'malformed percent-encoding in the request path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400, code: 'EBADPATH', message: 'NUL bytes and backslashes are not allowed in paths' };
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { ok: false, status: 403, code: 'EFORBIDDEN', message: "'..' is not allowed in paths" };
  const notFound: StaticLookup = { ok: false, status: 404, code: 'ENOTFOUND', message: `no such file: /${segments.join('/')}` };
  if (segments.some((s) => s.startsWith('.'))) return notFound;
  let path = join(rootReal, ...segments);
  const inside = (p: string) => p === rootReal || p.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
  if (!inside(path)) return { ok: false, status: 403, code: 'EFORBIDDEN', message: 'path outside the static folder' };
  try {
    let real = await realpath(path);
    if (!inside(real)) return { ok: false, status: 403, code: 'EFORBIDDEN', message: 'path outside the static folder' };
    let st = await stat(real);
    if (st.isDirectory()) {
      path = join(real, 'index.html');
      real = await realpath(path);
      if (!inside(real)) return { ok: false, status: 403, code: 'EFORBIDDEN', message: 'path outside the static folder' };
      st = await stat(real);
    }
    if (!st.isFile()) return notFound;
    return { ok: true, path: real, size: st.size, mtime: st.mtime, contentType: contentTypeFor(real) };
  } catch {
    return notFound;
  }
}
