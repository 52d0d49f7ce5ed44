import { config } from '../config/env';
import { startMetricsServer } from '../runtime/metrics-server';
import { type Connections, openConnections, openPool } from '../temporal/connections';
import { OidcVerifier, oidcSettingsOf } from './oidc';
import { createApiServer } from './server';
import { loadTokens } from './tokens';

export interface RunningApi {
  url: string;
  /** `/metrics` of this process (with `npm start`, the workers' series too). */
  /** undefined when METRICS_ENABLED=false. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Opens the connections and serves the API on API_HOST:API_PORT. No server has to be up:
 * reads answer from what is reachable, commands answer 503 until Temporal is, and
 * /healthz says which dependency is missing.
 */
export async function startApi(
  print: (line: string) => void,
  shared?: Connections,
): Promise<RunningApi> {
  const c = config();
  const tokens = loadTokens(print);
  const oidcSettings = oidcSettingsOf(c);
  const oidc = oidcSettings ? new OidcVerifier(oidcSettings) : undefined;
  // Asked now so the first person's request does not wait for it, and a wrong issuer shows
  // in the log at start; the API starts either way (static tokens need no provider).
  oidc?.discover().catch(() => undefined);
  if (oidcSettings) print(`People sign in through ${oidcSettings.issuer} (OIDC_ISSUER)`);
  // Sharing a worker's connections (`npm start`), the API still gets a pool of its own: a
  // worker's statements may run for minutes, the API's must answer within its deadlines.
  const apiPool = shared ? openPool('api') : undefined;
  const connections = shared
    ? { ...shared, pool: apiPool ?? shared.pool }
    : await openConnections('api');
  const server = await createApiServer({
    deps: {
      ...connections,
      esPrefix: c.ES_INDEX_PREFIX,
      redisPrefix: c.REDIS_KEY_PREFIX,
      reportTimeZone: c.REPORT_TIMEZONE,
    },
    tokens,
    ...(oidc ? { oidc } : {}),
    maxBodyBytes: c.API_MAX_BODY_BYTES,
    maxBatchSize: c.API_MAX_BATCH_SIZE,
    maxInflightPerToken: c.API_MAX_INFLIGHT_PER_TOKEN,
  });
  const address = await server.listen(c.API_PORT, c.API_HOST);
  const metrics = await startMetricsServer(c.METRICS_PORT, c.METRICS_HOST);
  return {
    url: `http://${address.address}:${address.port}`,
    metricsUrl: metrics.url,
    async stop() {
      await server.close(c.API_SHUTDOWN_GRACE_MS);
      await metrics.close();
      if (!shared) await connections.close();
      await apiPool?.end();
    },
  };
}
