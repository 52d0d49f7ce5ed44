import { createRequire } from 'node:module';
import type * as Instrumentation from '@opentelemetry/instrumentation';
import type * as IORedisInstrumentation from '@opentelemetry/instrumentation-ioredis';
import type * as PgInstrumentation from '@opentelemetry/instrumentation-pg';

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
  // Loaded here, with traces on only (tracing.ts): a tenth of a second at every start otherwise.
  const require = createRequire(import.meta.url);
  const { registerInstrumentations } =
    require('@opentelemetry/instrumentation') as typeof Instrumentation;
  const pg = require('@opentelemetry/instrumentation-pg') as typeof PgInstrumentation;
  const ioredis =
    require('@opentelemetry/instrumentation-ioredis') as typeof IORedisInstrumentation;
  registerInstrumentations({
    instrumentations: [
      new pg.PgInstrumentation({ requireParentSpan: true }),
      new ioredis.IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  require('pg');
  require('ioredis');
}
