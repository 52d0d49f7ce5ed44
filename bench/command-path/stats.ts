// Small measurement helpers: exact percentiles, CPU accounting from /proc, table printing.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

// Nearest-rank percentile of an ascending array.
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    mean: round(sorted.length ? sum / sorted.length : Number.NaN),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Linux clock ticks per second (USER_HZ); 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

/** CPU ticks of a process so far, and of its children that exited and were waited for. */
function processTicks(pid: number): { own: number; reaped: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime, stime, cutime and cstime are
    // fields 14 to 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: Number(fields[11]) + Number(fields[12]),
      reaped: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return { own: 0, reaped: 0 }; // exited
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

interface ProcInfo {
  pid: number;
  comm: string;
  cmdline: string;
}

function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(entry), comm, cmdline });
    } catch {}
  }
  return out;
}

/** Which processes count as what, for CPU accounting. */
export interface CpuGroups {
  bench: number[];
  workers: number[];
  temporal: number[];
}

export interface CpuSnapshot {
  at: number;
  machine: { busy: number; total: number };
  /** Clock ticks used so far, per group, per process. */
  ticks: Record<string, Map<number, number>>;
  /**
   * PostgreSQL: ticks of the postmaster's children that exited (backends that closed,
   * parallel query workers): short-lived processes a per-process sample misses.
   */
  postgresReaped: number;
}

export function findTemporalServerPid(port: number): number | undefined {
  return listProcesses().find(
    (p) => p.cmdline.includes('start-dev') && p.cmdline.includes(`--port ${port}`),
  )?.pid;
}

export function cpuSnapshot(groups: CpuGroups): CpuSnapshot {
  const procs = listProcesses();
  let postgresReaped = 0;
  const of = (pids: number[], reaped = false) =>
    new Map(
      pids.map((pid) => {
        const t = processTicks(pid);
        if (reaped) postgresReaped += t.reaped;
        return [pid, t.own];
      }),
    );
  const byComm = (match: (p: ProcInfo) => boolean, reaped = false) =>
    of(
      procs.filter(match).map((p) => p.pid),
      reaped,
    );
  return {
    at: performance.now(),
    machine: machineTicks(),
    ticks: {
      bench: of(groups.bench),
      workers: of(groups.workers),
      temporal: of(groups.temporal),
      postgres: byComm((p) => p.comm === 'postgres', true),
      elasticsearch: byComm((p) => p.comm === 'java' && p.cmdline.includes('elasticsearch')),
      redis: byComm((p) => p.comm.startsWith('redis-server')),
    },
    postgresReaped,
  };
}

const CPU_KEYS = ['bench', 'workers', 'temporal', 'postgres', 'elasticsearch', 'redis'] as const;

/**
 * Cores used per group between two snapshots: per process, ticks at the end minus ticks at
 * the start (0 for a process that started in between; one that exited is not counted).
 * `other` is the rest of the machine's busy time.
 */
export function cpuCores(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
  const out: Record<string, number> = {};
  let ours = 0;
  for (const k of CPU_KEYS) {
    const before = a.ticks[k] ?? new Map<number, number>();
    let d = 0;
    for (const [pid, ticks] of b.ticks[k] ?? []) d += Math.max(0, ticks - (before.get(pid) ?? 0));
    if (k === 'postgres') {
      // Processes that exited in between: what the postmaster reaped, less what they had
      // used before the first snapshot (counted there as their own).
      let gone = 0;
      for (const [pid, ticks] of before) if (!b.ticks[k]?.has(pid)) gone += ticks;
      d += Math.max(0, b.postgresReaped - a.postgresReaped - gone);
    }
    ours += d;
    out[k] = cores(d);
  }
  const busy = b.machine.busy - a.machine.busy;
  out.other = cores(Math.max(0, busy - ours));
  out.machineBusy = cores(busy);
  return out;
}

/** The busiest processes right now (a `ps` listing), to record what else was running. */
export function topProcesses(limit = 12): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pid,pcpu,etimes,rss,args', '--sort=-pcpu'], {
      encoding: 'utf8',
    });
    return out
      .split('\n')
      .slice(0, limit + 1)
      .map((l) => l.slice(0, 160));
  } catch {
    return [];
  }
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [n, row] of cells.entries()) {
    console.log(
      `  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`,
    );
    if (n === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  }
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Event-loop delay of this process since the last take(), ms: how long ready work waited. */
export function loopDelayMonitor(): { take(): LoopDelay } {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  return {
    take() {
      const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
      h.reset();
      return out;
    },
  };
}
