// What metrics and traces cost the command path: `npm start`'s process (API and workers in
// one process) started afresh per cell in each mode, every round running each mode once in
// rotated order (no mode always first, on a cold cache, or last):
// - off: no endpoints, no SDK metrics, no traces;
// - metrics: both endpoints on, scraped every 5 s here (Prometheus' default is 15 s);
// - metrics+traces: every trace exported over OTLP/HTTP to a receiver in this process;
// - metrics+traces@10%: the standard sampler keeping one trace in ten.
//
//   npm run bench -- observability-overhead [--quick] [--rounds 3] [--seconds 30] [--clients 10]
//
// Data: orders_bench_obs, `benchobs-`, Redis db 4, task queues `benchobs-…`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AppCell, appCell } from './harness/app-cells';
import { APP_DATA, appEnvironment } from './harness/data-sets';
import { readFlags } from './harness/flags';
import { fmtAll, printTable, progress, writeResults } from './harness/output';
import { resetDataSet } from './harness/reset-data';
import { median, ratio } from './harness/stats';

const MODES = ['off', 'metrics', 'metrics+traces', 'metrics+traces@10%'] as const;
type Mode = (typeof MODES)[number];

const flags = readFlags(['rounds', 'seconds', 'clients']);
const settings = {
  rounds: flags.int('rounds', flags.quick ? 1 : 3),
  seconds: flags.int('seconds', flags.quick ? 10 : 30),
  clients: flags.int('clients', 10),
  warmupSeconds: 5,
};

/** A port free right now (the SDK's metrics exporter needs one given). */
async function freePort(): Promise<number> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The OTLP receiver: answers 200 to every export, counts requests and bytes.
const otlp = { requests: 0, bytes: 0 };
const sink = http.createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    otlp.bytes += chunk.length;
  });
  req.on('end', () => {
    otlp.requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const otlpUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

async function modeEnvironment(mode: Mode): Promise<Record<string, string>> {
  if (mode === 'off') return { METRICS_ENABLED: 'false', OTEL_SDK_DISABLED: 'true' };
  const metrics = {
    METRICS_ENABLED: 'true',
    METRICS_PORT: String(await freePort()),
    TEMPORAL_METRICS_PORT: String(await freePort()),
  };
  if (mode === 'metrics') return { ...metrics, OTEL_SDK_DISABLED: 'true' };
  const traces = { ...metrics, OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_SDK_DISABLED: 'false' };
  if (mode === 'metrics+traces') return traces;
  const sampled = {
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  };
  return { ...traces, ...sampled };
}

/** Scrapes the app's metrics endpoints every 5 s, as Prometheus would, until stopped. */
function scrape(env: Record<string, string>) {
  const urls = [env.METRICS_PORT, env.TEMPORAL_METRICS_PORT]
    .filter(Boolean)
    .map((port) => `http://127.0.0.1:${port}/metrics`);
  const counts = { scrapes: 0, failures: 0 };
  let running = urls.length > 0;
  const loop = (async () => {
    while (running) {
      for (const url of urls) {
        const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) })
          .then(async (r) => r.ok && (await r.text()).length > 0)
          .catch(() => false);
        counts[ok ? 'scrapes' : 'failures']++;
      }
      await sleep(5_000);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return counts;
  };
}

await resetDataSet(APP_DATA);
progress(`${settings.rounds} round(s) of ${MODES.join(', ')}; ${settings.seconds} s cells`);
type Counts = Record<'requests' | 'bytes', number>;
const cells: (AppCell & {
  mode: Mode;
  round: number;
  otlp: Counts;
  scrapes: Record<string, number>;
})[] = [];
for (let round = 0; round < settings.rounds; round++) {
  for (const mode of MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode)) {
    progress(`round ${round + 1}: ${mode}`);
    const env = { ...appEnvironment(APP_DATA), ...(await modeEnvironment(mode)) };
    const stopScraping = scrape(env);
    let before = { ...otlp };
    const cell = await appCell(env, settings, { beforeWindow: () => (before = { ...otlp }) });
    const exported = {
      requests: otlp.requests - before.requests,
      bytes: otlp.bytes - before.bytes,
    };
    cells.push({ ...cell, mode, round, otlp: exported, scrapes: await stopScraping() });
  }
}
sink.close();

printTable('Every cell (a command: one place or one complete)', cells, {
  round: (c) => c.round + 1,
  mode: (c) => c.mode,
  'commands/s': (c) => c.commandsPerSecond,
  'p50 / p99 ms': (c) => fmtAll(c.latencyMs.p50, c.latencyMs.p99),
  'app CPU ms/cmd': (c) => c.appCpuMsPerCommand,
  'machine CPU ms/cmd': (c) => c.machineCpuMsPerCommand,
  'OTLP KiB': (c) => Math.round(c.otlp.bytes / 1024),
  'scrapes (failed)': (c) => `${c.scrapes.scrapes} (${c.scrapes.failures})`,
  errors: (c) => Object.values(c.errors).reduce((a, b) => a + b, 0),
});
const medians = (mode: Mode) => {
  const of = cells.filter((c) => c.mode === mode);
  const m = (f: (c: (typeof cells)[number]) => number) => median(of.map(f));
  return {
    mode,
    commandsPerSecond: m((c) => c.commandsPerSecond),
    p50: m((c) => c.latencyMs.p50),
    p99: m((c) => c.latencyMs.p99),
    appCpu: m((c) => c.appCpuMsPerCommand),
    machineCpu: m((c) => c.machineCpuMsPerCommand),
  };
};
const off = medians('off');
const summary = MODES.map(medians);
printTable('Medians over rounds, and their ratio to off', summary, {
  mode: (s) => s.mode,
  'commands/s': (s) => s.commandsPerSecond,
  'p50 / p99 ms': (s) => fmtAll(s.p50, s.p99),
  'app / machine CPU ms/cmd': (s) => fmtAll(s.appCpu, s.machineCpu),
  'vs off: commands/s': (s) => ratio(s.commandsPerSecond, off.commandsPerSecond),
  p99: (s) => ratio(s.p99, off.p99),
  'app CPU': (s) => ratio(s.appCpu, off.appCpu),
});
writeResults('observability-overhead', { settings, summary, cells });
process.exit(0);
