// The command path under load (HTTP → tRPC → Temporal → event store → reply), both ways the
// API can send commands — partitioned (the default) and one workflow per command — side by
// side, next to its floors: an empty update-with-start workflow behind the same kind of HTTP
// endpoint, and the event store without Temporal; with projection lag, what a command costs
// the engine (history events, workflow tasks, where the time goes), CPU per part of the
// machine, and whether reports slow commands (the data set reports-at-scale leaves).
//
//   npm run bench -- command-path [--quick] [--seconds 60] [--warmup 5] [--connections 10,50]
//     [--servers sqlite,memory,postgres,sqlite-file,sqlite-wal]   sqlite: the stack's; the
//         others started here (sqlite-file / -wal: SQLite's defaults vs WAL + synchronous=normal)
//     [--scenarios command,command-reports,command-sql-report,empty,append,db-command]
//     [--command-paths partitioned,per-command] [--partitions N (the app's default)] [--inflight-per-partition N]
//     [--report-rate 10] [--report-clients 8] [--lag-every 20]
//     [--worker-option maxCachedWorkflows=500 …] [--worker-pool N] [--dynamic-config KEY=JSON …]
//     [--worker-queues projections,webhooks]   those queues in a worker process of their own
//         (`npm run worker -- --queues …`), the rest in the app (`npm start -- --queues …`)
//     [--label NAME]   results in bench/results/command-path-NAME.json
//
// Each command path runs as `npm start`'s process (API and workers) on the server under test,
// on the data set orders_bench_cmd / `benchcmd-` / Redis db 3, emptied at the start.
import { appEnvironment, COMMAND_PATH_DATA } from './harness/data-sets';

// config() is read once, when the app's modules load: the environment goes first.
Object.assign(process.env, appEnvironment(COMMAND_PATH_DATA));
await import('./command-path/run');
