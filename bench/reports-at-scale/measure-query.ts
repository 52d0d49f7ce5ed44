// One report scenario measured: sequential runs, then a fixed window at fixed concurrency,
// over the slots in turn (and, for Elasticsearch, the `took` of its searches).
import type { Client as EsClient } from '@elastic/elasticsearch';
import {
  type LatencySummary,
  measureSequential,
  measureSustained,
  type SustainedResult,
  summarize,
} from '../bench-stats';
import { watchSearches } from './es-diagnostics';
import { log } from './log';
import type { Settings } from './settings';
import { SLOTS, type Slot, slotAt } from './slots';

export interface ScenarioResult {
  key: string;
  label: string;
  measured: boolean;
  note: string | null;
  sequential: LatencySummary | null;
  sustained: SustainedResult | null;
  /** For Elasticsearch queries: `_search` requests per report and their `took`. */
  elasticsearch?: {
    searchesPerReport: number;
    /** `took` of the sequential runs' searches, then of those at concurrency. */
    tookSequential: LatencySummary;
    tookUnderLoad: LatencySummary;
  };
}

/** One monthly report; resolves with its number of products. */
export type Query = (slot: Slot) => Promise<number>;

export async function measureQuery(
  key: string,
  label: string,
  query: Query,
  s: Settings,
  note: string | null = null,
  es?: EsClient,
): Promise<ScenarioResult> {
  log(`measuring (${key}) ${label}`);
  // Warm-up: every slot once (connections, caches, JIT); not counted.
  for (const slot of SLOTS) await query(slot);
  let calls = 0;
  const counted = (i: number) => {
    calls++;
    return query(slotAt(i));
  };
  const searches = es ? watchSearches(es) : null;
  const sequential = await measureSequential(counted, s.sequential);
  searches?.stop();
  const sequentialCalls = calls;
  const loadedSearches = es ? watchSearches(es) : null;
  const sustained = await measureSustained(counted, s.windowSeconds, s.concurrency);
  loadedSearches?.stop();
  if (sustained.errors > 0) {
    log(`  ${sustained.errors} errors in the window, first: ${sustained.firstError}`);
  }
  const result: ScenarioResult = { key, label, measured: true, note, sequential, sustained };
  if (searches && loadedSearches) {
    result.elasticsearch = {
      searchesPerReport: searches.took.length / Math.max(1, sequentialCalls),
      tookSequential: summarize(searches.took),
      tookUnderLoad: summarize(loadedSearches.took),
    };
  }
  return result;
}
