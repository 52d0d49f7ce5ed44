import { execFileSync } from 'node:child_process';
import { TRPCClientError } from '@trpc/client';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../api/client';
import { config } from '../config/env';
import { addMonths, monthIn } from '../domain/report-months';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import {
  fill,
  holdPagesToContract,
  launchBrowser,
  screenshot,
  signIn,
  type TestBrowser,
  textOf,
} from './support/browser';
import { completeOrderIn } from './support/completed-orders';

// A month past the read models' retention has no data left: every report says so instead of
// answering zeros as if nothing had sold, and the workspace says it too.

const RETENTION = 24;
let app: TestApp;
let cutoff: string;
let expired: string;
beforeAll(async () => {
  app = await startTestApp(undefined, { retentionMonths: RETENTION });
  cutoff = addMonths(monthIn(new Date(), config().REPORT_TIMEZONE), -RETENTION);
  expired = addMonths(cutoff, -1);
});
afterAll(async () => {
  await app?.stop();
});

async function refusal(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const err = await call.then(
    (answer) => answer,
    (e: unknown) => e,
  );
  expect(err, JSON.stringify(err)).toBeInstanceOf(TRPCClientError);
  return err as TRPCClientError<AppRouter>;
}

describe('reports past retention', () => {
  it('a month before the cutoff is refused as expired; the cutoff month answers', async () => {
    const reader = app.client('reader');
    const err = await refusal(reader.reports.monthly.query({ month: expired, currency: 'EUR' }));
    expect(err.data?.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(`past the read models' retention (${RETENTION} months`);
    const kept = await reader.reports.monthly.query({ month: cutoff, currency: 'EUR' });
    expect(kept.month).toBe(cutoff);
  });

  it('a range reaching before the cutoff is refused by the series and the top products alike', async () => {
    const reader = app.client('reader');
    const range = { from: expired, to: cutoff, currency: 'EUR' };
    for (const call of [
      reader.reports.monthlySeries.query(range),
      reader.reports.topProducts.query(range),
    ]) {
      const err = await refusal(call);
      expect(err.data?.code).toBe('NOT_FOUND');
      expect(err.data?.reason).toBe('PastRetention');
      expect(err.message).toMatch(`past the read models' retention (${RETENTION} months`);
      expect(err.message).toContain(`from ${cutoff} on`);
    }
    const from = { ...range, from: cutoff };
    const series = await reader.reports.monthlySeries.query(from);
    expect(series.months.map((m) => m.month)).toEqual([cutoff]);
    const top = await reader.reports.topProducts.query(from);
    expect(top.products).toEqual([]);
  });
});

describe('reports of months that have not begun', () => {
  it('next month and 9999-12 are refused as not begun; the current month answers', async () => {
    const reader = app.client('reader');
    const current = monthIn(new Date(), config().REPORT_TIMEZONE);
    for (const month of [addMonths(current, 1), '9999-12']) {
      const err = await refusal(reader.reports.monthly.query({ month, currency: 'EUR' }));
      expect(err.data?.code).toBe('BAD_REQUEST');
      expect(err.data?.reason).toBe('FutureMonth');
      expect(err.message).toContain(`${month} has not begun`);
      expect(err.message).toContain(`is ${current}`);
    }
    const now = await reader.reports.monthly.query({ month: current, currency: 'EUR' });
    expect(now.month).toBe(current);
  });

  it('a range reaching past the current month is refused by the series and the top products alike', async () => {
    const reader = app.client('reader');
    const current = monthIn(new Date(), config().REPORT_TIMEZONE);
    const range = { from: current, to: addMonths(current, 2), currency: 'EUR' };
    for (const call of [
      reader.reports.monthlySeries.query(range),
      reader.reports.topProducts.query(range),
    ]) {
      const err = await refusal(call);
      expect(err.data?.code).toBe('BAD_REQUEST');
      expect(err.data?.reason).toBe('FutureMonth');
      expect(err.message).toContain(`ask up to ${current}`);
    }
  });
});

describe('the workspace at the retention edge', () => {
  let chrome: TestBrowser;
  /** The workspace's API answers that did not fit the document. */
  let workspaceAnswers: string[] = [];
  let page: Page;
  beforeAll(async () => {
    execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
    chrome = await launchBrowser();
    workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
    page = await chrome.browser.newPage();
    const sold = await completeOrderIn(app.client('admin'), cutoff, {
      productId: 'p-edge',
      quantity: 2,
      unitPriceMinor: 1000,
    });
    await app
      .client('reader')
      .reports.monthly.query({ month: cutoff, currency: 'EUR', minPosition: sold.position });
    await signIn(page, app.url, TOKENS.reader);
    await page.waitForSelector('#role');
  });
  afterAll(async () => {
    await chrome?.close();
    expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  });

  async function showReport(month: string): Promise<void> {
    await page.click('a[data-screen=report]');
    await page.waitForSelector('form.query input[name=month]');
    await fill(page, 'input[name=month]', month);
    await fill(page, 'input[name=currency]', 'EUR');
    await page.click('form.query button[type=submit]');
    await page.waitForFunction(
      "!document.querySelector('form.query .loading') && !!document.querySelector('[data-source], .error')",
    );
  }

  it('shows the cutoff month without a comparison, saying the month before is past retention', async () => {
    await showReport(cutoff);
    const error = await page.$eval('.error', (e) => e.textContent).catch(() => null);
    expect(error).toBeNull();
    expect(await textOf(page, '[data-total=sales]')).toBe('€20.00');
    // The result names what it is a report of.
    expect(await textOf(page, '[data-report-title]')).toBe(
      `${cutoff} · EUR · all regions · restated view`,
    );
    expect(await textOf(page, '[data-previous-expired]')).toContain(
      `${expired} is past the read models' retention`,
    );
    expect(await textOf(page, '#products tr[data-product="p-edge"] td[data-col=changeMinor]')).toBe(
      '—',
    );
    await screenshot(page, 'retention-cutoff-month');
  });

  it('says a month past retention is expired, and so does a trend reaching into it', async () => {
    await showReport(expired);
    expect(await textOf(page, '.error[data-status="404"]')).toContain(
      "past the read models' retention",
    );
    // The cutoff month's report shown just before is gone, not left under the error.
    expect(await page.$('[data-total=sales]')).toBeNull();
    expect(await page.$('#products')).toBeNull();
    await page.click('a[data-screen=trends]');
    await page.waitForSelector('form.query input[name=from]');
    await fill(page, 'input[name=from]', expired);
    await fill(page, 'input[name=to]', cutoff);
    await page.click('form.query button[type=submit]');
    await page.waitForFunction(
      "!document.querySelector('form.query .loading') && !!document.querySelector('#chart-sales, .error')",
    );
    const error = await page.$eval('.error', (e) => e.textContent).catch(() => null);
    expect(error).toContain(`from ${cutoff} on`);
  });
});
