import type http from 'node:http';
import { logger } from '../config/logger';

/**
 * Stops an HTTP server gracefully: no new connections, idle keep-alive ones closed at once,
 * requests in flight given `graceMs` to finish (a command's own deadline is shorter), then
 * whatever is left is cut.
 */
export async function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([closed, late])) === 'late') {
    logger.warn({ graceMs }, 'requests still running after the grace period: closing them');
    server.closeAllConnections();
    await closed;
  }
  clearTimeout(timer);
}
