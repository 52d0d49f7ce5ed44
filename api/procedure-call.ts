import { randomUUID } from 'node:crypto';
import {
  type AnyTRPCRouter,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
} from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuditLog } from '../eventstore';
import { logger } from '../runtime/logger';
import { type Authenticate, credentialOf } from './authenticate';
import { type InflightLimit, RETRY_AFTER_SECONDS } from './inflight-limit';
import { tagCorrelationId } from './tracing';
import type { ApiContext, ApiMeta } from './trpc';

// One procedure call for one HTTP request, as tRPC's own handler makes it (its middlewares,
// its error shapes, the input read only when the procedure asks for it, after its role
// check): the REST routes and the tRPC route's single JSON mutations both answer through it.

export interface CallerOptions {
  /** Static tokens, managed API keys and the identity provider's tokens, in that order. */
  authenticate: Authenticate;
  /** Where admin actions are recorded. */
  audit?: AuditLog;
  /** Calls in flight per token, shared by every route. */
  inflight: InflightLimit;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A procedure as the router holds it at run time (its types are per procedure). */
export interface ProcedureDef {
  type: string;
  meta?: ApiMeta;
  inputs: z.ZodType[];
}

/** Every procedure of the router by its dotted name. */
export function procedureDefs(router: AnyTRPCRouter): [string, ProcedureDef][] {
  return Object.entries(router._def.procedures as Record<string, unknown>).map(([name, p]) => [
    name,
    (p as { _def: ProcedureDef })._def,
  ]);
}

/** Who calls, the request's correlation id (the caller's when well-formed), and its limits. */
export async function requestContext(
  options: CallerOptions,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ApiContext> {
  const header = request.headers['x-correlation-id'];
  const correlationId =
    typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
  tagCorrelationId(correlationId);
  return {
    ...(await credentialOf(options.authenticate, request.headers.authorization)),
    ...(options.audit ? { audit: options.audit } : {}),
    correlationId,
    inflight: options.inflight,
    addResponseHeader: (name, value) => {
      const earlier = reply.getHeader(name);
      void reply.header(name, earlier ? `${String(earlier)}, ${value}` : value);
    },
  };
}

/** Aborted when the caller goes away unanswered: what its call waits for is cancelled. */
export function callerGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

export interface ProcedureCall {
  router: AnyTRPCRouter;
  /** The procedure's dotted name. */
  path: string;
  type: 'query' | 'mutation';
  ctx: ApiContext;
  /** The call's input, read once, when the procedure asks for it; a throw is the call's error. */
  input: () => Promise<unknown>;
  signal: AbortSignal;
}

export interface Answer {
  /** What a successful call's data is sent as (tRPC wraps it, REST sends it bare). */
  envelope: (data: unknown) => unknown;
  /** Headers every answer carries (a Content-Type here replaces Fastify's JSON one). */
  headers?: Record<string, string>;
}

/** Runs the call and answers it: its data as JSON, or tRPC's error body with its status. */
export async function answerCall(
  reply: FastifyReply,
  call: ProcedureCall,
  answer: Answer,
): Promise<FastifyReply> {
  void reply.type('application/json');
  for (const [name, value] of Object.entries(answer.headers ?? {})) void reply.header(name, value);
  // Fastify adds a charset to the Content-Type of a string it sends, not of bytes.
  const body = (json: string) => (answer.headers?.['content-type'] ? Buffer.from(json) : json);
  let input: unknown;
  // Read once: the procedure asks for its input, and the audit asks again.
  let read: Promise<unknown> | undefined;
  try {
    const data = await callTRPCProcedure({
      router: call.router,
      path: call.path,
      type: call.type,
      ctx: call.ctx,
      signal: call.signal,
      batchIndex: 0,
      getRawInput: () => {
        read ??= call.input().then((value) => {
          input = value;
          return value;
        });
        return read;
      },
    });
    return reply.code(200).send(body(JSON.stringify(answer.envelope(data))));
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    if (error.code === 'INTERNAL_SERVER_ERROR')
      logger.error({ err: error, path: call.path }, 'request failed');
    const shape = getTRPCErrorShape({
      config: call.router._def._config,
      error,
      type: call.type,
      path: call.path,
      input,
      ctx: call.ctx,
    }) as { data: { httpStatus: number } };
    if (error.code === 'TOO_MANY_REQUESTS')
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.code(shape.data.httpStatus).send(body(JSON.stringify({ error: shape })));
  }
}
