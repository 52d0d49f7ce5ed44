import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `vite build` puts the web workspace (scripts/build-web.sh). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * Serves the built web workspace for GET/HEAD of `/` and `/assets/*`. Answers false when
 * the request is not for it, so the caller can go on to its 404. Hashed assets are cached
 * for a year; index.html never, so a new build is picked up at once.
 */
export function serveWebApp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string = WEB_DIST_DIR,
): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = decodeURIComponent((req.url ?? '/').split('?', 1)[0] ?? '/');
  const isIndex = pathname === '/' || pathname === '/index.html';
  if (!isIndex && !pathname.startsWith('/assets/')) return false;
  const file = path.resolve(root, isIndex ? 'index.html' : `.${pathname}`);
  if (!file.startsWith(path.resolve(root) + path.sep)) return false;
  stat(file).then(
    (info) => {
      if (!info.isFile()) return notBuilt(res, isIndex);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': isIndex ? 'no-store' : 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    },
    () => notBuilt(res, isIndex),
  );
  return true;
}

function notBuilt(res: http.ServerResponse, isIndex: boolean): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(
    isIndex
      ? 'the web workspace is not built: run `bash scripts/build-web.sh` (npm start does it)'
      : 'not found',
  );
}
