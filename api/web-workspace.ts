import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** Where `vite build` puts the web workspace (scripts/build-web.sh). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

const NOT_BUILT =
  'the web workspace is not built: run `bash scripts/build-web.sh` (npm start does it)';

/**
 * Security headers on every answer, with a Content-Security-Policy that lets the workspace
 * run only its own bundle: no inline script anywhere for an injected string to become, no
 * framing (the Operations screen's Retry/Skip cannot be clickjacked), calls to this origin
 * only (the token goes nowhere else) and to the identity provider's token endpoint.
 * Helmet's middleware is built once here (@fastify/helmet built it again for every request,
 * measured at ~2 % of the API's CPU under the command benchmark).
 */
export function registerSecurityHeaders(
  app: FastifyInstance,
  /** Origins the page may fetch besides its own (the identity provider's token endpoint). */
  connectOrigins: () => string[] = () => [],
): void {
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", () => connectOrigins().join(' ')],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // TLS ends at the operator's proxy (docs/security.md, "Production settings"), which sets HSTS for its host.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined));
  });
}

/**
 * The built workspace at `/`: hashed files under assets/ cached for a year, everything else
 * (index.html) never, so a new build is picked up at once. Paths are resolved inside
 * web/dist only; anything else falls through to the API's 404.
 */
export async function registerWebWorkspace(
  app: FastifyInstance,
  root: string = WEB_DIST_DIR,
): Promise<void> {
  if (!existsSync(path.join(root, 'index.html'))) {
    app.get('/', async (_request, reply) => reply.code(404).type('text/plain').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    cacheControl: false,
    etag: true,
    lastModified: true,
    dotfiles: 'deny',
    setHeaders(res, file) {
      const hashed = path.relative(root, file).startsWith(`assets${path.sep}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-store');
    },
  });
}
