import { type AnyTRPCRouter, TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { trpcErrorBody } from './http-refusals';
import {
  answerCall,
  type CallerOptions,
  callerGone,
  procedureDefs,
  requestContext,
} from './procedure-call';
import { bodyInput, MalformedJsonBody, queryInput } from './rest-input';
import { inRequestContext } from './tracing';

export interface RestRouteOptions extends CallerOptions {
  router: AnyTRPCRouter;
}

interface RestRoute {
  procedure: string;
  type: 'query' | 'mutation';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify's spelling of the document's path: `{orderId}` as `:orderId`. */
  url: string;
  input: z.ZodType | undefined;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

function restRoutes(router: AnyTRPCRouter): RestRoute[] {
  return procedureDefs(router).flatMap(([procedure, def]) => {
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
  });
}

/**
 * The REST face of the API under /api (the routes /openapi.json describes), beside /trpc:
 * each route calls its procedure through the router, so auth, roles, the in-flight limit,
 * input schemas, command deadlines and idempotency are the procedures' own, and a refusal
 * is tRPC's error body with the same status. The body limit is the server's (413).
 */
export function registerRestRoutes(app: FastifyInstance, options: RestRouteOptions): void {
  const routes = restRoutes(options.router);
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
      inRequestContext(request.raw, async () =>
        answerCall(
          reply,
          {
            router: options.router,
            path: route.procedure,
            type: route.type,
            ctx: await requestContext(options, request, reply),
            signal: callerGone(reply),
            input: async () => {
              if (request.body instanceof MalformedJsonBody) {
                throw new TRPCError({ code: 'BAD_REQUEST', cause: request.body.error });
              }
              const params = request.params as Record<string, string>;
              return route.type === 'query'
                ? {
                    ...queryInput(
                      request.query as Record<string, string | string[] | undefined>,
                      route.input,
                    ),
                    ...params,
                  }
                : bodyInput(request.body, params);
            },
          },
          { envelope: (data) => data },
        ),
      );

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
