/**
 * The Temporal namespace every benchmark runs in, on the stack's server and on the servers
 * a benchmark starts itself: never the app's `default`, whose operators' queries must not
 * list a benchmark's workflows. scripts/stack.sh registers it with the app's search
 * attributes; a server a benchmark starts is given it (start-dev `--namespace`,
 * temporal-postgres.sh `--namespace`).
 */
export const BENCH_NAMESPACE = 'orders-bench';
