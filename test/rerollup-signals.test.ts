import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Late corrections signal a month's re-rollup whatever its run is doing: waiting, rolling up,
// ending, or continuing as new. The shortest debounce the settings allow, so runs end and
// continue as new many times while corrections keep coming.
vi.hoisted(() => {
  process.env.REROLLUP_QUIET_MS = '100';
  process.env.REROLLUP_MAX_DELAY_MS = '100';
});

import { requestRerollup } from '../temporal/reports-client';
import { prefixedId } from '../temporal/task-queues';
import { rerollupWorkflowId } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('re-rollup signals', () => {
  it('every correction reaches its month while runs end and continue as new around it', async () => {
    const month = '2012-07';
    const failures: string[] = [];
    let sent = 0;
    const until = Date.now() + 12_000;
    // Eight projectors' worth of corrections, each sending again as soon as the last one is in.
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        while (Date.now() < until) {
          await requestRerollup(app.connections.temporal, month).then(
            () => sent++,
            (err: Error) => failures.push(`${err.message}: ${String(err.cause)}`),
          );
          await sleep(lane * 15);
        }
      }),
    );
    expect(failures.slice(0, 3)).toEqual([]);
    expect(sent).toBeGreaterThan(100);
    // The last correction is rolled up: the run that took it ends with a rollup.
    const last = app.connections.temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(month)));
    expect(await last.result()).toMatchObject({ month });
  });
});
