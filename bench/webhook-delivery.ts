// What webhook subscriptions deliver and cost. `npm start -- --queues commands,projections`
// (the API, command and projection workers in one process) and the subscribers in a
// `npm run worker -- --queues webhooks` of their own, as docs/operations.md runs them
// (`--in-process`: every queue in the one process); a receiver in a process of its own
// answers 204 at once.
// - The command path with no subscription and with 10 subscribed to every event, the cells
//   alternating round by round (none, 10, none, 10, …): commands/s and latency side by
//   side, the CPU each process used, and in the loaded cells the deliveries/s and each
//   event's lag (arrival minus the event's time).
// - Throughput: every event of the store replayed to 1 subscription, then to 10 at once.
//
//   npm run bench -- webhook-delivery [--quick] [--seconds 20] [--clients 10] [--rounds 3]
//                                      [--in-process | --nice 10]
//
// Data: orders_bench_hooks, `benchhooks-`, Redis db 6, task queues `benchhooks-…`.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOrdersClient } from '../api/client';
import { BENCH_TOKEN, startApp, startWorkerProcess } from './harness/app-process';
import { runCleanups } from './harness/cleanups';
import { commandLane } from './harness/commands';
import { type Cores, startCpuMeter } from './harness/cpu';
import { appEnvironment, WEBHOOK_DATA } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { closedLoop, epochMs, type LoadSummary, summarizeLoad } from './harness/load';
import { fmtAll, printTable, progress, writeResults } from './harness/output';
import { startReceiver } from './harness/receiver';
import { openDatabase, resetDataSet } from './harness/reset-data';
import { median, round, summarize } from './harness/stats';

const inProcess = process.argv.includes('--in-process');
const flags = readFlags(
  ['seconds', 'clients', 'rounds', 'nice'],
  process.argv.slice(2).filter((a) => a !== '--in-process'),
);
const nice = flags.int('nice', 0);
const settings = {
  seconds: flags.int('seconds', flags.quick ? 10 : 20),
  clients: flags.int('clients', 10),
  rounds: flags.int('rounds', flags.quick ? 2 : 3),
  warmupSeconds: 5,
  subscriptions: 10,
  topology: inProcess
    ? 'one process'
    : `subscribers in their own worker process${nice ? ` (nice ${nice})` : ''}`,
};
const ADMIN_TOKEN = 'bench-admin-token-0001';

const receiver = await startReceiver();
await resetDataSet(WEBHOOK_DATA);
const pool = await openDatabase(WEBHOOK_DATA, 2);
await pool.query('truncate subscriptions cascade');
const eventCount = async () =>
  (await pool.query<{ n: number }>('select count(*)::int as n from events')).rows[0]?.n ?? 0;

const env = {
  ...appEnvironment(WEBHOOK_DATA),
  API_TOKENS: `writer:${BENCH_TOKEN},admin:${ADMIN_TOKEN}`,
  SUBSCRIPTIONS_ALLOW_PRIVATE_URLS: 'true',
};
const app = await startApp(env, inProcess ? {} : { args: ['--queues', 'commands,projections'] });
const groups: Record<string, number[]> = { app: [app.pid] };
if (!inProcess) groups.webhooks = [(await startWorkerProcess(env, ['webhooks'], nice)).pid];
const admin = createOrdersClient({ url: app.trpcUrl, token: ADMIN_TOKEN });
const subscribe = async (names: string[]) =>
  Promise.all(
    names.map((name) => admin.subscriptions.create.mutate({ url: receiver.urlOf(name) })),
  );
async function caughtUp(ids: string[]) {
  for (const id of ids) {
    while ((await admin.subscriptions.get.query({ id })).lag.events > 0) await sleep(100);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: settings.clients });
const lane = commandLane(agent, app);
const measured = async (): Promise<{ load: LoadSummary; cores: Cores }> => {
  const meter = startCpuMeter(groups);
  const load = summarizeLoad(await closedLoop(settings.clients, settings.seconds, lane));
  return { load, cores: meter.stop() };
};
progress(
  `${settings.topology}; warm-up ${settings.warmupSeconds} s, then ${settings.rounds} rounds of ${settings.seconds} s cells, ${settings.clients} clients`,
);
await closedLoop(settings.clients, settings.warmupSeconds, lane);

interface Round {
  none: { load: LoadSummary; cores: Cores };
  loaded: { load: LoadSummary; cores: Cores };
  deliveriesPerSecond: number;
  lagsMs: number[];
}
const rounds: Round[] = [];
for (let r = 1; r <= settings.rounds; r++) {
  const none = await measured();
  const names = Array.from({ length: settings.subscriptions }, (_, i) => `live-${r}-${i}`);
  const subs = await subscribe(names);
  const startedAt = epochMs();
  const loaded = await measured();
  await caughtUp(subs.map((s) => s.id));
  const stats = await Promise.all(names.map((n) => receiver.stats(n)));
  const delivered = stats.reduce((n, s) => n + s.count, 0);
  const lastAt = Math.max(...stats.map((s) => s.lastAt));
  rounds.push({
    none,
    loaded,
    deliveriesPerSecond: round(delivered / ((lastAt - startedAt) / 1000), 1),
    lagsMs: stats.flatMap((s) => s.lagsMs),
  });
  await Promise.all(subs.map((s) => admin.subscriptions.delete.mutate({ id: s.id })));
  progress(`round ${r}: ${none.load.perSecond} → ${loaded.load.perSecond} commands/s`);
}
const committed = await eventCount();

// Throughput: the whole store replayed, to one subscription, then to ten at once.
const first = (await pool.query<{ p: string }>('select min(global_position) as p from events'))
  .rows[0]?.p;
async function drain(names: string[]) {
  const subs = await subscribe(names);
  const t = epochMs();
  await Promise.all(
    subs.map((s) => admin.subscriptions.replay.mutate({ id: s.id, fromPosition: Number(first) })),
  );
  const want = committed * names.length;
  while ((await receiver.received(names)) < want) {
    if (epochMs() - t > 900_000)
      throw new Error(`replay: ${await receiver.received(names)} of ${want}`);
    await sleep(200);
  }
  const seconds = (epochMs() - t) / 1000;
  await Promise.all(subs.map((s) => admin.subscriptions.delete.mutate({ id: s.id })));
  return {
    subscriptions: names.length,
    events: want,
    seconds: round(seconds, 1),
    perSecond: round(want / seconds, 1),
  };
}
progress(`replaying ${committed} events to 1 subscription, then to ${settings.subscriptions}`);
const drains = [
  await drain(['drain-1']),
  await drain(Array.from({ length: 10 }, (_, i) => `drain-10-${i}`)),
];

agent.destroy();
await runCleanups();
await pool.end();

const coresOf = (c: Cores) =>
  fmtAll(...['app', 'webhooks', 'postgres', 'machine'].filter((g) => g in c).map((g) => c[g] ?? 0));
const cells = rounds.flatMap((r, i) => [
  { cell: `${i + 1}: none`, ...r.none },
  { cell: `${i + 1}: ${settings.subscriptions} subscriptions`, ...r.loaded },
]);
printTable(`Command path (closed loop: place, then complete; ${settings.topology})`, cells, {
  cell: (c) => c.cell,
  'commands/s': (c) => c.load.perSecond,
  'p50 / p99 ms': (c) => fmtAll(c.load.latencyMs.p50, c.load.latencyMs.p99),
  errors: (c) => Object.values(c.load.errors).reduce((a, b) => a + b, 0),
  [`cores: ${inProcess ? 'app' : 'app / webhooks'} / postgres / machine`]: (c) => coresOf(c.cores),
});
const ratios = rounds.map((r) => round(r.loaded.load.perSecond / r.none.load.perSecond, 2));
const p99Ratios = rounds.map((r) =>
  round(r.loaded.load.latencyMs.p99 / r.none.load.latencyMs.p99, 2),
);
const lags = summarize(rounds.flatMap((r) => r.lagsMs));
printTable('With 10 subscriptions, against none (per round; median)', [{ ratios, p99Ratios }], {
  'commands/s ratio': (x) => `${x.ratios.join(', ')}; median ${round(median(x.ratios), 2)}`,
  'p99 ratio': (x) => `${x.p99Ratios.join(', ')}; median ${round(median(x.p99Ratios), 2)}`,
  'live deliveries/s (all 10)': () => rounds.map((r) => r.deliveriesPerSecond).join(', '),
  'lag p50 / p99 ms': () => fmtAll(lags.p50, lags.p99),
});
printTable('Replay throughput (every event of the store)', drains, {
  subscriptions: (d) => d.subscriptions,
  deliveries: (d) => d.events,
  seconds: (d) => d.seconds,
  'deliveries/s': (d) => d.perSecond,
});
writeResults('webhook-delivery', {
  settings,
  rounds: rounds.map(({ lagsMs: _, ...r }) => r),
  ratios,
  p99Ratios,
  lagMs: lags,
  drains,
});
process.exit(0);
