import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from '../errors.js';

/**
 * Where `npm run build:console` (run by `prepare`, so by `npm ci`) writes the console: the
 * same folder seen from src/server/routes (tsx) and from dist/server/routes (compiled).
 */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names files under assets/ by content hash, so they never change: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The shell: only same-origin scripts and API calls; React's style props and Chart.js need inline styles. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file under `root` a console path names, or null when it would leave the folder. */
export function resolveAsset(root: string, rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = normalize(join(root, decoded));
  return path.startsWith(root.endsWith(sep) ? root : root + sep) ? path : null;
}

async function sendIndex(reply: FastifyReply, root: string): Promise<FastifyReply> {
  const index = join(root, 'index.html');
  if (!(await isFile(index))) {
    return sendError(reply, 'NOT_FOUND', 'the console is not built: run `npm run build:console` (npm ci runs it through the prepare script), then restart the server', { path: root });
  }
  return reply.type(TYPES['.html']!).header('cache-control', 'no-cache').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(await readFile(index));
}

/**
 * The console at /console: the built files, and index.html for every other path so the
 * console's own routes survive a reload. The shell is public; its data comes through the
 * API with the user's key, under the API's access control.
 */
export function consoleRoutes(app: FastifyInstance, root: string = CONSOLE_ROOT): void {
  // Public on servers that check access per route (config.access); ignored where none does.
  const open = { config: { access: 'public' } } as object;
  app.get('/console', open, async (_request, reply) => reply.redirect('/console/', 301));
  app.get('/console/*', open, async (request, reply) => {
    const rel = (request.params as { '*': string })['*'].replace(/\?.*$/, '');
    if (rel === '' || rel === 'index.html') return sendIndex(reply, root);
    const path = resolveAsset(root, rel);
    if (path === null) return sendError(reply, 'NOT_FOUND', 'no such console file');
    if (await isFile(path)) {
      const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
      const cache = rel.startsWith('assets/') ? IMMUTABLE : 'no-cache';
      return reply.type(type).header('cache-control', cache).header('x-content-type-options', 'nosniff').send(await readFile(path));
    }
    // A missing hashed file is a stale page asking for an old build: a 404, not the shell.
    if (rel.startsWith('assets/') || extname(rel) !== '') return sendError(reply, 'NOT_FOUND', `no console file ${rel}`);
    return sendIndex(reply, root);
  });
}
