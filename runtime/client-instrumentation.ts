import { createRequire } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

let instrumented = false;

/**
 * PostgreSQL and Redis calls as spans of the trace they run in (the Elasticsearch client
 * makes its own spans). Only calls inside a trace are recorded: a pool's health probe does
 * not start traces of its own. The hooks patch a module when it is required; this process
 * may have loaded pg and ioredis already, as ES modules, so they are required here once more,
 * which patches their shared prototypes (clients made before included).
 */
export function instrumentClients(): void {
  if (instrumented) return;
  instrumented = true;
  registerInstrumentations({
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  const require = createRequire(import.meta.url);
  require('pg');
  require('ioredis');
}
