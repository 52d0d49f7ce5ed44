import { Runtime } from '@temporalio/worker';
import { logger } from '../config/logger';

/** Routes the Temporal SDK's logs into pino; its chatty info lines go to debug. */
export function installTemporalLogging(): void {
  Runtime.install({ logger: temporalLogger() });
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
