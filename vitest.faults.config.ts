import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:faults`: the fault suite, in the same isolated test environment as `npm test`.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/faults/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // It stops and starts the servers every file relies on: one file at a time.
    fileParallelism: false,
    testTimeout: 300_000,
  },
});
