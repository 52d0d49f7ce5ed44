import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:cluster`: the cluster tier, in the same isolated test environment as `npm test`.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/cluster/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // It kills servers and app processes: one file at a time.
    fileParallelism: false,
    testTimeout: 600_000,
  },
});
