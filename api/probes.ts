import type { FastifyInstance } from 'fastify';
import { logger } from '../runtime/logger';
import { type ApiKeyTable, authenticateCaller } from './api-keys';
import { hasRole, type TokenTable } from './auth';
import type { HealthCheck, HealthReport } from './health';

/**
 * Readiness for a load balancer: can this instance serve? Its servers must answer; a lagging
 * read model is not its fault and no other instance would do better, so it does not count.
 */
function readiness(report: HealthReport): HealthReport {
  const { projections: _notForReadiness, ...dependencies } = report;
  const ok = Object.values(report.dependencies).every((d) => d.ok);
  return { ...dependencies, status: ok ? 'ok' : 'degraded' };
}

/** GET /livez, /healthz and /readyz (HEAD too). */
export function registerProbes(
  app: FastifyInstance,
  health: HealthCheck,
  tokens: TokenTable,
  apiKeys?: ApiKeyTable,
): void {
  // Liveness: the process answers. No server is asked: restarting cannot fix them.
  app.get('/livez', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  for (const [path, answerOf] of [
    ['/healthz', (report: HealthReport) => report],
    ['/readyz', readiness],
  ] as const) {
    app.get(path, async (request, reply) => {
      // Anyone may ask whether the API is up; which server is down, and why, is for admins.
      const principal = authenticateCaller(tokens, apiKeys, request.headers.authorization);
      const detailed = principal !== null && hasRole(principal, 'admin');
      let report: HealthReport;
      try {
        report = await health.report();
      } catch (err) {
        logger.error({ err }, 'health check failed');
        throw err;
      }
      const answer = answerOf(report);
      return reply
        .code(answer.status === 'ok' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(detailed ? answer : { status: answer.status });
    });
  }
}
