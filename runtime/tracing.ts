import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type Config, config } from '../config/env';
import { instrumentClients } from './client-instrumentation';

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** On when an OTLP endpoint is set (or OTEL_TRACES_EXPORTER=otlp), unless disabled. */
export function tracingWanted(c: Config): boolean {
  if (c.OTEL_SDK_DISABLED || c.OTEL_TRACES_EXPORTER === 'none') return false;
  return (
    c.OTEL_TRACES_EXPORTER === 'otlp' ||
    c.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
    c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined
  );
}

/**
 * Installs the process' tracer provider, once, before any client or worker is made (they
 * pick their interceptors from `tracing()`). `spanProcessor` replaces the OTLP exporter
 * (tests use an in-memory one). Returns undefined when traces are off.
 */
export function installTracing(spanProcessor?: SpanProcessor): Tracing | undefined {
  if (installed) return installed;
  const c = config();
  if (!spanProcessor && !tracingWanted(c)) return undefined;
  const resource = new Resource({ 'service.name': c.OTEL_SERVICE_NAME });
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself.
  const processor = spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  instrumentClients();
  installed = { resource, spanProcessor: processor, shutdown: () => provider.shutdown() };
  return installed;
}

/** The installed tracing, if traces are on. */
export function tracing(): Tracing | undefined {
  return installed;
}
