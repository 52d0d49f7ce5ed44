// Measurement helpers for the benchmarks: latency summaries, sequential and sustained
// (fixed window, fixed concurrency) runs, and where the machine's CPU went meanwhile.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  count: number;
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2
      ? (sorted[mid] ?? Number.NaN)
      : ((sorted[mid] ?? Number.NaN) + (sorted[mid - 1] ?? Number.NaN)) / 2;
  return {
    count: sorted.length,
    medianMs: median,
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    meanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

// ---------------------------------------------------------------------------------------
// CPU accounting from /proc: on a 2-core machine shared by every server (and possibly by
// other people's runs), a throughput number means little without knowing who used the CPU.

/** Linux reports process times in clock ticks of 1/100 s on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

export type CpuGroup =
  | 'bench process'
  | 'postgres (orders_bench)'
  | 'postgres (other databases)'
  | 'postgres (background)'
  | 'elasticsearch'
  | 'redis'
  | 'temporal'
  | 'everything else';

export interface CpuSnapshot {
  at: number;
  /** Busy ticks of the whole machine (all cores), from /proc/stat. */
  machineBusy: number;
  byGroup: Map<CpuGroup, number>;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function groupOf(pid: number, comm: string, cmdline: string): CpuGroup | null {
  if (pid === process.pid) return 'bench process';
  if (comm === 'postgres') {
    // Backends are titled "postgres: <user> <database> <client> <state>".
    const backend = /^postgres: \S+ (\S+) \d/.exec(cmdline);
    if (!backend) return 'postgres (background)';
    return backend[1] === 'orders_bench' ? 'postgres (orders_bench)' : 'postgres (other databases)';
  }
  if (comm === 'java' && cmdline.includes('org.elasticsearch')) return 'elasticsearch';
  if (comm.startsWith('redis-server')) return 'redis';
  if (comm === 'temporal') return 'temporal';
  return null;
}

export function cpuSnapshot(): CpuSnapshot {
  const byGroup = new Map<CpuGroup, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After "pid (comm) ": state is field 0, utime 11, stime 12.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const cmdline = (readText(`/proc/${entry}/cmdline`) ?? '').replaceAll('\0', ' ').trim();
    const group = groupOf(Number(entry), comm, cmdline);
    if (!group || Number.isNaN(ticks)) continue;
    byGroup.set(group, (byGroup.get(group) ?? 0) + ticks);
  }
  const cpuLine = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const [, ...values] = cpuLine.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
  const busy = values.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return { at: performance.now(), machineBusy: busy, byGroup };
}

/** Average cores used per group between two snapshots ('everything else' = machine − known). */
export function cpuUsage(from: CpuSnapshot, to: CpuSnapshot): Record<string, number> {
  const seconds = (to.at - from.at) / 1000;
  const cores = (ticks: number) => Number((ticks / CLOCK_TICKS_PER_SECOND / seconds).toFixed(2));
  const result: Record<string, number> = {};
  let known = 0;
  for (const [group, ticks] of to.byGroup) {
    const delta = Math.max(0, ticks - (from.byGroup.get(group) ?? 0));
    known += delta;
    result[group] = cores(delta);
  }
  const machine = to.machineBusy - from.machineBusy;
  result['everything else'] = cores(Math.max(0, machine - known));
  result['machine total'] = cores(machine);
  return result;
}

// ---------------------------------------------------------------------------------------

export interface SequentialOptions {
  /** Stop after this many runs... */
  runs: number;
  /** ...or once this much time has passed, whichever comes first... */
  maxMs: number;
  /** ...but never before this many. */
  minRuns: number;
}

/** Runs `fn` one call at a time; each call's latency. */
export async function measureSequential(
  fn: (i: number) => Promise<unknown>,
  options: SequentialOptions,
): Promise<LatencySummary> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < options.runs; i++) {
    if (i >= options.minRuns && performance.now() - start > options.maxMs) break;
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

export interface SustainedResult {
  seconds: number;
  concurrency: number;
  completed: number;
  errors: number;
  firstError: string | null;
  queriesPerSecond: number;
  latency: LatencySummary;
  /** Average cores used per group during the window. */
  cpu: Record<string, number>;
}

/**
 * `concurrency` loops calling `fn` back to back for `seconds`; counts the calls that
 * completed inside the window (a call still running at the end is waited for, not counted).
 */
export async function measureSustained(
  fn: (i: number) => Promise<unknown>,
  seconds: number,
  concurrency: number,
): Promise<SustainedResult> {
  const samples: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const before = cpuSnapshot();
  const start = performance.now();
  const end = start + seconds * 1000;
  let completed = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const i = next++;
      const t = performance.now();
      try {
        await fn(i);
        const done = performance.now();
        if (done <= end) {
          completed++;
          samples.push(done - t);
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const after = cpuSnapshot();
  return {
    seconds,
    concurrency,
    completed,
    errors,
    firstError,
    queriesPerSecond: completed / seconds,
    latency: summarize(samples),
    cpu: cpuUsage(before, after),
  };
}

/** Fixed-width text table. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)));
  const rule = widths.map((w) => '-'.repeat(w));
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)]
    .map((r) => r.join('  '))
    .join('\n');
}

export const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-');
export const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';

export interface QuietWait {
  waitedMs: number;
  /** Cores busy machine-wide in the last probe (this process idle meanwhile). */
  busyCores: number;
  quiet: boolean;
}

/**
 * Waits, up to `maxWaitMs`, until the machine is nearly idle while this process is: on a
 * shared box, other people's runs would otherwise be measured along with ours.
 */
export async function waitForQuiet(
  maxWaitMs: number,
  thresholdCores = 0.3,
  probeMs = 3_000,
): Promise<QuietWait> {
  const start = performance.now();
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, probeMs));
    const busyCores = cpuUsage(before, cpuSnapshot())['machine total'] ?? 0;
    const waitedMs = performance.now() - start;
    if (busyCores <= thresholdCores || waitedMs >= maxWaitMs) {
      return { waitedMs, busyCores, quiet: busyCores <= thresholdCores };
    }
  }
}
