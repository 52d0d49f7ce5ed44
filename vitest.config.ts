import { defineConfig } from 'vitest/config';
import { newRunId } from './test/support/test-run.ts';

// Tests share the real local stack with `npm start`, so they use their own database,
// Redis key prefix (database 0, as on a cluster), index prefix, task queues and Temporal namespace (registered by
// scripts/stack.sh) unless the caller points them elsewhere.
// Each run gets its own read models and task queues, and each file within it a database,
// index prefix, key prefix and task queues of its own (test/support/own-resources.ts): no
// file sees another's data, so files run side by side. The global setup removes them all.
const runId = newRunId();
const testEnv = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://orders:orders@127.0.0.1:5432/orders_test',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://:orders@127.0.0.1:6379',
  ES_INDEX_PREFIX: process.env.ES_INDEX_PREFIX ?? `test-${runId}-`,
  REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX ?? `test-${runId}:`,
  TASK_QUEUE_PREFIX: process.env.TASK_QUEUE_PREFIX ?? `test-${runId}`,
  TEST_RUN_ID: runId,
  // Not the app's `default`: the operators' queries there must never list a test's workflow.
  TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE ?? 'orders-test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // Tests write orders in months decades back; the retention test sets its own limit.
  READ_MODEL_RETENTION_MONTHS: process.env.READ_MODEL_RETENTION_MONTHS ?? '1200',
  // Processes of files running side by side (and an `npm start` beside them) never compete
  // for the fixed metrics ports: a test that scrapes one sets it.
  METRICS_PORT: '0',
  WORKER_METRICS_PORT: '0',
  TEMPORAL_METRICS_PORT: '0',
};
// The global setup runs in this process, the tests in forks: both see these.
Object.assign(process.env, testEnv);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite and the cluster tier stop servers: each runs on its own (`npm run
    // test:faults`, `npm run test:cluster`).
    exclude: ['test/faults/**', 'test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/support/own-resources.ts'],
    pool: 'forks',
    // Files share nothing but the servers, so they overlap their waits; more than this on
    // two cores only adds contention (measured: docs in README "Tests").
    fileParallelism: true,
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: testEnv,
  },
});
