import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type pg from 'pg';

export interface HealthDeps {
  pool: pg.Pool;
  redis: Redis;
  es: EsClient;
  temporal: TemporalClient;
}

type Dependency = 'postgres' | 'redis' | 'elasticsearch' | 'temporal';

export interface DependencyHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<Dependency, DependencyHealth>;
}

/** How long one probe may take before its dependency counts as down. */
export const PROBE_TIMEOUT_MS = 2_000;
/** A report is reused for this long: a burst of hits costs one round of probes. */
export const REPORT_CACHE_MS = 1_000;

function timeout(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Health of the four servers, bounded and cheap however often it is asked:
 * - every probe gives up after PROBE_TIMEOUT_MS, so a report is ready within about 2 s;
 * - a probe's call still pending from an earlier report (a hung server, a pool with no free
 *   connection) is waited on again rather than sent again, so a hung PostgreSQL sees at
 *   most one `select 1` from here, not one per hit;
 * - concurrent callers share the report in flight, and a report serves REPORT_CACHE_MS.
 */
export class HealthCheck {
  private readonly pending = new Map<Dependency, Promise<unknown>>();
  private inFlight: Promise<HealthReport> | undefined;
  private last: { report: HealthReport; at: number } | undefined;

  constructor(private readonly deps: HealthDeps) {}

  report(): Promise<HealthReport> {
    if (this.last && Date.now() - this.last.at < REPORT_CACHE_MS)
      return Promise.resolve(this.last.report);
    this.inFlight ??= this.check().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async check(): Promise<HealthReport> {
    const { pool, redis, es, temporal } = this.deps;
    const [postgres, redisHealth, elasticsearch, temporalHealth] = await Promise.all([
      this.probe('postgres', () =>
        pool.query({ text: 'select 1', query_timeout: PROBE_TIMEOUT_MS } as pg.QueryConfig),
      ),
      this.probe('redis', () => redis.ping()),
      this.probe('elasticsearch', () =>
        es.cluster.health({ timeout: '1s' }, { requestTimeout: PROBE_TIMEOUT_MS, maxRetries: 0 }),
      ),
      this.probe('temporal', () =>
        temporal.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
          temporal.workflowService.getSystemInfo({}),
        ),
      ),
    ]);
    const dependencies = {
      postgres,
      redis: redisHealth,
      elasticsearch,
      temporal: temporalHealth,
    };
    const status = Object.values(dependencies).every((d) => d.ok) ? 'ok' : 'degraded';
    const report: HealthReport = { status, dependencies };
    this.last = { report, at: Date.now() };
    return report;
  }

  private async probe(name: Dependency, call: () => Promise<unknown>): Promise<DependencyHealth> {
    const started = performance.now();
    let attempt = this.pending.get(name);
    if (!attempt) {
      attempt = call().finally(() => this.pending.delete(name));
      // A rejection after this probe gave up is the next probe's business, never unhandled.
      attempt.catch(() => undefined);
      this.pending.set(name, attempt);
    }
    const limit = timeout(PROBE_TIMEOUT_MS);
    try {
      await Promise.race([attempt, limit.promise]);
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return {
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        error: (err as Error).message,
      };
    } finally {
      limit.cancel();
    }
  }
}
