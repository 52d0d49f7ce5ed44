import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import type * as AsyncHooks from '@opentelemetry/context-async-hooks';
import type * as Core from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Config, config } from '../config/env';
import { instrumentClients } from './client-instrumentation';

// The SDK and the OTLP exporter (with its protobuf and metrics code) take about a third of a
// second of CPU to load: loaded only when traces are on, not by every CLI and test process.
const load = createRequire(import.meta.url);

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
  const { BasicTracerProvider, BatchSpanProcessor } = load(
    '@opentelemetry/sdk-trace-base',
  ) as typeof TraceBase;
  const resources = load('@opentelemetry/resources') as typeof Resources;
  const resource = new resources.Resource({ 'service.name': c.OTEL_SERVICE_NAME });
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself.
  const processor =
    spanProcessor ??
    new BatchSpanProcessor(
      new (load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp).OTLPTraceExporter(),
    );
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const hooks = load('@opentelemetry/context-async-hooks') as typeof AsyncHooks;
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  const core = load('@opentelemetry/core') as typeof Core;
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  instrumentClients();
  installed = { resource, spanProcessor: processor, shutdown: () => provider.shutdown() };
  return installed;
}

/** The installed tracing, if traces are on. */
export function tracing(): Tracing | undefined {
  return installed;
}
