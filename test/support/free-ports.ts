import net from 'node:net';

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * The first of `count` free ports in a row whose partners `busOffset` above are free too (a
 * Redis Cluster node listens on its port and on port + 10000 for its bus).
 */
export async function freePortRun(count: number, busOffset = 10_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: count }, (_, i) => [base + i, base + i + busOffset]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} free ports in a row`);
}
