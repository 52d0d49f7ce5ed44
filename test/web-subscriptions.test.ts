import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, TOKENS } from './support/app';
import {
  fill,
  holdPagesToContract,
  launchBrowser,
  screenshot,
  signIn,
  type TestBrowser,
} from './support/browser';
import { waitFor } from './support/wait';
import { type Receiver, startReceiver } from './support/webhook-receiver';

// The Operations screen's webhook subscriptions in a real Chromium: state, recent
// deliveries, disable and enable, replay — against the real API, workers and a receiver.

let app: TestApp;
let receiver: Receiver;
let chrome: TestBrowser;
/** The workspace's API answers that did not fit the document. */
let workspaceAnswers: string[] = [];
let page: Page;
beforeAll(async () => {
  execFileSync('bash', ['scripts/build-web.sh'], { stdio: 'inherit' });
  receiver = await startReceiver();
  app = await startTestApp(undefined, { webhooks: { allowPrivateUrls: true } });
  chrome = await launchBrowser();
  workspaceAnswers = holdPagesToContract(chrome.browser, app.contract);
  page = await chrome.browser.newPage();
});
afterAll(async () => {
  await chrome?.close();
  expect(workspaceAnswers, 'workspace answers that do not fit /openapi.json').toEqual([]);
  await app?.stop();
  await receiver?.stop();
});

const row = (id: string) => `#subscriptions tr[data-subscription="${id}"]`;

async function click(selector: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.click(selector);
}

describe('webhook subscriptions on the Operations screen', () => {
  it('shows state and recent deliveries; disables, enables and replays with a confirmation', async () => {
    const admin = app.client('admin');
    const sub = await admin.subscriptions.create.mutate({
      url: receiver.url('screen'),
      description: 'billing',
    });
    await receiver.control('screen', { secrets: [sub.secret] });
    const order = await app.client('writer').orders.place.mutate({
      commandId: randomUUID(),
      customerId: 'c-screen',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-1', quantity: 1, unitPriceMinor: 100 }],
    });
    const first = await waitFor('delivered', async () => (await receiver.received('screen'))[0]);

    await signIn(page, app.url, TOKENS.admin);
    await click('a[data-screen=admin]');
    await page.waitForSelector(`${row(sub.id)}[data-state=active]`);
    await click(`${row(sub.id)} button[data-action="deliveries:${sub.id}"]`);
    await page.waitForSelector('table.deliveries tr[data-outcome=delivered]');
    await screenshot(page, '09-admin-subscriptions');

    await click(`${row(sub.id)} button[data-action="disable:${sub.id}"]`);
    await click(`${row(sub.id)} button[data-confirm="disable:${sub.id}"]`);
    await page.waitForSelector(`${row(sub.id)}[data-state=disabled]`, { timeout: 15_000 });
    expect((await admin.subscriptions.get.query({ id: sub.id })).enabled).toBe(false);

    await click(`${row(sub.id)} button[data-action="enable:${sub.id}"]`);
    await click(`${row(sub.id)} button[data-confirm="enable:${sub.id}"]`);
    await page.waitForSelector(`${row(sub.id)}[data-state=active]`, { timeout: 15_000 });

    // Replay from the order's position: the event is sent again, under the id it had.
    await fill(page, `${row(sub.id)} input.replay-from`, String(order.position));
    await click(`${row(sub.id)} button[data-action="replay:${sub.id}"]`);
    await click(`${row(sub.id)} button[data-confirm="replay:${sub.id}"]`);
    await page.waitForFunction(
      `document.querySelector('#notice')?.textContent.includes('Replaying')`,
    );
    const again = await waitFor('the replayed event', async () => {
      const got = await receiver.received('screen');
      return got.length >= 2 ? got[1] : undefined;
    });
    expect(again.id).toBe(first.id);
    expect(again.body.data.orderId).toBe(order.orderId);
  });
});
