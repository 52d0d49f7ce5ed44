// Benchmark "reports at scale" and "rebuild throughput":
//   npx tsx bench/reports-at-scale.ts [--quick]
// Loads N completed orders (1,000,000; 50,000 with --quick) into a dedicated database
// (orders_bench) through the event store's batch append, rebuilds the Elasticsearch read
// model from it with the product's rebuild activities (called in-process, no Temporal),
// loads the same orders into normalized tables, then measures the monthly report side by
// side: (a) cached in Redis, (b) live Elasticsearch aggregation, (c) the SQL JOIN,
// (d) a materialized view, (e) the rollup (hook: bench/rollup-hook.ts).
// Everything lives apart from app and test data: database orders_bench, index prefix
// `bench-`, Redis db 2 with key prefix `bench:`. Tables on stdout, everything in
// bench/results/reports-at-scale.json; one module per concern under bench/reports-at-scale/.
import { parseArgs } from 'node:util';
import { runReportsAtScale } from './reports-at-scale/run';
import { settingsFor } from './reports-at-scale/settings';
import { measureRollup } from './rollup-hook';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
await runReportsAtScale(settingsFor(values.quick ?? false), { measureRollup });
