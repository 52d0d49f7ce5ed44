import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { type Contract, checksOf } from './openapi-contract';

/** Screenshots of each screen land here (git-ignored). */
export const OUTPUT_DIR = path.resolve('test-output/web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  /** Where the browser saves downloads. */
  downloads: string;
  close(): Promise<void>;
}

/**
 * Debian's chromium (installed by `stack.sh browser` when missing), headless, on a profile of
 * its own that is deleted on close; en-US so amounts read the same on every machine.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  execFileSync('bash', ['scripts/stack.sh', 'browser'], { stdio: 'inherit' });
  const profile = mkdtempSync(path.join(tmpdir(), 'orders-chromium-'));
  const downloads = path.join(profile, 'downloads');
  mkdirSync(downloads);
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: path.join(profile, 'profile'),
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox', '--lang=en-US', '--window-size=1280,900'],
    defaultViewport: { width: 1280, height: 900 },
    env: { ...process.env, LANG: 'en_US.UTF-8', TZ: 'UTC' },
  });
  return {
    browser,
    downloads,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT_DIR, `${name}.png`), fullPage: true });
}

/** Types into a field as a person would (select all, then type). */
export async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (el, v) => {
      (el as unknown as { value: string }).value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  // A fresh tab's state, cleared on a page of the origin that runs no app: on the app
  // itself, a stored token's sign-in still in flight would store it again.
  await page.goto(`${url}/healthz`, { waitUntil: 'load' });
  await page.evaluate('sessionStorage.clear()');
  await page.goto(`${url}/`, { waitUntil: 'load' });
  await page.waitForSelector('input[name=token]');
  await page.type('input[name=token]', token);
  await page.keyboard.press('Enter');
}

export const textOf = (page: Page, selector: string): Promise<string> =>
  page.$eval(selector, (el) => (el.textContent ?? '').trim());

/**
 * Holds every API answer any page of `browser` receives (the workspace's calls) to the
 * document, as the test client's are: what did not fit is collected for the file to assert.
 */
export function holdPagesToContract(browser: Browser, contract: Contract): string[] {
  const violations: string[] = [];
  const watch = (page: Page) =>
    page.on('response', (response: HTTPResponse) => {
      const url = new URL(response.url());
      const check = checksOf(url, response.request().method());
      if (!check || response.status() === 204) return;
      void response.text().then(
        (text) => {
          try {
            check(contract, response.status(), JSON.parse(text));
          } catch (err) {
            violations.push((err as Error).message);
          }
        },
        // A body Chromium no longer holds (the page navigated away) cannot be checked.
        () => undefined,
      );
    });
  void browser.pages().then((pages) => pages.forEach(watch));
  browser.on('targetcreated', (target) => {
    void target.page().then((page) => page && watch(page));
  });
  return violations;
}
