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

export interface DependencyHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<'postgres' | 'redis' | 'elasticsearch' | 'temporal', DependencyHealth>;
}

const TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<DependencyHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)),
          TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: (err as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every dependency in parallel; the API is healthy only if all answer. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const [postgres, redis, elasticsearch, temporal] = await Promise.all([
    probe(() => deps.pool.query('select 1')),
    probe(() => deps.redis.ping()),
    probe(() => deps.es.cluster.health({ timeout: '1s' })),
    probe(() => deps.temporal.workflowService.getSystemInfo({})),
  ]);
  const dependencies = { postgres, redis, elasticsearch, temporal };
  const status = Object.values(dependencies).every((d) => d.ok) ? 'ok' : 'degraded';
  return { status, dependencies };
}
