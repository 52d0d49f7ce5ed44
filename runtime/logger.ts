import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import { config } from '../config/env';

/** The active span's trace and span ids for a log line (none when traces are off). */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/** Structured logs, one JSON line per event. */
export const logger = pino({
  level: config().LOG_LEVEL,
  base: { service: 'order-reporting' },
  // With traces on, a line logged inside a span names it, so a log line leads to its trace.
  mixin: traceFields,
});
