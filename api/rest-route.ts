import { randomUUID } from 'node:crypto';
import {
  type AnyTRPCRouter,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
} from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditLog } from '../eventstore';
import { logger } from '../runtime/logger';
import { type ApiKeyTable, authenticateCaller } from './api-keys';
import type { TokenTable } from './auth';
import { trpcErrorBody } from './http-refusals';
import { type InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';
import { bodyInput, MalformedJsonBody, queryInput } from './rest-input';
import { inRequestContext, tagCorrelationId } from './tracing';
import type { ApiContext, ApiMeta } from './trpc';

export interface RestRouteOptions {
  router: AnyTRPCRouter;
  tokens: TokenTable;
  /** Managed API keys, beside the static tokens. */
  apiKeys?: ApiKeyTable;
  /** Where admin actions are recorded. */
  audit?: AuditLog;
  /** Shared with the tRPC route: a token's calls in flight count on both. */
  inflight: InflightLimit;
}

interface RestRoute {
  procedure: string;
  type: 'query' | 'mutation';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify's spelling of the document's path: `{orderId}` as `:orderId`. */
  url: string;
  input: z.ZodType | undefined;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

function restRoutes(router: AnyTRPCRouter): RestRoute[] {
  return Object.entries(router._def.procedures as Record<string, unknown>).flatMap(
    ([procedure, p]) => {
      const def = (p as { _def: { meta?: ApiMeta; type: string; inputs: z.ZodType[] } })._def;
      const openapi = def.meta?.openapi;
      if (!openapi || (def.type !== 'query' && def.type !== 'mutation')) return [];
      return [
        {
          procedure,
          type: def.type,
          method: openapi.method,
          url: openapi.path.replace(/\{([^}]+)\}/g, ':$1'),
          input: def.inputs[0],
        },
      ];
    },
  );
}

/** Calls a procedure by its dotted name through a caller (the same middlewares as tRPC's route). */
function callProcedure(caller: unknown, name: string, input: unknown): Promise<unknown> {
  const fn = name
    .split('.')
    .reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], caller);
  return (fn as (input: unknown) => Promise<unknown>)(input);
}

/**
 * The REST face of the API under /api (the routes /openapi.json describes), beside /trpc:
 * each route calls its procedure through the router, so auth, roles, the in-flight limit,
 * input schemas, command deadlines and idempotency are the procedures' own, and a refusal
 * is tRPC's error body with the same status. The body limit is the server's (413).
 */
export function registerRestRoutes(app: FastifyInstance, options: RestRouteOptions): void {
  const routes = restRoutes(options.router);
  const createCaller = options.router.createCaller as (
    ctx: ApiContext,
    opts: { signal: AbortSignal },
  ) => unknown;
  void app.register(async (scope) => {
    // Only JSON; another Content-Type is Fastify's 415. Malformed JSON reaches the
    // procedure's call, which answers it as tRPC does (an issue at "(input)").
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
      if (text === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text as string));
      } catch (err) {
        done(null, new MalformedJsonBody(err as SyntaxError));
      }
    });

    const serve = (route: RestRoute) => (request: FastifyRequest, reply: FastifyReply) =>
      inRequestContext(request.raw, async () => {
        const header = request.headers['x-correlation-id'];
        const correlationId =
          typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
        tagCorrelationId(correlationId);
        const ctx: ApiContext = {
          principal: authenticateCaller(
            options.tokens,
            options.apiKeys,
            request.headers.authorization,
          ),
          ...(options.audit ? { audit: options.audit } : {}),
          correlationId,
          inflight: options.inflight,
          addResponseHeader: (name, value) => {
            const earlier = reply.getHeader(name);
            void reply.header(name, earlier ? `${String(earlier)}, ${value}` : value);
          },
        };
        // A caller that goes away cancels what its call waits for (read-your-writes waits).
        const gone = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) gone.abort();
        });
        const params = request.params as Record<string, string>;
        let input: unknown;
        try {
          if (request.body instanceof MalformedJsonBody) {
            throw new TRPCError({ code: 'BAD_REQUEST', cause: request.body.error });
          }
          input =
            route.type === 'query'
              ? {
                  ...queryInput(
                    request.query as Record<string, string | string[] | undefined>,
                    route.input,
                  ),
                  ...params,
                }
              : bodyInput(request.body, params);
          const data = await callProcedure(
            createCaller(ctx, { signal: gone.signal }),
            route.procedure,
            input,
          );
          return reply.code(200).type('application/json').send(JSON.stringify(data));
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          if (error.code === 'INTERNAL_SERVER_ERROR')
            logger.error({ err: error, path: route.procedure }, 'request failed');
          const shape = getTRPCErrorShape({
            config: options.router._def._config,
            error,
            type: route.type,
            path: route.procedure,
            input,
            ctx,
          }) as { data: { httpStatus: number } };
          if (error.code === 'TOO_MANY_REQUESTS')
            void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
          return reply
            .code(shape.data.httpStatus)
            .type('application/json')
            .send(JSON.stringify({ error: shape }));
        }
      });

    const methodsOf = new Map<string, Set<string>>();
    for (const route of routes) {
      scope.route({ method: route.method, url: route.url, handler: serve(route) });
      const served = methodsOf.get(route.url) ?? new Set<string>();
      served.add(route.method);
      if (route.method === 'GET') served.add('HEAD');
      methodsOf.set(route.url, served);
    }
    for (const [url, served] of methodsOf) {
      const allow = [...served]
        .filter((m) => m !== 'HEAD')
        .sort()
        .join(', ');
      scope.route({
        method: METHODS.filter((m) => !served.has(m)),
        url,
        handler: (request, reply) =>
          reply
            .code(405)
            .header('allow', allow)
            .type('application/json')
            .send(
              trpcErrorBody(
                'METHOD_NOT_SUPPORTED',
                405,
                `${request.method} is not served here: this route serves ${allow}`,
              ),
            ),
      });
    }
  });
}
