import { Runtime, type TelemetryOptions } from '@temporalio/worker';
import { config } from '../config/env';
import { logger } from '../runtime/logger';

/**
 * The SDK runtime's own metrics (`temporal_*`: task slots, poll and schedule latencies,
 * sticky cache) served by the runtime itself at `http://<bindAddress>/metrics`.
 */
export function temporalMetricsTelemetry(bindAddress: string): TelemetryOptions {
  return { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } };
}

/**
 * Routes the Temporal SDK's logs into pino (its chatty info lines go to debug) and, unless
 * METRICS_ENABLED is false or TEMPORAL_METRICS_PORT is 0, exports its runtime metrics on METRICS_HOST.
 */
export function installTemporalLogging(): void {
  const { METRICS_ENABLED, METRICS_HOST, TEMPORAL_METRICS_PORT } = config();
  Runtime.install({
    logger: temporalLogger(),
    ...(METRICS_ENABLED && TEMPORAL_METRICS_PORT > 0
      ? { telemetryOptions: temporalMetricsTelemetry(`${METRICS_HOST}:${TEMPORAL_METRICS_PORT}`) }
      : {}),
  });
}

function temporalLogger() {
  const child = logger.child({ component: 'temporal-sdk' });
  return {
    log: (level: string, message: string, meta?: Record<string, unknown>) => {
      const l = level.toLowerCase();
      if (l === 'error') child.error(meta ?? {}, message);
      else if (l === 'warn') child.warn(meta ?? {}, message);
      else child.debug(meta ?? {}, message);
    },
    trace: (m: string, meta?: Record<string, unknown>) => child.trace(meta ?? {}, m),
    debug: (m: string, meta?: Record<string, unknown>) => child.debug(meta ?? {}, m),
    info: (m: string, meta?: Record<string, unknown>) => child.debug(meta ?? {}, m),
    warn: (m: string, meta?: Record<string, unknown>) => child.warn(meta ?? {}, m),
    error: (m: string, meta?: Record<string, unknown>) => child.error(meta ?? {}, m),
  };
}
