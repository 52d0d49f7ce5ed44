// What metrics and traces cost the command path: `npm start`'s process (API and workers in
// one process) with both off, with metrics on (and scraped every 5 s, as Prometheus would),
// with metrics and traces on (OTLP/HTTP to a receiver in this process), and the same with
// one trace in ten sampled (OTEL_TRACES_SAMPLER), side by side: every round runs each mode
// once, in rotated order, on the same stack and data.
//
//   npx tsx bench/observability-overhead.ts [--quick] [--rounds N] [--seconds N] [--clients N]
//
// Defaults: 3 rounds of 30 s cells after 5 s of warm-up, 10 clients sending orders.place
// then orders.complete (--quick: 1 round of 10 s). Isolated from the app and the tests:
// database orders_bench_obs, Elasticsearch prefix `benchobs-`, Redis db 4 with prefix
// `benchobs:`, task queues `benchobs-…` in namespace orders-bench on the stack's Temporal
// server. Results: tables on
// stdout, everything in bench/results/observability-overhead.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareAppData, WRITER_TOKEN } from './observability/app-data';
import { type CellResult, measureCell } from './observability/cell';
import { MODES, roundOrder } from './observability/modes';
import { startOtlpSink } from './observability/otlp-sink';
import { freePort } from './observability/ports';
import { printOverhead } from './observability/print';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    clients: { type: 'string' },
  },
});
const count = (name: string, value: string | undefined, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const rounds = count('rounds', values.rounds, values.quick ? 1 : 3);
const seconds = count('seconds', values.seconds, values.quick ? 10 : 30);
const clients = count('clients', values.clients, 10);

const baseEnv = await prepareAppData();

const began = new Date();
console.log(
  `observability overhead ${began.toISOString()}: ${rounds} round(s) of ${MODES.join(', ')}; ${seconds} s cells, ${clients} clients`,
);
const sink = await startOtlpSink();
const results: CellResult[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of roundOrder(round)) {
      const ports = {
        metrics: await freePort(),
        temporalMetrics: await freePort(),
        otlpUrl: sink.url,
      };
      console.log(`round ${round + 1}/${rounds}: ${mode}`);
      results.push(
        await measureCell(
          mode,
          round,
          {
            seconds,
            warmupSeconds: 5,
            clients,
            baseEnv,
            writerToken: WRITER_TOKEN,
            temporalPort: 7233,
          },
          ports,
          sink,
        ),
      );
    }
  }
} finally {
  await sink.close();
}

const summary = printOverhead(results);
const dir = fileURLToPath(new URL('results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = join(dir, 'observability-overhead.json');
writeFileSync(
  file,
  `${JSON.stringify(
    {
      startedAt: began.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      settings: { rounds, seconds, clients, warmupSeconds: 5 },
      summary,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${file}`);
