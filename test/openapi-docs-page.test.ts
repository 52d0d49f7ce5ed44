import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app';
import { launchBrowser, screenshot, type TestBrowser } from './support/browser';

// /docs in Debian's Chromium: the API reference renders every operation of /openapi.json
// from the package's own files, under the server's CSP, and no request leaves the machine.

let app: TestApp;
let browser: TestBrowser;
beforeAll(async () => {
  // The API alone: the page reads the document, it runs no call.
  app = await startTestApp([]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

interface Seen {
  requests: string[];
  problems: string[];
}

async function watch(page: Page): Promise<Seen> {
  const seen: Seen = { requests: [], problems: [] };
  page.on('request', (request) => {
    seen.requests.push(request.url());
  });
  page.on('console', (message) => {
    // A CSP refusal or a failed load is reported on the console as an error.
    if (message.type() === 'error') seen.problems.push(message.text());
  });
  page.on('pageerror', (err) => {
    seen.problems.push(String(err));
  });
  await page.exposeFunction('reportViolation', (text: string) => {
    seen.problems.push(text);
  });
  // The page's own report of each refusal: which directive, and what it refused.
  await page.evaluateOnNewDocument(`document.addEventListener('securitypolicyviolation', (e) => {
    const target = e.target instanceof Element ? e.target.outerHTML.slice(0, 200) : '';
    window.reportViolation('CSP ' + e.violatedDirective + ': ' + e.sample + ' ' + target);
  });`);
  page.on('requestfailed', (request) => {
    seen.problems.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  return seen;
}

describe('/docs', () => {
  it('renders every operation of /openapi.json, with no request off 127.0.0.1 and no CSP refusal', async () => {
    const operations = Object.values(app.contract.document.paths).flatMap((item) =>
      Object.keys(item),
    ).length;
    const page = await browser.browser.newPage();
    const seen = await watch(page);
    const res = await page.goto(`${app.url}/docs`, { waitUntil: 'networkidle0' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    await page.waitForFunction(`document.querySelectorAll('.opblock').length >= ${operations}`, {
      timeout: 20_000,
    });
    expect(await page.$$eval('.opblock', (els) => els.length)).toBe(operations);
    expect(await page.$eval('.info .title', (el) => el.textContent ?? '')).toMatch(
      /Order reporting API/,
    );
    const paths = await page.$$eval('.opblock-summary-path', (els) =>
      els.map((el) => el.getAttribute('data-path')),
    );
    expect(paths).toContain('/api/orders/{orderId}/complete');
    expect(paths).toContain('/api/reports/monthly');

    // An operation opens on its parameters and its documented refusals.
    await page.click('#operations-reports-reports-monthly .opblock-summary-control');
    await page.waitForSelector('#operations-reports-reports-monthly .parameters');
    const opened = await page.$eval('#operations-reports-reports-monthly', (el) => el.textContent);
    expect(opened).toMatch(/PastRetention/);
    expect(opened).toMatch(/Role: reader/);
    await screenshot(page, 'api-docs');

    const origin = new URL(app.url).origin;
    const offMachine = seen.requests.filter(
      (u) => !u.startsWith('data:') && new URL(u).hostname !== '127.0.0.1',
    );
    expect(offMachine, 'requests that left the machine').toEqual([]);
    expect(seen.requests).toContain(`${origin}/openapi.json`);
    expect(seen.problems, 'console errors, CSP refusals, failed loads').toEqual([]);
    await page.close();
  });
});
