import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app';
import {
  freePort,
  type Sample,
  sampleValue,
  scrape,
  serveMetrics,
} from './support/prometheus-text';
import { waitFor } from './support/wait';

let app: TestApp;
let metrics: { url: string; close(): Promise<void> };
let temporalMetricsUrl: string;

beforeAll(async () => {
  const temporalPort = await freePort();
  temporalMetricsUrl = `http://127.0.0.1:${temporalPort}/metrics`;
  // One call in flight per token: a second concurrent call of the reader is refused (429).
  app = await startTestApp(undefined, {
    maxInflightPerToken: 1,
    temporalMetricsAddress: `127.0.0.1:${temporalPort}`,
  });
  metrics = await serveMetrics();
});
afterAll(async () => {
  await metrics?.close();
  await app?.stop();
});

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(samples, name, labels) ?? Number.NaN;

describe('/metrics', () => {
  it('after a command and a query: requests, commands, latency, projector batches and lag', async () => {
    const before = await scrape(metrics.url);
    const placedBefore =
      sampleValue(before, 'orders_commands_total', { type: 'PlaceOrder', outcome: 'committed' }) ??
      0;
    const writer = app.client('writer');
    const reply = await writer.orders.place.mutate({
      customerId: 'c-metrics',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'sku-m', quantity: 1, unitPriceMinor: 100 }],
    });
    const order = await app.client('reader').orders.get.query({
      orderId: reply.orderId,
      minVersion: reply.version,
    });
    expect(order.stale).toBe(false);
    // A refused command is counted under its answer's code.
    await expect(writer.orders.complete.mutate({ orderId: 'o-no-such-order' })).rejects.toThrow();

    // The projection status is read at most every 5 s: wait for one taken after the command.
    const after = await waitFor('the projectors to pass the command', async () => {
      const s = await scrape(metrics.url);
      const passed = ['elasticsearch', 'redis'].every((readModel) => {
        const labels = { read_model: readModel };
        return (
          (sampleValue(s, 'orders_projector_checkpoint_position', labels) ?? 0) >= reply.position &&
          sampleValue(s, 'orders_projection_lag_events', labels) === 0 &&
          (sampleValue(s, 'orders_projection_checkpoint_age_seconds', labels) ?? -1) >= 0
        );
      });
      return passed ? s : undefined;
    });

    expect(
      value(after, 'orders_commands_total', { type: 'PlaceOrder', outcome: 'committed' }),
    ).toBe(placedBefore + 1);
    expect(
      value(after, 'orders_commands_total', { type: 'CompleteOrder', outcome: 'NOT_FOUND' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(after, 'orders_api_requests_total', { procedure: 'orders.place', code: 'OK' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(after, 'orders_api_requests_total', { procedure: 'orders.get', code: 'OK' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(after, 'orders_api_requests_total', {
        procedure: 'orders.complete',
        code: 'NOT_FOUND',
      }),
    ).toBeGreaterThanOrEqual(1);
    // The histogram counted the call and its sum is a plausible latency.
    const count = value(after, 'orders_api_request_duration_seconds_count', {
      procedure: 'orders.place',
      code: 'OK',
    });
    const sum = value(after, 'orders_api_request_duration_seconds_sum', {
      procedure: 'orders.place',
      code: 'OK',
    });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(sum).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(30);
    expect(
      value(after, 'orders_command_duration_seconds_count', { type: 'PlaceOrder' }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(after, 'orders_api_requests_in_flight')).toBe(0);

    for (const readModel of ['elasticsearch', 'redis']) {
      const labels = { read_model: readModel };
      expect(value(after, 'orders_projector_batch_events_count', labels)).toBeGreaterThanOrEqual(1);
      expect(value(after, 'orders_projector_batch_events_sum', labels)).toBeGreaterThanOrEqual(1);
      expect(
        value(after, 'orders_projector_batch_duration_seconds_count', labels),
      ).toBeGreaterThanOrEqual(1);
      // Scrape-time status of the projections: present, and sane for a caught-up projector.
      expect(value(after, 'orders_projection_lag_events', labels)).toBeGreaterThanOrEqual(0);
      expect(value(after, 'orders_projection_lag_seconds', labels)).toBeGreaterThanOrEqual(0);
      expect(value(after, 'orders_projection_lag_seconds', labels)).toBeLessThan(60);
      expect(value(after, 'orders_projection_parked', labels)).toBe(0);
      expect(value(after, 'orders_projection_retrying', labels)).toBe(0);
      expect(
        value(after, 'orders_projection_checkpoint_age_seconds', labels),
      ).toBeGreaterThanOrEqual(0);
    }
    // The process' own metrics come along.
    expect(value(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts calls refused for load (429)', async () => {
    const before = (await scrape(metrics.url)).find(
      (s) => s.name === 'orders_api_rate_limited_total',
    );
    const reader = app.client('reader');
    const reply = await app.client('writer').orders.place.mutate({
      customerId: 'c-metrics',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'sku-m', quantity: 1, unitPriceMinor: 100 }],
    });
    // The first waits up to 2 s for a version that never comes; the second finds the
    // reader's only place taken.
    const waiting = reader.orders.get.query({ orderId: reply.orderId, minVersion: 99 });
    await new Promise((r) => setTimeout(r, 200));
    await expect(reader.orders.get.query({ orderId: reply.orderId })).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS' },
    });
    await waiting;
    const after = await scrape(metrics.url);
    expect(value(after, 'orders_api_rate_limited_total')).toBe((before?.value ?? 0) + 1);
    expect(
      value(after, 'orders_api_requests_total', {
        procedure: 'orders.get',
        code: 'TOO_MANY_REQUESTS',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("the Temporal SDK's runtime metrics are served by the workers' runtime", async () => {
    const samples = await waitFor('temporal runtime metrics', async () => {
      const s = await scrape(temporalMetricsUrl);
      return s.some((x) => x.name.startsWith('temporal_')) ? s : undefined;
    });
    const names = new Set(samples.map((s) => s.name));
    expect([...names].some((n) => n.startsWith('temporal_workflow_task'))).toBe(true);
  });
});
