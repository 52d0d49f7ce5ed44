import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TRPCClientError } from '@trpc/client';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { parkedProjectionWorkflowId } from '../contracts/projection-controls';
import { ordersAlias, readOrderDocument } from '../projections/elasticsearch';
import { prefixedId } from '../temporal/task-queues';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import { releaseParkedProjections, withBrokenOrdersAlias } from './support/broken-alias';
import {
  fill,
  holdPagesToContract,
  launchBrowser,
  screenshot,
  signIn,
  type TestBrowser,
  textOf,
} from './support/browser';
import { waitFor } from './support/wait';
import { seedWorkspaceMonths } from './support/web-months';

// The web workspace in a real Chromium against the real API, workers and stack: what finance
// and operators see must be the API's numbers.
let app: TestApp;
let chrome: TestBrowser;
/** The workspace's API answers that did not fit the document. */
let workspaceAnswers: string[] = [];
let page: Page;
const drillOrders: string[] = [];
const cspRefusals: string[] = [];

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  app = await startTestApp();
  chrome = await launchBrowser();
  workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
  page = await chrome.browser.newPage();
  // What the Content-Security-Policy refused, all screens long (Chromium logs each refusal).
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text()))
      cspRefusals.push(message.text());
  });
  drillOrders.push(...(await seedWorkspaceMonths(app)));
});

afterAll(async () => {
  await chrome?.close();
  expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  if (app) await releaseParkedProjections(app.connections.temporal);
  await app?.stop();
});

async function showReport(
  month: string,
  currency: string,
  view: 'restated' | 'booked' = 'restated',
): Promise<void> {
  await page.click('a[data-screen=report]');
  await page.waitForSelector('form.query input[name=month]');
  await fill(page, 'input[name=month]', month);
  await fill(page, 'input[name=currency]', currency);
  await page.select('select[name=view]', view);
  await page.click('form.query button[type=submit]');
  // The submit shows the spinner at once; the report is on screen when it goes.
  await page.waitForFunction(
    "!document.querySelector('form.query .loading') && !!document.querySelector('[data-source]')",
  );
}

async function rowText(productId: string, col: string): Promise<string> {
  return textOf(page, `#products tr[data-product="${productId}"] td[data-col="${col}"]`);
}

describe('finance (reader) in the browser', () => {
  it('refuses an unknown token as 401', async () => {
    await signIn(page, app.url, 'not-a-known-token-at-all');
    await page.waitForSelector('.error[data-status="401"]');
    expect(await textOf(page, '.error')).toContain('401 Unauthorized');
    await screenshot(page, '01-sign-in-401');
  });

  it("shows the month's totals and product rows as the API answers them, formatted per currency", async () => {
    await signIn(page, app.url, TOKENS.reader);
    await page.waitForSelector('#role');
    expect(await textOf(page, '#role')).toBe('reader');
    await showReport('2016-06', 'EUR');
    const api = await app
      .client('reader')
      .reports.monthly.query({ month: '2016-06', currency: 'EUR' });
    expect(api.totals).toEqual({ orderCount: 3, totalQuantity: 6, totalSalesMinor: 5250 });
    expect(await textOf(page, '[data-total=sales]')).toBe('€52.50');
    expect(await textOf(page, '[data-total=orders]')).toBe(String(api.totals.orderCount));
    expect(await textOf(page, '[data-total=quantity]')).toBe(String(api.totals.totalQuantity));
    expect(await textOf(page, '[data-source]')).toBe(api.source);
    const a = api.products.find((p) => p.productId === 'p-web-a');
    expect(a).toMatchObject({ orderCount: 2, totalQuantity: 3, totalSalesMinor: 4500 });
    expect(await rowText('p-web-a', 'totalSalesMinor')).toBe('€45.00');
    expect(await rowText('p-web-a', 'orderCount')).toBe('2');
    expect(await rowText('p-web-a', 'avgUnitPriceMinor')).toBe('€15.00');
    // Against May (one p-web-a for 10.00): +35.00, +350 %.
    expect(await rowText('p-web-a', 'changeMinor')).toBe('€35.00');
    expect(await rowText('p-web-a', 'changeRatio')).toBe('+350%');
    expect(await rowText('p-web-b', 'changeRatio')).toBe('—');
    // Sortable: by product ascending, then descending.
    await page.click('button[data-sort=productId]');
    const order = () =>
      page.$$eval('#products tbody tr', (rows) => rows.map((r) => r.getAttribute('data-product')));
    expect(await order()).toEqual(['p-web-a', 'p-web-b']);
    await page.click('button[data-sort=productId]');
    expect(await order()).toEqual(['p-web-b', 'p-web-a']);
    await screenshot(page, '02-report');
    // Readable at phone width: the page itself never scrolls sideways (wide tables do, inside).
    await page.setViewport({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, '02-report-phone');
    await page.setViewport({ width: 1280, height: 900 });
    // JPY has no minor digits: 3 × 500 is ¥1,500.
    await showReport('2016-06', 'JPY');
    await page.waitForSelector('#products tr[data-product="p-web-yen"]');
    expect(await textOf(page, '[data-total=sales]')).toBe('¥1,500');
  });

  it('drills down from a product row to the orders behind it', async () => {
    await showReport('2016-06', 'EUR');
    await page.waitForSelector('#products tr[data-product="p-web-a"]');
    await page.click('#products tr[data-product="p-web-a"] button.drill');
    await page.waitForSelector('#drilldown tr[data-order]');
    const shown = await page.$$eval('#drilldown tr[data-order]', (rows) =>
      rows.map((r) => r.getAttribute('data-order')),
    );
    expect(shown.sort()).toEqual([...drillOrders].sort());
    await screenshot(page, '03-drilldown');
    // An order's events, from the event store, in order.
    await page.click(`#drilldown tr[data-order="${shown[0]}"] button.history`);
    await page.waitForSelector('#order-history tr[data-version]');
    expect(await textOf(page, '#order-history h3')).toBe(`History of ${shown[0]}`);
    const types = await page.$$eval('#order-history td[data-type]', (t) =>
      t.map((c) => c.textContent),
    );
    expect(types.slice(0, 2)).toEqual(['OrderPlaced', 'OrderCompleted']);
  });

  it('exports the table as CSV with the exact minor units the API answers', async () => {
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allow',
      downloadPath: chrome.downloads,
    });
    await page.click('#export-csv');
    const file = await waitFor('the CSV download', async () =>
      readdirSync(chrome.downloads).find((f) => f.endsWith('.csv')),
    );
    expect(file).toBe('report-2016-06-EUR.csv');
    const lines = readFileSync(path.join(chrome.downloads, file), 'utf8').trim().split(/\r\n/);
    const header = lines[0]?.split(',') ?? [];
    const rows = lines
      .slice(1)
      .map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    const api = await app
      .client('reader')
      .reports.monthly.query({ month: '2016-06', currency: 'EUR' });
    expect(rows).toHaveLength(api.products.length);
    for (const p of api.products) {
      const row = rows.find((r) => r.productId === p.productId);
      expect(row).toMatchObject({
        orderCount: String(p.orderCount),
        totalQuantity: String(p.totalQuantity),
        totalSalesMinor: String(p.totalSalesMinor),
        avgUnitPriceMinor: String(p.avgUnitPriceMinor),
        currency: 'EUR',
      });
    }
    expect(rows.find((r) => r.productId === 'p-web-a')?.totalSales).toBe('€45.00');
  });

  it('shows the booked view: a sale refunded later stays in its month', async () => {
    await showReport('2016-06', 'EUR', 'booked');
    await page.waitForSelector('#products tr[data-product="p-web-r"]');
    const api = await app
      .client('reader')
      .reports.monthly.query({ month: '2016-06', currency: 'EUR', view: 'booked' });
    expect(api.totals).toEqual({ orderCount: 4, totalQuantity: 7, totalSalesMinor: 5950 });
    expect(await textOf(page, '[data-view]')).toBe('booked');
    expect(await textOf(page, '[data-total=sales]')).toBe('€59.50');
    expect(await textOf(page, '[data-total=orders]')).toBe('4');
    expect(await rowText('p-web-r', 'totalSalesMinor')).toBe('€7.00');
    await screenshot(page, '03-report-booked');
    // Restated (as before): the refunded sale is not in June.
    await showReport('2016-06', 'EUR');
    expect(await textOf(page, '[data-view]')).toBe('restated');
    expect(await textOf(page, '[data-total=sales]')).toBe('€52.50');
    expect(await page.$('#products tr[data-product="p-web-r"]')).toBeNull();
  });

  it('charts net sales per month and the top products, with the data drawn', async () => {
    await page.click('a[data-screen=trends]');
    await page.waitForSelector('input[name=from]');
    await fill(page, 'input[name=from]', '2016-04');
    await fill(page, 'input[name=to]', '2016-07');
    await fill(page, 'input[name=currency]', 'EUR');
    await page.click('form.query button[type=submit]');
    await page.waitForSelector('#chart-sales[data-points="4"]');
    await page.waitForSelector('#chart-top[data-points]');
    const label = await page.$eval('#chart-sales', (c) => c.getAttribute('aria-label') ?? '');
    expect(label).toContain('2016-05 €10.00');
    expect(label).toContain('2016-06 €52.50');
    expect(label).toContain('2016-07 €0.00');
    expect(await page.$eval('#chart-top', (c) => c.getAttribute('aria-label'))).toContain(
      'p-web-a €55.00',
    );
    // Pixels, not only markup: the canvas has been drawn on.
    const painted = await page.evaluate(`(() => {
      const c = document.querySelector('#chart-sales');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    })()`);
    expect(painted).toBeGreaterThan(500);
    await screenshot(page, '04-trends');
    // A region narrows both charts: no sale here was in region "apac".
    await fill(page, 'input[name=region]', 'apac');
    await page.click('form.query button[type=submit]');
    await page.waitForFunction(
      `document.querySelector('#chart-sales')?.getAttribute('aria-label')?.includes('2016-06 €0.00')`,
    );
    await page.waitForSelector('#chart-top[data-points="0"]');
  });

  it('has no operator screens, and the API refuses a reader the admin calls anyway', async () => {
    expect(await page.$('a[data-screen=admin]')).toBeNull();
    await page.goto(`${app.url}/#/admin`, { waitUntil: 'load' });
    await page.waitForSelector('#screen-report');
    expect(await page.$('#screen-admin')).toBeNull();
    const refused = await app
      .client('reader')
      .admin.parked.list.query()
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as { data?: { httpStatus?: number } }).data?.httpStatus).toBe(403);
  });
});

async function documentVersion(orderId: string): Promise<number | undefined> {
  const alias = ordersAlias(config().ES_INDEX_PREFIX);
  return (await readOrderDocument(app.connections.es, alias, orderId))?.version;
}

describe('operators (admin) in the browser', () => {
  it('see a parked projection with its failure, retry it after the fix, and see it go', async () => {
    await signIn(page, app.url, TOKENS.admin);
    await page.waitForSelector('a[data-screen=admin]');
    await page.click('a[data-screen=admin]');
    await page.waitForSelector('#projection-status tr[data-read-model=elasticsearch]');
    await page.waitForSelector('#parked-empty');
    const writer = app.client('writer');
    const warm = await writer.orders.place.mutate({
      customerId: 'c-warm',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-parked', quantity: 1, unitPriceMinor: 999 }],
    });
    await waitFor('warm-up projected', async () =>
      (await documentVersion(warm.orderId)) === 1 ? true : undefined,
    );
    const parked = await withBrokenOrdersAlias(
      app.connections.es,
      config().ES_INDEX_PREFIX,
      async () => {
        const refused = await Promise.all(
          ['c-refused-1', 'c-refused-2'].map((customerId) =>
            writer.orders.place.mutate({
              customerId,
              region: 'eu',
              currency: 'EUR',
              items: [{ productId: 'p-parked', quantity: 1, unitPriceMinor: 999 }],
            }),
          ),
        );
        const parked = refused.map(({ orderId }) => ({
          orderId,
          workflowId: prefixedId(parkedProjectionWorkflowId('elasticsearch', orderId)),
        }));
        // The screen refreshes by itself: the parked orders appear with the read model's refusal.
        for (const { workflowId } of parked) {
          const row = `#parked tr[data-workflow="${workflowId}"]`;
          await page.waitForSelector(row, { timeout: 45_000 });
          expect(await textOf(page, `${row} td.failure`)).toMatch(
            /failed to parse field \[region\]/,
          );
          const link = await page.$eval(`${row} a.temporal-link`, (a) => a.getAttribute('href'));
          expect(link).toContain(
            `/namespaces/${config().TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`,
          );
        }
        await page.waitForFunction(
          `document.querySelector('#projection-status tr[data-read-model=elasticsearch] td[data-col=failed]')?.textContent.trim() === '2'`,
          { timeout: 15_000 },
        );
        await screenshot(page, '05-admin-parked');
        return parked;
      },
    );
    // The cause is fixed (the alias is back): skip the first row and retry the one below it,
    // each a confirmed action. The row below moves up when the first goes: its buttons must
    // stay its own (rows keyed by workflow), or a click meant for one order acts on another.
    const shown = await page.$$eval('#parked tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-workflow')),
    );
    expect(shown).toHaveLength(2);
    const [skipped, retried] = shown.map((id) => {
      const entry = parked.find((p) => p.workflowId === id);
      if (!entry) throw new Error(`unexpected parked row ${id}`);
      return entry;
    }) as [(typeof parked)[0], (typeof parked)[0]];
    const retryButton = await page.$(`button[data-action="retry:${retried.workflowId}"]`);
    if (!retryButton) throw new Error('no retry button on the second row');
    await page.click(`button[data-action="skip:${skipped.workflowId}"]`);
    await page.click(`button[data-confirm="skip:${skipped.workflowId}"]`);
    await waitFor('the skip noticed', async () =>
      (await textOf(page, '#notice').catch(() => '')).includes(`Skipped ${skipped.orderId}`)
        ? true
        : undefined,
    );
    const skippedHandle = app.connections.temporal.workflow.getHandle(skipped.workflowId);
    expect(await skippedHandle.result()).toBe('skipped');
    await page.waitForFunction(
      `!document.querySelector('#parked tr[data-workflow="${skipped.workflowId}"]')`,
      { timeout: 30_000 },
    );
    expect(
      await retryButton.evaluate((b) => (b.isConnected ? b.getAttribute('data-action') : null)),
    ).toBe(`retry:${retried.workflowId}`);
    await retryButton.click();
    await page.click(`button[data-confirm="retry:${retried.workflowId}"]`);
    await waitFor('the retry noticed', async () =>
      (await textOf(page, '#notice').catch(() => '')).includes(`Retry sent for ${retried.orderId}`)
        ? true
        : undefined,
    );
    await page.waitForSelector('#parked-empty', { timeout: 30_000 });
    expect(await documentVersion(retried.orderId)).toBe(1);
    expect(await documentVersion(skipped.orderId)).toBeUndefined();
    await screenshot(page, '06-admin-retried');
  }, 120_000);

  it('rebuild a read model and follow its progress to the end', async () => {
    await page.select('#rebuild-model', 'redis');
    await page.click('button[data-action="rebuild"]');
    await page.click('button[data-confirm="rebuild"]');
    await page.waitForSelector('#rebuild-progress');
    await page.waitForFunction(
      `/COMPLETED/.test(document.querySelector('#rebuild-progress')?.textContent ?? '')`,
      { timeout: 90_000 },
    );
    expect(await textOf(page, '#rebuild-progress')).toMatch(/phase done/);
    await screenshot(page, '08-admin-rebuilt');
  }, 120_000);

  it('reconcile a month and see that nothing differs', async () => {
    await fill(page, 'form.query input[type=month]', '2016-06');
    await page.click('form.query button[type=submit]');
    await page.waitForSelector('#reconcile-summary');
    expect(await textOf(page, '#reconcile-summary')).toContain('no differences');
    await screenshot(page, '07-admin-reconcile');
  });
});

describe('the workspace under its Content-Security-Policy', () => {
  it('ran every screen above with nothing refused, and cannot be framed', async () => {
    expect(cspRefusals).toEqual([]);
    const index = await fetch(`${app.url}/`);
    expect(index.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(index.headers.get('x-frame-options')).toBe('DENY');
  });
});
