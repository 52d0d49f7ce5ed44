import type fc from 'fast-check';
import { fuzzParameters } from './fuzz';

/** vitest.config.ts's testTimeout, for the tests that do not set their own. */
const TEST_TIMEOUT = 60_000;
export const PROPERTY_TIMEOUT = 90_000;
/** Out of a test's timeout: what is left after the property for its report and the ledger. */
const AFTER_PROPERTY_MS = 15_000;

/**
 * fast-check settings for a property given `share` of a test's time: it stops before the
 * test times out, so even a slow shrink reports its seed and counterexample. FUZZ_SEED=<n>
 * replays a run.
 */
export const runs = <T>(
  numRuns: number,
  testTimeoutMs = TEST_TIMEOUT,
  share = 1,
): fc.Parameters<T> =>
  fuzzParameters<T>(numRuns, Math.floor((testTimeoutMs - AFTER_PROPERTY_MS) * share));
