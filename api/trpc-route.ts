import { text } from 'node:stream/consumers';
import { TRPCError } from '@trpc/server';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { logger } from '../runtime/logger';
import { trpcErrorBody } from './http-refusals';
import { RETRY_AFTER_SECONDS } from './inflight-limit';
import {
  answerCall,
  type CallerOptions,
  callerGone,
  procedureDefs,
  requestContext,
} from './procedure-call';
import type { AppRouter } from './router';
import { inRequestContext } from './tracing';

export interface TrpcRouteOptions extends CallerOptions {
  router: AppRouter;
  maxBodyBytes: number;
  maxBatchSize: number;
}

/** The headers tRPC's handler answers a call with (its answer depends on trpc-accept). */
const TRPC_HEADERS = { 'content-type': 'application/json', vary: 'trpc-accept, accept' };

/** How many calls a tRPC request carries: `/trpc/a,b,c?batch=1` is three. */
function batchedCalls(url: string): number {
  const [path = '', query = ''] = url.split('?', 2);
  if (!new URLSearchParams(query).has('batch')) return 1;
  return path.slice('/trpc/'.length).split(',').length;
}

/** A request's whole body, as JSON: a malformed one is refused as tRPC's handler refuses it. */
async function jsonBody(request: FastifyRequest): Promise<unknown> {
  const body = await text(request.raw).catch((cause: unknown) => {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'the request body ended early', cause });
  });
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: (cause as Error).message, cause });
  }
}

/**
 * The API under /trpc/<procedure>, served by tRPC's Fastify handler. Bodies reach tRPC
 * unread whatever their Content-Type, so tRPC decides on size (API_MAX_BODY_BYTES),
 * malformed JSON and media types, and answers in its own shape. A single JSON mutation of a
 * known size (every command) is called directly instead, as the REST routes call theirs,
 * and answered identically: tRPC's handler turns each request into a fetch Request and
 * back, ~0.3 ms of the API's thread per call at load (BENCHMARKS.md, "The tRPC route's
 * direct calls").
 */
export function registerTrpcRoute(app: FastifyInstance, options: TrpcRouteOptions): void {
  const mutations = new Set(
    procedureDefs(options.router)
      .filter(([, def]) => def.type === 'mutation')
      .map(([path]) => path),
  );
  /** Not batched, streamed or chunked, not larger than the body limit: what tRPC would read whole. */
  const isDirect = (request: FastifyRequest, path: string): boolean => {
    if (request.method !== 'POST' || request.url.includes('?') || !mutations.has(path))
      return false;
    if (request.headers['trpc-accept'] !== undefined) return false;
    const length = Number(request.headers['content-length'] ?? Number.NaN);
    if (!(length <= options.maxBodyBytes)) return false;
    const type = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
    return type === 'application/json';
  };
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
      inRequestContext(request.raw, async () => {
        const ctx = await requestContext(options, request, reply);
        const path = (request.params as { path: string }).path;
        if (isDirect(request, path)) {
          return answerCall(
            reply,
            {
              router: options.router,
              path,
              type: 'mutation',
              ctx,
              signal: callerGone(reply),
              input: () => jsonBody(request),
            },
            { envelope: (data) => ({ result: { data } }), headers: TRPC_HEADERS },
          );
        }
        return fastifyRequestHandler({
          router: options.router,
          req: request,
          res: reply,
          path,
          maxBodySize: options.maxBodyBytes,
          maxBatchSize: options.maxBatchSize,
          responseMeta: ({ errors }) =>
            errors.some((e) => e.code === 'TOO_MANY_REQUESTS')
              ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
              : {},
          createContext: async () => ctx,
          onError: ({ error, path }) => {
            if (error.code === 'INTERNAL_SERVER_ERROR')
              logger.error({ err: error, path }, 'request failed');
          },
        });
      }),
    );
  });
}
