// A webhook receiver for the benchmarks, in a process of its own so that taking hundreds of
// deliveries a second costs the load generator nothing. Answers 204 at once; counts first
// arrivals per path (a repeat `webhook-id` is a retry) with each one's lag (arrival minus the
// event's time). GET /stats/<name> answers { count, lagsMs, lastAt }; prints its port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Hook {
  ids: Set<string>;
  lagsMs: number[];
  lastAt: number;
}
const hooks = new Map<string, Hook>();
const epochMs = () => performance.timeOrigin + performance.now();

const server = http.createServer((req, res) => {
  const name = (req.url ?? '/').slice(1);
  if (req.method === 'GET' && name.startsWith('stats/')) {
    const hook = hooks.get(name.slice('stats/'.length));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        count: hook?.ids.size ?? 0,
        lagsMs: hook?.lagsMs ?? [],
        lastAt: hook?.lastAt ?? 0,
      }),
    );
    return;
  }
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c.toString();
  });
  req.on('end', () => {
    const now = epochMs();
    const hook = hooks.get(name) ?? { ids: new Set<string>(), lagsMs: [], lastAt: now };
    hooks.set(name, hook);
    const id = String(req.headers['webhook-id']);
    if (!hook.ids.has(id)) {
      hook.ids.add(id);
      hook.lagsMs.push(now - Date.parse((JSON.parse(body) as { timestamp: string }).timestamp));
      hook.lastAt = now;
    }
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`receiver ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
