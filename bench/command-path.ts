// Throughput and latency of the command path (HTTP → tRPC → update-with-start → the
// partition's commandPartitionWorkflow, or one orderCommandWorkflowV2 per command → event
// store → reply; both paths side by side), next to its floors: an empty
// update-with-start workflow behind the same kind of HTTP endpoint, and the event store
// without Temporal; plus projection lag (the projectors the workers run, one per read
// model) and the history events and workflow tasks per command. One module per scenario
// under bench/command-path/scenarios/.
//
//   npx tsx bench/command-path.ts [--quick] [--seconds N] [--connections N[,N…]]
//
// Defaults: 60 s per scenario (10 with --quick), 10 and 50 connections (also with --quick),
// three Temporal servers in turn: the stack's (127.0.0.1:7233, SQLite file), an in-memory
// dev server (127.0.0.1:7253) and the standalone server on PostgreSQL
// (scripts/temporal-postgres.sh, 127.0.0.1:7243, fresh databases temporal_bench*), the last
// two started here and stopped at the end (--quick: sqlite and memory only); workers in a
// child process. Results: a table per measurement on stdout, everything in
// bench/results/command-path.json.
//
// Experiments (results in bench/results/command-path-<label>.json with --label):
//   --servers sqlite,memory,postgres,sqlite-file,sqlite-wal   sqlite-file/-wal: fresh file-backed dev
//       servers started here, SQLite defaults vs journal_mode=wal + synchronous=normal
//   --command-paths partitioned,per-command   how the API sends commands (both by default, each
//       with its own API server on the same Temporal server and workers; every command cell
//       is measured for each): partitioned = --partitions N (default 4) commandPartitionWorkflows,
//       at most --inflight-per-partition N updates in flight each (default 8); per-command =
//       one orderCommandWorkflowV2 per command (COMMAND_PARTITIONS=0). The report scenarios
//       below run on the first path only.
//   --scenarios command,command-reports,command-sql-report,empty,append,db-command
//       command-reports / command-sql-report: the `command` load plus a fixed-rate report
//       load, --report-rate Q queries/s in total (default 10) with at most --report-clients N
//       in flight (default 8; a tick with all N busy is not sent and counts as `behind`).
//       Both ask for the same (month, currency) slots of the data set bench/reports-at-scale.ts
//       leaves: reports.monthly through a second API server reading its read model (bench-
//       indices, Redis db 2: cache, else rollup), or the SQL JOIN of bench/sql-baseline.ts on
//       orders_bench; skipped when absent. --api-reports live: reports.monthly of the current
//       month through the command bench's own API instead. Measured right after `command` on
//       the first server of --servers (--quick: its first cell only), compared in one table.
//   --inprocess-workers            workers in this process (one server only)
//   --wft-slots N --wft-pollers N --max-cached N --activity-pollers N --activity-slots N
//   --local-activity-slots N --workflow-threads N --nonsticky-ratio R   worker options
//   --worker-pool N                the workers' DATABASE_POOL_SIZE
//   --dynamic-config KEY=JSON      --dynamic-config-value for the servers started here
//   --lag-every N                  every Nth reply is followed for lag and its history sampled
//                                  (default 20; 5 with --quick)
//   --warmup S  --label NAME
//
// Isolated from the app and the tests: database orders_bench_cmd, Elasticsearch prefix
// `benchcmd-`, Redis db 3 with prefix `benchcmd:`, task queues `benchcmd-…`. This file only
// sets the environment: config() is read when the app's modules load, so the bench body is
// imported afterwards.
import { benchEnvironment, readSettings } from './command-path/settings';

const settings = readSettings();
Object.assign(process.env, benchEnvironment(settings));
const { runBench } = await import('./command-path/run-bench');
await runBench(settings);
