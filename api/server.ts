import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { logger } from '../config/logger';
import { authenticate, hasRole, type TokenTable } from './auth';
import { HealthCheck, type HealthDeps } from './health';
import { InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';
import { type AppDeps, createAppRouter } from './router';
import { serveWebApp } from './static-files';
import type { ApiContext } from './trpc';

export interface ApiServerOptions {
  deps: AppDeps & HealthDeps;
  tokens: TokenTable;
  maxBodyBytes: number;
  /** Calls one batched request may carry; more is a 400. */
  maxBatchSize: number;
  /** Calls one token may have in flight; more are refused with 429 and Retry-After. */
  maxInflightPerToken: number;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How many calls a tRPC request carries: `/trpc/a,b,c?batch=1` is three. */
function batchedCalls(url: string): number {
  const [path = '', query = ''] = url.split('?', 2);
  if (!new URLSearchParams(query).has('batch')) return 1;
  return path.slice('/trpc/'.length).split(',').length;
}

/** The HTTP server: tRPC under /trpc, and GET /healthz. */
export function createApiServer(options: ApiServerOptions): http.Server {
  const inflight = new InflightLimit(options.maxInflightPerToken);
  const trpc = createHTTPHandler({
    router: createAppRouter(options.deps),
    basePath: '/trpc/',
    maxBodySize: options.maxBodyBytes,
    maxBatchSize: options.maxBatchSize,
    responseMeta: ({ errors }) =>
      errors.some((e) => e.code === 'TOO_MANY_REQUESTS')
        ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
        : {},
    createContext: ({ req }): ApiContext => {
      const header = req.headers['x-correlation-id'];
      const correlationId =
        typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
      return {
        principal: authenticate(options.tokens, req.headers.authorization),
        correlationId,
        inflight,
      };
    },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: error, path }, 'request failed');
    },
  });

  const health = new HealthCheck(options.deps);

  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/trpc/')) {
      const calls = batchedCalls(url);
      if (calls > options.maxBatchSize) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: `a batched request may carry at most ${options.maxBatchSize} calls (API_MAX_BATCH_SIZE); this one has ${calls}: split it`,
              code: -32600,
              data: { code: 'BAD_REQUEST', httpStatus: 400 },
            },
          }),
        );
        return;
      }
      return trpc(req, res);
    }
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
    if (serveWebApp(req, res)) return;
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
