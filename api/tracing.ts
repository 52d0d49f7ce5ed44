import type http from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracing } from '../config/tracing';

const tracer = trace.getTracer('order-reporting-api');

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * With traces on, each HTTP request is the root span of its trace: what it does (the
 * Temporal calls, and through them the workflow and its activities) runs inside it.
 */
export function traced(handler: Handler): Handler {
  return (req, res) => {
    if (!tracing()) return handler(req, res);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const span = tracer.startSpan(`${req.method} ${path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method ?? '', 'url.path': path },
    });
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), () => handler(req, res));
  };
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
