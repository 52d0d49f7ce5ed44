import type http from 'node:http';
import {
  type Context,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { tracing } from '../runtime/tracing';

const tracer = trace.getTracer('order-reporting-api');

const requestContexts = new WeakMap<http.IncomingMessage, Context>();

/**
 * With traces on, each HTTP request is the root span of its trace: what it does (the
 * Temporal calls, and through them the workflow and its activities) runs inside it.
 */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (!tracing()) return done();
    const path = request.url.split('?', 1)[0] ?? '/';
    const span = tracer.startSpan(`${request.method} ${path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': path },
    });
    reply.raw.once('close', () => {
      span.setAttribute('http.response.status_code', reply.raw.statusCode);
      if (reply.raw.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const ctx = trace.setSpan(context.active(), span);
    requestContexts.set(request.raw, ctx);
    context.with(ctx, done);
  });
}

/**
 * Runs `fn` in the request's trace context: a handler called back from reading the body
 * runs in the socket's context, where the request's span is not active.
 */
export function inRequestContext<T>(req: http.IncomingMessage, fn: () => T): T {
  const ctx = requestContexts.get(req);
  return ctx ? context.with(ctx, fn) : fn();
}

/** Tags the request's span with the correlation id its logs and events carry. */
export function tagCorrelationId(correlationId: string): void {
  trace.getActiveSpan()?.setAttribute('app.correlation_id', correlationId);
}

/**
 * The active span as a W3C traceparent, when traces are on. A command carries it into its
 * events' metadata, so the projector batch that later carries those events links back to
 * the request (the batch runs in the projector's own trace).
 */
export function activeTraceparent(): { traceparent?: string } {
  if (!tracing()) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent } : {};
}
