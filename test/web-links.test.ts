import { execFileSync } from 'node:child_process';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// The workspace opens on data and keeps every choice in its address: a link finance sends a
// colleague, a reload, back and forward show the same screen with the same numbers. Real
// Chromium, real API, workers and stack.
let app: TestApp;
let chrome: TestBrowser;
/** The workspace's API answers that did not fit the document. */
let workspaceAnswers: string[] = [];
let page: Page;
let thisMonth: string;
let lastMonth: string;
let mayOrder: string;
/** June's p-link-b orders (one in eu, one in us). */
const productB: string[] = [];

beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  app = await startTestApp();
  chrome = await launchBrowser();
  workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
  page = await chrome.browser.newPage();
  thisMonth = monthIn(new Date(), config().REPORT_TIMEZONE);
  lastMonth = addMonths(thisMonth, -1);
  const admin = app.client('admin');
  // This month: completed now (a date later in the month would be in the future).
  const placed = await admin.orders.place.mutate({
    customerId: 'c-links',
    region: 'eu',
    currency: 'EUR',
    items: [{ productId: 'p-now', quantity: 2, unitPriceMinor: 1234 }],
  });
  await admin.orders.complete.mutate({ orderId: placed.orderId });
  await completeOrderIn(admin, lastMonth, {
    productId: 'p-last',
    quantity: 1,
    unitPriceMinor: 900,
  });
  mayOrder = (
    await completeOrderIn(admin, '2016-05', {
      productId: 'p-may',
      quantity: 4,
      unitPriceMinor: 250,
    })
  ).orderId;
  for (const [productId, region, quantity] of [
    ['p-link-a', 'eu', 1],
    ['p-link-b', 'eu', 3],
    ['p-link-b', 'us', 5],
  ] as const) {
    const o = await completeOrderIn(
      admin,
      '2016-06',
      { productId, quantity, unitPriceMinor: 1000 },
      { region },
    );
    if (productId === 'p-link-b') productB.push(o.orderId);
  }
  // Completed in June and refunded in July: only the booked view of June has it.
  const refunded = await completeOrderIn(
    admin,
    '2016-06',
    { productId: 'p-link-r', quantity: 1, unitPriceMinor: 700 },
    { region: 'eu' },
  );
  const done = await admin.orders.refund.mutate({
    orderId: refunded.orderId,
    reason: 'returned',
    at: '2016-07-02T09:00:00.000Z',
  });
  await app.client('reader').reports.monthly.query({
    month: '2016-06',
    currency: 'EUR',
    minPosition: done.position,
  });
});

afterAll(async () => {
  await chrome?.close();
  expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  await app?.stop();
});

const title = (month: string, region = 'all regions', view = 'restated') =>
  `${month} · EUR · ${region} · ${view} view`;

/** Waits until the report on screen is the one titled so, loaded (no spinner). */
async function reportShown(p: Page, expected: string): Promise<void> {
  await p.waitForFunction(
    `!document.querySelector('form.query .loading') &&
      document.querySelector('[data-report-title]')?.textContent.trim() === ${JSON.stringify(expected)}`,
  );
}

/** What a person reads of a report: its title, totals and rows in the order shown. */
async function reportOnScreen(p: Page) {
  return {
    title: await textOf(p, '[data-report-title]'),
    totals: await p.$$eval('[data-total]', (els) => els.map((e) => e.textContent?.trim())),
    rows: await p.$$eval('#products tbody tr[data-product]', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td[data-col]')].map((c) => c.textContent?.trim())),
    ),
  };
}

async function expectApiTotals(
  p: Page,
  month: string,
  extra: { region?: string; view?: 'booked' } = {},
) {
  const api = await app
    .client('reader')
    .reports.monthly.query({ month, currency: 'EUR', ...extra });
  expect(await textOf(p, '[data-total=orders]')).toBe(String(api.totals.orderCount));
  expect(await textOf(p, '[data-total=quantity]')).toBe(String(api.totals.totalQuantity));
  return api;
}

async function ask(month: string, opts: { region?: string; view?: 'restated' | 'booked' } = {}) {
  await fill(page, 'input[name=month]', month);
  await fill(page, 'input[name=currency]', 'EUR');
  await fill(page, 'input[name=region]', opts.region ?? '');
  await page.select('select[name=view]', opts.view ?? 'restated');
  await page.click('form.query button[type=submit]');
  await reportShown(page, title(month, opts.region, opts.view));
}

describe('the workspace opens on data', () => {
  it('shows the Monthly report of the current month on sign-in, without a button pressed', async () => {
    await signIn(page, app.url, TOKENS.reader);
    await reportShown(page, title(thisMonth));
    const api = await expectApiTotals(page, thisMonth);
    expect(api.totals.totalSalesMinor).toBe(2468);
    expect(await textOf(page, '[data-total=sales]')).toBe('€24.68');
    expect(page.url()).toContain(`#/report?month=${thisMonth}&currency=EUR&view=restated`);
    await screenshot(page, 'links-01-opens-on-this-month');
  });

  it('has the last complete month one click away', async () => {
    await page.click('#last-complete-month');
    await reportShown(page, title(lastMonth));
    await expectApiTotals(page, lastMonth);
    expect(await textOf(page, '[data-total=sales]')).toBe('€9.00');
    expect(page.url()).toContain(`month=${lastMonth}`);
  });

  it('opens Trends on the last 12 months, the current one included', async () => {
    await page.click('a[data-screen=trends]');
    await page.waitForSelector('#chart-sales[data-points="12"]');
    const label = await page.$eval('#chart-sales', (c) => c.getAttribute('aria-label') ?? '');
    expect(label).toContain(`per month: ${addMonths(thisMonth, -11)} €0.00;`);
    expect(label).toContain(`${lastMonth} €9.00; ${thisMonth} €24.68`);
    expect(await page.$eval('input[name=from]', (i) => i.value)).toBe(addMonths(thisMonth, -11));
    expect(await page.$eval('input[name=to]', (i) => i.value)).toBe(thisMonth);
    expect(page.url()).toContain(`#/trends?from=${addMonths(thisMonth, -11)}&to=${thisMonth}`);
    await screenshot(page, 'links-02-trends-opens-on-12-months');
  });
});

describe('every choice in the address', () => {
  it('a link copied from one tab shows the same report in a fresh browser context', async () => {
    await page.click('a[data-screen=report]');
    await page.waitForSelector('[data-report-title]');
    await ask('2016-06', { region: 'eu', view: 'booked' });
    await page.click('button[data-sort=productId]');
    await expectApiTotals(page, '2016-06', { region: 'eu', view: 'booked' });
    const shown = await reportOnScreen(page);
    // p-may sold in May only: listed with nothing sold and its whole May amount as the change.
    expect(shown.rows.map((r) => r[0])).toEqual(['p-link-a', 'p-link-b', 'p-link-r', 'p-may']);
    const link = page.url();
    expect(link).toContain(
      '#/report?month=2016-06&currency=EUR&region=eu&view=booked&sort=productId&dir=asc',
    );

    // Another person: a browser context of its own (no token, no state), the link pasted.
    const other = await chrome.browser.createBrowserContext();
    try {
      const fresh = await other.newPage();
      await fresh.goto(link, { waitUntil: 'load' });
      await fresh.waitForSelector('input[name=token]');
      await fresh.type('input[name=token]', TOKENS.reader);
      await fresh.keyboard.press('Enter');
      await reportShown(fresh, title('2016-06', 'eu', 'booked'));
      expect(await reportOnScreen(fresh)).toEqual(shown);
      expect(await textOf(fresh, '[data-view]')).toBe('booked');
      expect(await fresh.$eval('input[name=month]', (i) => i.value)).toBe('2016-06');
      expect(await fresh.$eval('input[name=region]', (i) => i.value)).toBe('eu');
      expect(await fresh.$eval('select[name=view]', (s) => s.value)).toBe('booked');
      expect(await fresh.$eval('th[aria-sort=ascending] button', (b) => b.dataset.sort)).toBe(
        'productId',
      );
      expect(fresh.url()).toBe(link);
      await screenshot(fresh, 'links-03-shared-link-fresh-context');
    } finally {
      await other.close();
    }
  });

  it('back and forward move between two months, each with its own numbers', async () => {
    await ask('2016-05');
    const may = await reportOnScreen(page);
    expect(may.totals[0]).toBe('€10.00');
    await ask('2016-06');
    const june = await reportOnScreen(page);
    expect(june.totals[0]).toBe('€90.00');
    await page.goBack();
    await reportShown(page, title('2016-05'));
    expect(await reportOnScreen(page)).toEqual(may);
    expect(await page.$eval('input[name=month]', (i) => i.value)).toBe('2016-05');
    await page.goForward();
    await reportShown(page, title('2016-06'));
    expect(await reportOnScreen(page)).toEqual(june);
  });

  it('a reload keeps the screen and its choices', async () => {
    await page.click('a[data-screen=trends]');
    await page.waitForSelector('input[name=from]');
    await fill(page, 'input[name=from]', '2016-04');
    await fill(page, 'input[name=to]', '2016-07');
    await page.click('form.query button[type=submit]');
    await page.waitForSelector('#chart-sales[data-points="4"]');
    const before = await page.$eval('#chart-sales', (c) => c.getAttribute('aria-label'));
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#screen-trends #chart-sales[data-points="4"]');
    expect(await page.$eval('#chart-sales', (c) => c.getAttribute('aria-label'))).toBe(before);
    expect(await page.$eval('input[name=from]', (i) => i.value)).toBe('2016-04');
    expect(before).toContain('2016-06 €90.00');
  });

  it('the screens keep their choices when moving between them', async () => {
    await page.click('a[data-screen=report]');
    await reportShown(page, title('2016-06'));
    await page.click('a[data-screen=trends]');
    await page.waitForSelector('#chart-sales[data-points="4"]');
  });

  it('a link with values that mean nothing says what it ignored and shows the defaults', async () => {
    await page.goto(`${app.url}/#/report?month=2016-13&currency=EURO&view=sideways`, {
      waitUntil: 'load',
    });
    await reportShown(page, title(thisMonth));
    const problems = await page.$$eval('[data-link-problems] li', (li) =>
      li.map((l) => l.textContent?.trim()),
    );
    expect(problems).toEqual([
      `month "2016-13" is not a month (YYYY-MM): showing ${thisMonth}`,
      'currency "EURO" is not a currency code (three letters, e.g. EUR): showing EUR',
      'view "sideways" is not restated or booked: showing restated',
    ]);
    await expectApiTotals(page, thisMonth);
    // The address now says what is shown: a reload shows it without complaint.
    expect(page.url()).toContain(`#/report?month=${thisMonth}&currency=EUR&view=restated`);
    await screenshot(page, 'links-04-bad-link');
    await page.reload({ waitUntil: 'load' });
    await reportShown(page, title(thisMonth));
    expect(await page.$('[data-link-problems]')).toBeNull();
    // A reader sent an operator's link: told so, and given the report.
    await page.goto(`${app.url}/#/admin`, { waitUntil: 'load' });
    await page.waitForSelector('[data-link-problems]');
    expect(await textOf(page, '[data-link-problems] li')).toBe(
      'Operations is for admins: showing the Monthly report',
    );
    expect(await page.$('#screen-report')).not.toBeNull();
  });
});

describe('the drill-down and an order history in the address', () => {
  it("a link names a product's orders and one order's events; back closes the history", async () => {
    const june = '#/report?month=2016-06&currency=EUR&view=restated&sort=totalSalesMinor&dir=desc';
    await page.goto(`${app.url}/${june}&product=p-link-b`, { waitUntil: 'load' });
    await reportShown(page, title('2016-06'));
    await page.waitForSelector('#drilldown tr[data-order]');
    const listed = await page.$$eval('#drilldown tr[data-order]', (rows) =>
      rows.map((r) => r.getAttribute('data-order')),
    );
    expect(listed.sort()).toEqual([...productB].sort());
    const [first] = listed;
    await page.click(`#drilldown tr[data-order="${first}"] button.history`);
    await page.waitForSelector('#order-history tr[data-version]');
    expect(page.url()).toContain(`${june}&product=p-link-b&order=${first}`);
    const orderLink = page.url();
    await page.goBack();
    await page.waitForFunction("!document.querySelector('#order-history')");
    expect(await page.$('#drilldown tr[data-order]')).not.toBeNull();
    // The history's link, opened anew: report, drill-down and the order's events.
    await page.goto(`${app.url}/healthz`, { waitUntil: 'load' });
    await page.goto(orderLink, { waitUntil: 'load' });
    await page.waitForSelector('#order-history tr[data-version]');
    expect(await textOf(page, '#order-history h3')).toBe(`History of ${first}`);
    expect(await textOf(page, '#drilldown h3')).toContain(
      'Orders of p-link-b completed in 2016-06',
    );
    await screenshot(page, 'links-05-order-history-link');
  });
});

describe('addresses that follow each other faster than the API answers', () => {
  it("a drill-down named while its month's report is still loading lists that month's orders", async () => {
    const may = '#/report?month=2016-05&currency=EUR&view=restated&sort=totalSalesMinor&dir=desc';
    await page.goto(`${app.url}/#/report?month=2016-06&currency=EUR`, { waitUntil: 'load' });
    await reportShown(page, title('2016-06'));
    // Two steps in one go, as back/forward through history can: May, then May's p-may orders.
    await page.evaluate(
      `location.hash = ${JSON.stringify(may)}; location.hash = ${JSON.stringify(`${may}&product=p-may`)};`,
    );
    await reportShown(page, title('2016-05'));
    await page.waitForSelector('#drilldown tr[data-order]');
    expect(await textOf(page, '#drilldown h3')).toContain('Orders of p-may completed in 2016-05');
    expect(
      await page.$$eval('#drilldown tr[data-order]', (r) =>
        r.map((e) => e.getAttribute('data-order')),
      ),
    ).toEqual([mayOrder]);
  });
});

describe('addresses that follow each other faster than the API answers (Trends)', () => {
  it('Trends left and entered again before its range answers draws that answer', async () => {
    const range = '#/trends?from=2015-01&to=2015-12&currency=EUR';
    const report =
      '#/report?month=2016-06&currency=EUR&view=restated&sort=totalSalesMinor&dir=desc';
    await page.goto(`${app.url}/${report}`, { waitUntil: 'load' });
    await reportShown(page, title('2016-06'));
    await page.evaluate(
      `location.hash = '${range}'; location.hash = '${report}'; location.hash = '${range}';`,
    );
    await page.waitForSelector('#screen-trends #chart-sales[data-points="12"]');
    expect(await page.$eval('#chart-sales', (c) => c.getAttribute('aria-label'))).toContain(
      '2015-01 €0.00',
    );
  });
});

describe("a browser whose clock is a month ahead of the API's report time zone", () => {
  // The default month is the browser's guess: here the API has not begun it. Date in the
  // page is moved to the 15th of next month (the server and its clock are untouched).
  async function aheadPage(
    context: Awaited<ReturnType<TestBrowser['browser']['createBrowserContext']>>,
  ) {
    const p = await context.newPage();
    const [y, m] = addMonths(thisMonth, 1).split('-').map(Number) as [number, number];
    const offset = Date.UTC(y, m - 1, 15, 12) - Date.now();
    await p.evaluateOnNewDocument(`(() => {
      const RealDate = Date;
      class AheadDate extends RealDate {
        constructor(...args) { if (args.length === 0) super(RealDate.now() + ${offset}); else super(...args); }
        static now() { return RealDate.now() + ${offset}; }
      }
      globalThis.Date = AheadDate;
    })()`);
    return p;
  }

  it("opens the Monthly report and Trends on the API's current month, without an error", async () => {
    const other = await chrome.browser.createBrowserContext();
    try {
      const trends = await aheadPage(other);
      await trends.goto(`${app.url}/#/trends`, { waitUntil: 'load' });
      await trends.waitForSelector('input[name=token]');
      await trends.type('input[name=token]', TOKENS.reader);
      await trends.keyboard.press('Enter');
      await trends.waitForSelector('#chart-sales[data-points="12"]');
      expect(await trends.$eval('#chart-sales', (c) => c.getAttribute('aria-label'))).toContain(
        `${lastMonth} €9.00; ${thisMonth} €24.68`,
      );
      expect(trends.url()).toContain(`from=${addMonths(thisMonth, -11)}&to=${thisMonth}`);
      expect(await trends.$('.error')).toBeNull();

      const report = await aheadPage(other);
      await report.goto(`${app.url}/`, { waitUntil: 'load' });
      await report.waitForSelector('input[name=token]');
      await report.type('input[name=token]', TOKENS.reader);
      await report.keyboard.press('Enter');
      await reportShown(report, title(thisMonth));
      expect(await textOf(report, '[data-total=sales]')).toBe('€24.68');
      expect(report.url()).toContain(`month=${thisMonth}`);
      expect(await report.$('.error')).toBeNull();
    } finally {
      await other.close();
    }
  });
});
