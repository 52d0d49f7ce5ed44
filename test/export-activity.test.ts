import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExportActivities, type ExportMonthSummary } from '../activities/export-activities';
import { config } from '../config/env';
import { type ExportProgress, exportMonth, readManifest } from '../projections/parquet';
import { startTestApp, type TestApp } from './support/app';

// The export activity in Temporal's activity test context (heartbeats, the earlier attempt's
// details), against the real PostgreSQL: a retry resumes from the last heartbeat of the
// attempt whose worker died; a month that cannot be exported exactly fails for good.

const MONTH = '2016-09';
const HUGE = '2017-02';
let app: TestApp;
let exportDir: string;
beforeAll(async () => {
  app = await startTestApp(['commands']);
  exportDir = path.join(config().EXPORT_DIR, 'activity');
});
afterAll(async () => {
  await app?.stop();
});

const activities = () =>
  createExportActivities({ pool: app.connections.pool, exportDir, reportTimeZone: 'UTC' });

describe('the export activity', () => {
  it('resumes from the heartbeat details of the attempt whose worker died', async () => {
    const admin = app.client('admin');
    for (let i = 0; i < 6; i++) {
      const { orderId } = await admin.orders.place.mutate({
        customerId: 'c-act',
        region: 'eu',
        currency: 'EUR',
        items: [{ productId: `p-${i}`, quantity: 1, unitPriceMinor: 100 + i }],
        at: `${MONTH}-03T10:00:00.000Z`,
      });
      await admin.orders.complete.mutate({ orderId, at: `${MONTH}-04T10:00:00.000Z` });
    }
    // The first attempt: its worker dies after its second page (the last heartbeat's details).
    let lastBeat: ExportProgress | undefined;
    let pages = 0;
    await expect(
      exportMonth({ pool: app.connections.pool, exportDir, timeZone: 'UTC', pageSize: 2 }, MONTH, {
        onProgress: (p) => {
          lastBeat = structuredClone(p);
          if (++pages === 2) throw new Error('worker died');
        },
      }),
    ).rejects.toThrow('worker died');
    expect(lastBeat?.current?.rows).toBe(4);

    const env = new MockActivityEnvironment({ heartbeatDetails: lastBeat, attempt: 2 });
    const beats: ExportProgress[] = [];
    env.on('heartbeat', (details: unknown) => {
      if (details) beats.push(structuredClone(details as ExportProgress));
    });
    const summary = (await env.run(activities().exportMonth, {
      month: MONTH,
    })) as ExportMonthSummary;
    // The same export, from the same cut, going on after the 4 lines it had staged.
    expect(summary.exportId).toBe(lastBeat?.exportId);
    expect(summary.cut).toEqual(lastBeat?.cut);
    expect(beats.every((b) => b.exportId === lastBeat?.exportId)).toBe(true);
    expect(beats.some((b) => b.current?.partition === `order_lines/month=${MONTH}`)).toBe(true);
    const lines = summary.partitions.find((p) => p.partition === `order_lines/month=${MONTH}`);
    expect(lines).toMatchObject({ rows: 6, installed: true });
  });

  it('fails for good, publishing nothing, when a number does not fit INT64', async () => {
    // Written past the domain's limits (a store restored from elsewhere, a bug): a line of
    // 5·10^18 minor units is beyond what a JSON number carries exactly, and two of them pass INT64.
    for (let i = 0; i < 2; i++) {
      const stream = `order-huge-${i}-${randomUUID()}`;
      const placed = {
        orderId: stream.slice('order-'.length),
        customerId: 'c-huge',
        region: 'eu',
        currency: 'EUR',
        items: [{ productId: 'p-huge', quantity: 1, unitPriceMinor: 1, lineTotalMinor: 5e18 }],
        totalQuantity: 1,
        totalMinor: 5e18,
        placedAt: `${HUGE}-01T10:00:00.000Z`,
      };
      await app.connections.pool.query(
        `insert into events (event_id, stream_id, stream_version, event_type, schema_version,
                             data, metadata, occurred_at)
         values (gen_random_uuid(), $1, 1, 'OrderPlaced', 1, $2, $4, now()),
                (gen_random_uuid(), $1, 2, 'OrderCompleted', 1, $3, $4, now())`,
        [
          stream,
          JSON.stringify(placed),
          JSON.stringify({ orderId: placed.orderId, completedAt: `${HUGE}-02T10:00:00.000Z` }),
          JSON.stringify({
            commandId: randomUUID(),
            correlationId: 'x',
            causationId: 'x',
            actor: 'test',
            occurredAt: `${HUGE}-01T10:00:00.000Z`,
          }),
        ],
      );
    }
    const env = new MockActivityEnvironment();
    const failure = await env.run(activities().exportMonth, { month: HUGE }).catch((e) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ExportRefused', nonRetryable: true });
    expect((failure as Error).message).toMatch(/p-huge .*(not an exact integer|beyond INT64)/);
    expect(await readManifest(path.join(exportDir, `order_lines/month=${HUGE}`))).toBeNull();
    const staging = await readdir(path.join(exportDir, '.staging')).catch(() => []);
    expect(staging.filter((d) => d.startsWith(HUGE))).toEqual([]);
  });
});
