import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { config } from '../config/env';
import { logger } from '../config/logger';
import { authenticate, hasRole, type TokenTable } from './auth';
import { HealthCheck, type HealthDeps, type HealthReport } from './health';
import { answerClientErrors, trpcErrorBody } from './http-refusals';
import { InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';
import { projectionStatus } from './projection-status';
import { type AppDeps, createAppRouter } from './router';
import { serveWebApp } from './static-files';
import { tagCorrelationId, traced } from './tracing';
import type { ApiContext } from './trpc';

export interface ApiServerOptions {
  deps: AppDeps & HealthDeps;
  tokens: TokenTable;
  maxBodyBytes: number;
  /** Calls one batched request may carry; more is a 400. */
  maxBatchSize: number;
  /** Calls one token may have in flight; more are refused with 429 and Retry-After. */
  maxInflightPerToken: number;
  /** /healthz is unhealthy above this lag; HEALTH_MAX_LAG_SECONDS when not given. */
  healthMaxLagSeconds?: number;
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
      tagCorrelationId(correlationId);
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

  const health = new HealthCheck(options.deps, {
    maxLagSeconds: options.healthMaxLagSeconds ?? config().HEALTH_MAX_LAG_SECONDS,
    status: () => projectionStatus(options.deps.temporal, options.deps.pool),
  });
  const isProbe = (req: http.IncomingMessage, path: string) =>
    req.method === 'GET' && (req.url === path || req.url?.startsWith(`${path}?`));

  const server = http.createServer(
    traced((req, res) => {
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
      if (isProbe(req, '/livez')) {
        // Liveness: the process answers. No server is asked: restarting cannot fix them.
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ status: 'ok' }));
        return;
      }
      const healthz = isProbe(req, '/healthz');
      if (healthz || isProbe(req, '/readyz')) {
        // Anyone may ask whether the API is up; which server is down, and why, is for admins.
        const principal = authenticate(options.tokens, req.headers.authorization);
        const detailed = principal !== null && hasRole(principal, 'admin');
        health.report().then(
          (report) => {
            const answer = healthz ? report : readiness(report);
            res.writeHead(answer.status === 'ok' ? 200 : 503, {
              'content-type': 'application/json',
              'cache-control': 'no-store',
            });
            res.end(JSON.stringify(detailed ? answer : { status: answer.status }));
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
        trpcErrorBody(
          'NOT_FOUND',
          404,
          'not found: the workspace is at /, the API under /trpc/<procedure>, health at /healthz, /readyz and /livez',
          -32004,
        ),
      );
    }),
  );
  answerClientErrors(server);
  return server;
}

/**
 * Readiness for a load balancer: can this instance serve? Its servers must answer; a lagging
 * read model is not its fault and no other instance would do better, so it does not count.
 */
function readiness(report: HealthReport): HealthReport {
  const { projections: _notForReadiness, ...dependencies } = report;
  const ok = Object.values(report.dependencies).every((d) => d.ok);
  return { ...dependencies, status: ok ? 'ok' : 'degraded' };
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
