// Vitest runs this before each test file, in the file's own process, before the file is
// imported. The file gets a database (a copy of the run's migrated template) and Elasticsearch,
// Redis and Temporal prefixes of its own: no file reads or waits for another's orders,
// projectors, schedules or partitions, so files can run side by side (vitest.config.ts).
// config() reads the environment once, on first use: after this.
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { createDatabase } from './test-databases';
import { databaseOf, fileEnvironment, fileSlug } from './test-run';

const run = inject('testRun');
const testDir = fileURLToPath(new URL('..', import.meta.url));
const testPath = expect.getState().testPath;
if (!testPath) throw new Error('vitest did not say which test file this process runs');
const own = fileEnvironment(run, fileSlug(testPath, testDir));
Object.assign(process.env, own);
await createDatabase(run.base.DATABASE_URL, databaseOf(own.DATABASE_URL), run.templateDatabase);
