import { randomUUID } from 'node:crypto';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../eventstore';
import { logger } from '../runtime/logger';
import { type ApiKeyTable, authenticateCaller } from './api-keys';
import type { TokenTable } from './auth';
import { trpcErrorBody } from './http-refusals';
import { type InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';
import type { AppRouter } from './router';
import { inRequestContext, tagCorrelationId } from './tracing';
import type { ApiContext } from './trpc';

export interface TrpcRouteOptions {
  router: AppRouter;
  tokens: TokenTable;
  /** Managed API keys, beside the static tokens. */
  apiKeys?: ApiKeyTable;
  /** Where admin actions are recorded. */
  audit?: AuditLog;
  maxBodyBytes: number;
  maxBatchSize: number;
  /** Calls in flight per token, shared with the REST routes. */
  inflight: InflightLimit;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** How many calls a tRPC request carries: `/trpc/a,b,c?batch=1` is three. */
function batchedCalls(url: string): number {
  const [path = '', query = ''] = url.split('?', 2);
  if (!new URLSearchParams(query).has('batch')) return 1;
  return path.slice('/trpc/'.length).split(',').length;
}

/**
 * The API under /trpc/<procedure>, served by tRPC's Fastify handler. Bodies reach tRPC
 * unread whatever their Content-Type, so tRPC decides on size (API_MAX_BODY_BYTES),
 * malformed JSON and media types, and answers in its own shape.
 */
export function registerTrpcRoute(app: FastifyInstance, options: TrpcRouteOptions): void {
  void app.register(async (scope) => {
    // tRPC reads the body itself, and only when a procedure needs its input: a caller
    // without a valid token is refused (401) before its body is read, whatever its size.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, _payload, done) => done(null, request.raw));
    // tRPC serves queries over GET and mutations over POST; any other method (TRACE, which
    // its request conversion refuses with a TypeError, OPTIONS, PUT, …) is refused here.
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'POST') return;
      await reply
        .code(405)
        .header('allow', 'GET, POST')
        .type('application/json')
        .send(
          trpcErrorBody(
            'METHOD_NOT_SUPPORTED',
            405,
            `${request.method} is not served here: queries are GET /trpc/<procedure>?input=…, mutations POST /trpc/<procedure>`,
          ),
        );
    });
    // Before the body is read: a batch over the cap runs none of its calls.
    scope.addHook('onRequest', async (request, reply) => {
      const calls = batchedCalls(request.url);
      if (calls <= options.maxBatchSize) return;
      await reply
        .code(400)
        .type('application/json')
        .send(
          trpcErrorBody(
            'BAD_REQUEST',
            400,
            `a batched request may carry at most ${options.maxBatchSize} calls (API_MAX_BATCH_SIZE); this one has ${calls}: split it`,
          ),
        );
    });
    scope.all('/trpc/:path', (request, reply) =>
      inRequestContext(request.raw, () =>
        fastifyRequestHandler({
          router: options.router,
          req: request,
          res: reply,
          path: (request.params as { path: string }).path,
          maxBodySize: options.maxBodyBytes,
          maxBatchSize: options.maxBatchSize,
          responseMeta: ({ errors }) =>
            errors.some((e) => e.code === 'TOO_MANY_REQUESTS')
              ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
              : {},
          createContext: ({ req, res }): ApiContext => {
            const header = req.headers['x-correlation-id'];
            const correlationId =
              typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
            tagCorrelationId(correlationId);
            return {
              principal: authenticateCaller(
                options.tokens,
                options.apiKeys,
                req.headers.authorization,
              ),
              ...(options.audit ? { audit: options.audit } : {}),
              correlationId,
              inflight: options.inflight,
              addResponseHeader: (name, value) => {
                const earlier = res.getHeader(name);
                res.header(name, earlier ? `${String(earlier)}, ${value}` : value);
              },
            };
          },
          onError: ({ error, path }) => {
            if (error.code === 'INTERNAL_SERVER_ERROR')
              logger.error({ err: error, path }, 'request failed');
          },
        }),
      ),
    );
  });
}
