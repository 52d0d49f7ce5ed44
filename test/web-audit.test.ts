import { execFileSync } from 'node:child_process';
import type pg from 'pg';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersClient } from '../api/client';
import { AuditLog } from '../eventstore';
import { startTestApp, type TestApp } from './support/app';
import {
  fill,
  holdPagesToContract,
  launchBrowser,
  screenshot,
  signIn,
  type TestBrowser,
  textOf,
} from './support/browser';
import { testPool } from './support/db';

// The Operations screen's audit trail in a real Chromium, signed in with a managed API key:
// the admin actions of the key and of a static token, filtered and paged.

let app: TestApp;
let chrome: TestBrowser;
let pool: pg.Pool;
let workspaceAnswers: string[] = [];
let page: Page;
beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  pool = testPool(2);
  app = await startTestApp();
  chrome = await launchBrowser();
  workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
  page = await chrome.browser.newPage();
});
afterAll(async () => {
  await chrome?.close();
  expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  await app?.stop();
  await pool?.end();
});

async function click(selector: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.click(selector);
}

const auditIds = () =>
  page.$$eval('#audit tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-audit'))));

/** Waits until the audit table's first row is entry `id` (a page or a filter has loaded). */
const firstRowIs = (id: number | undefined) =>
  page.waitForFunction(
    `document.querySelector('#audit tbody tr')?.getAttribute('data-audit') === '${id}'`,
    { timeout: 10_000 },
  );

describe('the audit trail on the Operations screen', () => {
  it('shows who did which admin action and how it ended, filtered and paged', async () => {
    const created = await app
      .client('admin')
      .apiKeys.create.mutate({ name: 'screen operator', role: 'admin' });
    const byKey = createOrdersClient({
      url: `${app.url}/trpc`,
      token: created.key,
      fetch: app.fetch,
    });
    await byKey.apiKeys.create.mutate({ name: 'made on screen', role: 'reader' });
    await byKey.admin.parked.retry
      .mutate({ readModel: 'elasticsearch', orderId: 'o-not-parked' })
      .catch(() => undefined);

    // A managed key signs in to the workspace as a token does.
    await signIn(page, app.url, created.key);
    await click('a[data-screen=admin]');
    const retried = '#audit tr[data-action="admin.parked.retry"][data-outcome="NOT_FOUND"]';
    await page.waitForSelector(retried, { timeout: 15_000 });
    expect(await textOf(page, `${retried} td[data-col=actor]`)).toBe(`key:${created.id}`);
    const keyRows = await page.$$eval('#audit tbody tr', (rows) =>
      rows.map((r) => [
        r.getAttribute('data-action'),
        r.querySelector('[data-col=actor]')?.textContent,
      ]),
    );
    expect(keyRows).toEqual([
      ['admin.parked.retry', `key:${created.id}`],
      ['apiKeys.create', `key:${created.id}`],
      ['apiKeys.create', expect.stringMatching(/^admin:[0-9a-f]{8}$/)],
    ]);
    await screenshot(page, '10-admin-audit');

    await fill(page, '#audit-filter input[name=action]', 'apiKeys.create');
    await click('#audit-filter button[type=submit]');
    await page.waitForFunction("document.querySelectorAll('#audit tbody tr').length === 2", {
      timeout: 10_000,
    });

    // 25 more rows: the newest 20 on the first page, then the rest.
    const log = new AuditLog(pool);
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(
        await log.record({
          actor: 'cli:pager',
          action: 'paging.test',
          target: String(i),
          details: null,
          outcome: 'ok',
          message: null,
          correlationId: null,
        }),
      );
    }
    await fill(page, '#audit-filter input[name=action]', 'paging.test');
    await click('#audit-filter button[type=submit]');
    const newest = [...ids].reverse();
    await firstRowIs(newest[0]);
    expect(await auditIds()).toEqual(newest.slice(0, 20));
    await click('#audit-older');
    await firstRowIs(newest[20]);
    expect(await auditIds()).toEqual(newest.slice(20));
    expect(await page.$('#audit-older')).toBeNull();
    await click('#audit-newer');
    await firstRowIs(newest[0]);
  });
});
