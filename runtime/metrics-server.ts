import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { config } from '../config/env';
import { logger } from './logger';
import { metricsRegistry } from './metrics';

export interface MetricsServer {
  /** undefined when METRICS_ENABLED=false. */
  url: string | undefined;
  close(): Promise<void>;
}

/**
 * `GET /metrics` in Prometheus' text format, on a port of its own: the API port may face
 * the world, the metrics port stays on 127.0.0.1 unless METRICS_HOST says otherwise.
 */
export async function startMetricsServer(port: number, host: string): Promise<MetricsServer> {
  if (!config().METRICS_ENABLED) return { url: undefined, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text);
      },
      (err: unknown) => {
        logger.error({ err }, 'metrics could not be collected');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
