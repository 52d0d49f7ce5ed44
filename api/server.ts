import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { logger } from '../config/logger';
import { authenticate, hasRole, type TokenTable } from './auth';
import { HealthCheck, type HealthDeps } from './health';
import { type AppDeps, createAppRouter } from './router';
import type { ApiContext } from './trpc';

export interface ApiServerOptions {
  deps: AppDeps & HealthDeps;
  tokens: TokenTable;
  maxBodyBytes: number;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP server: tRPC under /trpc, and GET /healthz. */
export function createApiServer(options: ApiServerOptions): http.Server {
  const trpc = createHTTPHandler({
    router: createAppRouter(options.deps),
    basePath: '/trpc/',
    maxBodySize: options.maxBodyBytes,
    createContext: ({ req }): ApiContext => {
      const header = req.headers['x-correlation-id'];
      const correlationId =
        typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
      return { principal: authenticate(options.tokens, req.headers.authorization), correlationId };
    },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: error, path }, 'request failed');
    },
  });

  const health = new HealthCheck(options.deps);

  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/trpc/')) return trpc(req, res);
    if (req.method === 'GET' && (url === '/healthz' || url.startsWith('/healthz?'))) {
      // Anyone may ask whether the API is up; which server is down, and why, is for admins.
      const principal = authenticate(options.tokens, req.headers.authorization);
      const detailed = principal !== null && hasRole(principal, 'admin');
      health.report().then(
        (report) => {
          res.writeHead(report.status === 'ok' ? 200 : 503, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
          });
          res.end(JSON.stringify(detailed ? report : { status: report.status }));
        },
        (err) => {
          logger.error({ err }, 'health check failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: 'not found: the API is under /trpc/<procedure>, health at /healthz',
      }),
    );
  });
}

export async function listen(
  server: http.Server,
  port: number,
  host: string,
): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}
