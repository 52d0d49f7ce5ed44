import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The debounce of this file's re-rollups: a longer quiet than the default 2 s (so a signal
// late on a busy machine never looks like quiet) and a far shorter cap than the default 30 s
// (test/reports-rollup.test.ts holds the defaults). config() is parsed once per process, so
// they are set before anything reads it.
const { QUIET_MS, MAX_DELAY_MS } = vi.hoisted(() => {
  const windows = { QUIET_MS: 2_500, MAX_DELAY_MS: 6_000 };
  process.env.REROLLUP_QUIET_MS = String(windows.QUIET_MS);
  process.env.REROLLUP_MAX_DELAY_MS = String(windows.MAX_DELAY_MS);
  return windows;
});

import { config } from '../config/env';
import { requestRerollup } from '../temporal/reports-client';
import { prefixedId } from '../temporal/task-queues';
import { rerollupWorkflowId } from '../workflows/reports';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// The debounce of rerollupMonthWorkflow (REROLLUP_QUIET_MS, REROLLUP_MAX_DELAY_MS), counted
// from the workflow histories: which rollups they scheduled, and which signals came before or
// after.
let app: TestApp;
beforeAll(async () => {
  expect(config()).toMatchObject({
    REROLLUP_QUIET_MS: QUIET_MS,
    REROLLUP_MAX_DELAY_MS: MAX_DELAY_MS,
  });
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

type Step = 'rollup' | 'signal';

/**
 * The month's re-rollup runs, oldest first, once the last one finished: each as its rollups
 * and signals in order. A run ends after its rollup unless a signal came in meanwhile; a
 * later signal starts a new run (signal-with-start).
 */
async function finishedRuns(month: string, signals: number): Promise<Step[][]> {
  const workflowId = prefixedId(rerollupWorkflowId(month));
  await app.connections.temporal.workflow.getHandle(workflowId).result();
  return waitFor('every run listed', async () => {
    const listed: { runId: string; startTime: Date }[] = [];
    for await (const wf of app.connections.temporal.workflow.list({
      query: `WorkflowId = '${workflowId}'`,
    }))
      listed.push(wf);
    listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const runs: Step[][] = [];
    for (const { runId } of listed) {
      const handle = app.connections.temporal.workflow.getHandle(workflowId, runId);
      const events: HistoryEvent[] = (await handle.fetchHistory()).events ?? [];
      runs.push(
        events.flatMap((e): Step[] => {
          if (e.workflowExecutionSignaledEventAttributes) return ['signal'];
          if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'rollupMonth')
            return ['rollup'];
          return [];
        }),
      );
    }
    return runs.flat().filter((e) => e === 'signal').length === signals ? runs : undefined;
  });
}

const count = (steps: Step[], what: Step) => steps.filter((e) => e === what).length;

/** The input the month's (latest) re-rollup run was started with. */
async function runInput(month: string): Promise<unknown> {
  const handle = app.connections.temporal.workflow.getHandle(prefixedId(rerollupWorkflowId(month)));
  const started = (await handle.fetchHistory()).events?.[0]
    ?.workflowExecutionStartedEventAttributes;
  const data = started?.input?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('re-rollup debounce', () => {
  it('a burst of late corrections costs one rollup', async () => {
    const month = '2011-01';
    // Spread over a few seconds, so the workflow sees them one by one, never quiet for long.
    for (let i = 0; i < 10; i++) {
      await requestRerollup(app.connections.temporal, month);
      await sleep(QUIET_MS / 10);
    }
    const runs = await finishedRuns(month, 10);
    // One run took the whole burst, and rolled up once, after it.
    expect(runs).toHaveLength(1);
    expect(count(runs.flat(), 'rollup')).toBe(1);
    expect(runs.flat().at(-1)).toBe('rollup');
    // Started with the settings, as requestRerollup (the projections worker's call) passes them.
    expect(await runInput(month)).toMatchObject({
      month,
      quietMs: QUIET_MS,
      maxDelayMs: MAX_DELAY_MS,
    });
  });

  it('a steady stream of corrections still rolls up within the cap', async () => {
    const month = '2011-02';
    // A signal every third of the quiet time, for longer than the cap (and less than two).
    const streamMs = MAX_DELAY_MS * 1.5;
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < streamMs) {
      await requestRerollup(app.connections.temporal, month);
      sent++;
      await sleep(QUIET_MS / 3);
    }
    const runs = await finishedRuns(month, sent);
    const steps = runs.flat();
    // One rollup forced by the cap while signals still came, one after the stream ended.
    expect(count(steps, 'rollup')).toBe(2);
    const firstRollup = steps.indexOf('rollup');
    expect(count(steps.slice(firstRollup), 'signal')).toBeGreaterThan(0);
    expect(steps.at(-1)).toBe('rollup');
  });
});
