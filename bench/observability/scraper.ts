// Scrapes the app's metrics endpoints as Prometheus would (the stack's scrape interval is
// 15 s; every 5 s here, so a 30 s cell pays for several scrapes, lag gauges included).
import { setTimeout as sleep } from 'node:timers/promises';

export interface Scraper {
  /** Scrapes done and failed so far. */
  stop(): Promise<{ scrapes: number; failures: number }>;
}

export function startScraping(urls: string[], everyMs = 5_000): Scraper {
  let running = true;
  let scrapes = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      for (const url of urls) {
        const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) })
          .then(async (res) => (await res.text()).length > 0 && res.ok)
          .catch(() => false);
        if (ok) scrapes++;
        else failures++;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { scrapes, failures };
    },
  };
}
