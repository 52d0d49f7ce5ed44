import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { tracing } from '../runtime/tracing';

/**
 * With traces on: activity spans (children of the workflow's) and the sink the workflow
 * interceptors export their spans through. Nothing when traces are off.
 */
export function tracedWorkerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const t = tracing();
  if (!t) return {};
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(t.spanProcessor, t.resource) },
  };
}
