import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { addMonths, monthIn } from '../domain/report-months';
import { startTestApp, type TestApp } from './support/app';

// A month past the read models' retention has no data left: its report says so instead of
// answering zeros as if nothing had sold.

const RETENTION = 24;
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(['projections'], { retentionMonths: RETENTION });
});
afterAll(async () => {
  await app?.stop();
});

describe('reports past retention', () => {
  it('a month before the cutoff is refused as expired; the cutoff month answers', async () => {
    const reader = app.client('reader');
    const cutoff = addMonths(monthIn(new Date(), config().REPORT_TIMEZONE), -RETENTION);
    const expired = addMonths(cutoff, -1);
    const err = await reader.reports.monthly
      .query({ month: expired, currency: 'EUR' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data?.code).toBe('NOT_FOUND');
    expect((err as Error).message).toMatch(`past the read models' retention (${RETENTION} months`);
    const kept = await reader.reports.monthly.query({ month: cutoff, currency: 'EUR' });
    expect(kept.month).toBe(cutoff);
  });
});
