import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app';
import { freePort, serveMetrics } from './support/prometheus-text';
import { waitFor } from './support/wait';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const rulesDir = path.join(root, 'ops/prometheus');

// The app on ephemeral ports, and the stack's opt-in Prometheus on a port and data dir of
// this test's own, scraping it every second.
let app: TestApp;
let metrics: { url: string; close(): Promise<void> };
let stackEnv: NodeJS.ProcessEnv;
let prometheusUrl: string;
let dataDir: string;

async function stack(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('bash', [path.join(root, 'scripts/stack.sh'), ...args], {
    env: stackEnv,
    cwd: root,
  });
  return stdout + stderr;
}

beforeAll(async () => {
  const temporalMetricsPort = await freePort();
  app = await startTestApp(undefined, {
    temporalMetricsAddress: `127.0.0.1:${temporalMetricsPort}`,
  });
  metrics = await serveMetrics();
  dataDir = await mkdtemp(path.join(tmpdir(), 'prometheus-test-'));
  const prometheusPort = await freePort();
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  stackEnv = {
    ...process.env,
    STACK_DATA_DIR: dataDir,
    STACK_PROMETHEUS_PORT: String(prometheusPort),
    STACK_PROMETHEUS_SCRAPE_INTERVAL: '1s',
    METRICS_PORT: new URL(metrics.url).port,
    WORKER_METRICS_PORT: String(await freePort()),
    TEMPORAL_METRICS_PORT: String(temporalMetricsPort),
  };
  await stack('up', 'prometheus');
}, 600_000);

afterAll(async () => {
  if (stackEnv) await stack('down', 'prometheus');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  await metrics?.close();
  await app?.stop();
});

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorSample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: VectorSample[] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

const someSeries = (promql: string) =>
  waitFor(promql, async () => {
    const result = await query(promql);
    return result.length > 0 ? result : undefined;
  });

const place = () =>
  app.client('writer').orders.place.mutate({
    customerId: 'c-prometheus',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'sku-p', quantity: 1, unitPriceMinor: 100 }],
  });

describe('Prometheus in the stack (npm run stack -- up prometheus)', () => {
  it('scrapes the app: projection lag per read model and commands per second (recording rule)', async () => {
    expect(await stack('status', 'prometheus')).toMatch(/prometheus\s+up/);
    // A counter's first sample has no rate: let Prometheus see the series, then move it.
    await place();
    await someSeries('orders_commands_total{type="PlaceOrder",outcome="committed"}');
    await place();
    const perSecond = await someSeries(
      'orders:commands_per_second:rate1m{type="PlaceOrder",outcome="committed"} > 0',
    );
    expect(Number(perSecond[0]?.value[1])).toBeGreaterThan(0);

    const lag = await waitFor('lag of both read models', async () => {
      const result = await query('orders:projection_lag_seconds:max');
      return result.length === 2 ? result : undefined;
    });
    expect(lag.map((s) => s.metric.read_model).sort()).toEqual(['elasticsearch', 'redis']);
    for (const s of lag) expect(Number(s.value[1])).toBeGreaterThanOrEqual(0);

    // The Temporal SDK's runtime metrics are scraped too.
    const sdk = await someSeries('up{job="temporal-sdk"} == 1');
    expect(sdk).toHaveLength(1);
    // The rules file is loaded: its alerts are known to Prometheus.
    const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const alerts = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
    expect(alerts).toEqual([
      'AuditRecordsNotWritten',
      'CommandErrorRateHigh',
      'CommandsUnprocessable',
      'ExportFailing',
      'ProjectionLagging',
      'ProjectionParked',
      'ProjectionRetrying',
      'ReconciliationDifferences',
      'RollupSlotsRefused',
      'SubscriptionFailing',
      'SubscriptionLagging',
    ]);
  });

  it('promtool validates the rules and their unit tests pass', async () => {
    const promtool = await run('sh', ['-c', 'command -v promtool']).catch(() => undefined);
    if (!promtool) {
      throw new Error(
        "promtool is not on PATH: it comes with Debian's prometheus package (`npm run stack -- up prometheus` installs it)",
      );
    }
    const check = await run('promtool', ['check', 'rules', path.join(rulesDir, 'rules.yml')]);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tests = await run('promtool', ['test', 'rules', 'rules.test.yml'], { cwd: rulesDir });
    expect(tests.stdout).toMatch(/SUCCESS/);
  });
});
