import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import type pg from 'pg';
import type { RedisClient } from '../projections/redis';
import type { ReadModelStatus } from './projection-status';

export interface HealthDeps {
  pool: pg.Pool;
  redis: RedisClient;
  es: EsClient;
  temporal: TemporalClient;
}

type Dependency = 'postgres' | 'redis' | 'elasticsearch' | 'temporal';

/** The projections' side of health: unhealthy when one lags or has parked orders. */
export interface ProjectionHealthSource {
  /** A read model whose oldest unprojected event is older than this is unhealthy. */
  maxLagSeconds: number;
  status(): Promise<ReadModelStatus[]>;
}

export interface ProjectionHealth {
  ok: boolean;
  latencyMs: number;
  /** Why the projections are unhealthy, one line per read model (or why unknown). */
  problems: string[];
  readModels: Pick<
    ReadModelStatus,
    'readModel' | 'lagEvents' | 'lagSeconds' | 'retrying' | 'failed'
  >[];
}

export interface DependencyHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<Dependency, DependencyHealth>;
  /** Present when the check watches the projections (the API's /healthz does). */
  projections?: ProjectionHealth;
}

/** What a read model's status says is wrong with it, if anything. */
export function projectionProblems(statuses: ReadModelStatus[], maxLagSeconds: number): string[] {
  const problems: string[] = [];
  for (const s of statuses) {
    if (s.lagSeconds > maxLagSeconds) {
      problems.push(
        `${s.readModel} lags ${s.lagSeconds} s (${s.lagEvents} events) behind the event store, more than ${maxLagSeconds} s`,
      );
    }
    if (s.failed > 0) {
      problems.push(
        `${s.readModel} has ${s.failed} parked order(s): ProjectionStatus = "${s.readModel}:failed"`,
      );
    }
  }
  return problems;
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
  private readonly pending = new Map<Dependency | 'projections', Promise<unknown>>();
  private inFlight: Promise<HealthReport> | undefined;
  private last: { report: HealthReport; at: number } | undefined;

  constructor(
    private readonly deps: HealthDeps,
    private readonly projections?: ProjectionHealthSource,
  ) {}

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
    const [postgres, redisHealth, elasticsearch, temporalHealth, projections] = await Promise.all([
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
      this.checkProjections(),
    ]);
    const dependencies = {
      postgres,
      redis: redisHealth,
      elasticsearch,
      temporal: temporalHealth,
    };
    const ok = Object.values(dependencies).every((d) => d.ok) && (projections?.ok ?? true);
    const report: HealthReport = {
      status: ok ? 'ok' : 'degraded',
      dependencies,
      ...(projections ? { projections } : {}),
    };
    this.last = { report, at: Date.now() };
    return report;
  }

  private async checkProjections(): Promise<ProjectionHealth | undefined> {
    const source = this.projections;
    if (!source) return undefined;
    const { value: statuses, ...health } = await this.probeValue('projections', () =>
      source.status(),
    );
    if (!health.ok || !statuses) {
      return {
        ok: false,
        latencyMs: health.latencyMs,
        problems: [`projection status unknown: ${health.error}`],
        readModels: [],
      };
    }
    const problems = projectionProblems(statuses, source.maxLagSeconds);
    return {
      ok: problems.length === 0,
      latencyMs: health.latencyMs,
      problems,
      readModels: statuses.map(({ readModel, lagEvents, lagSeconds, retrying, failed }) => ({
        readModel,
        lagEvents,
        lagSeconds,
        retrying,
        failed,
      })),
    };
  }

  private async probe(name: Dependency, call: () => Promise<unknown>): Promise<DependencyHealth> {
    // What a server answered is no one's business here: only whether and how fast.
    const { value: _answer, ...health } = await this.probeValue(name, call);
    return health;
  }

  private async probeValue<T>(
    name: Dependency | 'projections',
    call: () => Promise<T>,
  ): Promise<DependencyHealth & { value?: T }> {
    const started = performance.now();
    let attempt = this.pending.get(name) as Promise<T> | undefined;
    if (!attempt) {
      attempt = call().finally(() => this.pending.delete(name));
      // A rejection after this probe gave up is the next probe's business, never unhandled.
      attempt.catch(() => undefined);
      this.pending.set(name, attempt);
    }
    const limit = timeout(PROBE_TIMEOUT_MS);
    try {
      const value = await Promise.race([attempt, limit.promise]);
      return { ok: true, latencyMs: Math.round(performance.now() - started), value };
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
