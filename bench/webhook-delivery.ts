// What webhook subscriptions deliver and cost, against `npm start`'s process (API and every
// worker in one process) and a receiver in this process answering 204 at once:
// - the command path with no subscription, then with 10 subscribed to every event: commands/s
//   and latency side by side, and during the second window the deliveries/s and each event's
//   lag (arrival minus the event's time);
// - throughput: every event of the store replayed to 1 subscription, then to 10 at once.
//
//   npm run bench -- webhook-delivery [--quick] [--seconds 30] [--clients 10]
//
// Data: orders_bench_hooks, `benchhooks-`, Redis db 6, task queues `benchhooks-…`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOrdersClient } from '../api/client';
import { BENCH_TOKEN, startApp } from './harness/app-process';
import { runCleanups } from './harness/cleanups';
import { commandLane } from './harness/commands';
import { appEnvironment, WEBHOOK_DATA } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { closedLoop, epochMs, summarizeLoad } from './harness/load';
import { fmtAll, printTable, progress, writeResults } from './harness/output';
import { openDatabase, resetDataSet } from './harness/reset-data';
import { round, summarize } from './harness/stats';

const flags = readFlags(['seconds', 'clients']);
const settings = {
  seconds: flags.int('seconds', flags.quick ? 10 : 30),
  clients: flags.int('clients', 10),
  warmupSeconds: 5,
  subscriptions: 10,
};
const ADMIN_TOKEN = 'bench-admin-token-0001';

// The receiver: first arrivals per hook (a repeat is a retry), with their lag.
interface Hook {
  ids: Set<string>;
  lagsMs: number[];
  firstAt: number;
  lastAt: number;
}
const hooks = new Map<string, Hook>();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c.toString();
  });
  req.on('end', () => {
    const now = epochMs();
    const name = (req.url ?? '/').slice(1);
    const hook = hooks.get(name) ?? { ids: new Set(), lagsMs: [], firstAt: now, lastAt: now };
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
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
const received = (names: string[]) => names.reduce((n, h) => n + (hooks.get(h)?.ids.size ?? 0), 0);

await resetDataSet(WEBHOOK_DATA);
const pool = await openDatabase(WEBHOOK_DATA, 2);
await pool.query('truncate subscriptions cascade');
const eventCount = async () =>
  (await pool.query<{ n: number }>('select count(*)::int as n from events')).rows[0]?.n ?? 0;

const app = await startApp({
  ...appEnvironment(WEBHOOK_DATA),
  API_TOKENS: `writer:${BENCH_TOKEN},admin:${ADMIN_TOKEN}`,
  SUBSCRIPTIONS_ALLOW_PRIVATE_URLS: 'true',
});
const admin = createOrdersClient({ url: app.trpcUrl, token: ADMIN_TOKEN });
const subscribe = async (names: string[]) =>
  Promise.all(
    names.map((name) => admin.subscriptions.create.mutate({ url: `${receiverUrl}/${name}` })),
  );
async function until(what: string, names: string[], count: number, timeoutMs = 900_000) {
  const started = epochMs();
  while (received(names) < count) {
    if (epochMs() - started > timeoutMs) throw new Error(`${what}: ${received(names)} of ${count}`);
    await sleep(50);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: settings.clients });
const lane = commandLane(agent, app);
progress(
  `warm-up ${settings.warmupSeconds} s, then ${settings.seconds} s cells, ${settings.clients} clients`,
);
await closedLoop(settings.clients, settings.warmupSeconds, lane);
const none = summarizeLoad(await closedLoop(settings.clients, settings.seconds, lane));

const live = Array.from({ length: settings.subscriptions }, (_, i) => `live-${i}`);
await subscribe(live);
const startedAt = epochMs();
const loaded = summarizeLoad(await closedLoop(settings.clients, settings.seconds, lane));
const committed = await eventCount();
// Every live subscription caught up (its own lag: nothing after its checkpoint).
const liveSubs = (await admin.subscriptions.list.query()).subscriptions;
for (const sub of liveSubs) {
  for (;;) {
    const { lag } = await admin.subscriptions.get.query({ id: sub.id });
    if (lag.events === 0) break;
    await sleep(100);
  }
}
const perSubscription = Math.round(received(live) / live.length);
const liveLags = summarize(live.flatMap((h) => hooks.get(h)?.lagsMs ?? []));
const liveRate = round(
  received(live) / ((Math.max(...live.map((h) => hooks.get(h)?.lastAt ?? 0)) - startedAt) / 1000),
  1,
);

// Throughput: the whole store replayed, to one subscription, then to ten at once.
const first = (await pool.query<{ p: string }>('select min(global_position) as p from events'))
  .rows[0]?.p;
async function drain(names: string[]) {
  const subs = await subscribe(names);
  const t = epochMs();
  await Promise.all(
    subs.map((s) => admin.subscriptions.replay.mutate({ id: s.id, fromPosition: Number(first) })),
  );
  await until('replay', names, committed * names.length);
  const seconds = (epochMs() - t) / 1000;
  return {
    subscriptions: names.length,
    events: committed * names.length,
    seconds: round(seconds, 1),
    perSecond: round((committed * names.length) / seconds, 1),
    lagMs: summarize(names.flatMap((h) => hooks.get(h)?.lagsMs ?? [])),
  };
}
progress(`replaying ${committed} events to 1 subscription, then to ${settings.subscriptions}`);
const drains = [await drain(['drain-1']), await drain(live.map((h) => `drain-10-${h}`))];

agent.destroy();
await runCleanups();
receiver.close();
await pool.end();

printTable(
  'Command path (closed loop: place, then complete)',
  [
    { cell: 'no subscription', s: none },
    { cell: `${settings.subscriptions} subscriptions`, s: loaded },
  ],
  {
    cell: (c) => c.cell,
    'commands/s': (c) => c.s.perSecond,
    'p50 / p99 ms': (c) => fmtAll(c.s.latencyMs.p50, c.s.latencyMs.p99),
    errors: (c) => Object.values(c.s.errors).reduce((a, b) => a + b, 0),
  },
);
printTable(`Live deliveries during the ${settings.subscriptions}-subscription cell`, [liveLags], {
  'deliveries/s (all)': () => liveRate,
  'events per subscription': () => perSubscription,
  'lag p50 / p99 ms': (l) => fmtAll(l.p50, l.p99),
  'max ms': (l) => l.max,
});
printTable('Replay throughput (every event of the store)', drains, {
  subscriptions: (d) => d.subscriptions,
  deliveries: (d) => d.events,
  seconds: (d) => d.seconds,
  'deliveries/s': (d) => d.perSecond,
});
writeResults('webhook-delivery', {
  settings,
  commandPath: { none, withSubscriptions: loaded },
  live: { deliveriesPerSecond: liveRate, perSubscription, lagMs: liveLags },
  drains,
});
process.exit(0);
