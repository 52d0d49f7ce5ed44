// Who used the CPU while a measurement ran, from /proc: on a 2-core machine shared by every
// server (and by other people's stacks), a rate means little without it. The stack's own
// servers are found by the port they listen on, so another stack's never counts as ours.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackPort } from './data-sets';
import { round } from './stats';

/** Linux clock ticks per second (USER_HZ): 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

/** Cores used per group over the window, plus `other` (the rest of the machine) and `machine`. */
export type Cores = Record<string, number>;

interface Proc {
  ppid: number;
  /** Ticks the process used so far. */
  own: number;
  /** Ticks of its children that exited and were waited for. */
  reaped: number;
}

const text = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process exited meanwhile
  }
};

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = text(`/proc/${entry}/stat`);
    if (!stat) continue;
    // After "pid (comm) ": state 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i]);
    out.set(Number(entry), { ppid: n(1), own: n(11) + n(12), reaped: n(13) + n(14) });
  }
  return out;
}

/** The process listening on `port` (a server of the stack), from /proc/net and the fds. */
export function listenerPid(port: number): number | undefined {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const sockets = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of text(table).split('\n')) {
      const c = line.trim().split(/\s+/);
      if (c[1]?.endsWith(hex) && c[3] === '0A') sockets.add(`socket:[${c[9]}]`); // 0A: LISTEN
    }
  }
  for (const pid of processes().keys()) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`))
        if (sockets.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
    } catch {}
  }
  return undefined;
}

interface Snapshot {
  at: number;
  machineBusy: number;
  ticks: Record<string, Map<number, number>>;
  postgresReaped: number;
}

function machineBusy(): number {
  const v = (text('/proc/stat').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  return v.reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
}

function snapshot(groups: Record<string, number[]>, postmaster: number | undefined): Snapshot {
  const procs = processes();
  const ticksOf = (pids: number[]) =>
    new Map(pids.filter((p) => procs.has(p)).map((p) => [p, procs.get(p)?.own ?? 0]));
  const ticks: Record<string, Map<number, number>> = {};
  for (const [group, pids] of Object.entries(groups)) ticks[group] = ticksOf(pids);
  if (postmaster !== undefined) {
    // Backends and parallel workers come and go: the postmaster's children at this moment.
    const children = [...procs].filter(([, p]) => p.ppid === postmaster).map(([pid]) => pid);
    ticks.postgres = ticksOf([postmaster, ...children]);
  }
  const reaped = postmaster === undefined ? 0 : (procs.get(postmaster)?.reaped ?? 0);
  return { at: performance.now(), machineBusy: machineBusy(), ticks, postgresReaped: reaped };
}

function cores(a: Snapshot, b: Snapshot): Cores {
  const seconds = (b.at - a.at) / 1000;
  const toCores = (ticks: number) => round(ticks / TICKS_PER_SECOND / seconds);
  const out: Cores = {};
  let known = 0;
  for (const [group, after] of Object.entries(b.ticks)) {
    const before = a.ticks[group] ?? new Map<number, number>();
    let used = 0;
    for (const [pid, t] of after) used += Math.max(0, t - (before.get(pid) ?? 0));
    if (group === 'postgres') {
      // Backends that exited in between: what the postmaster reaped, less what they had
      // used before the window (counted in the first snapshot).
      let gone = 0;
      for (const [pid, t] of before) if (!after.has(pid)) gone += t;
      used += Math.max(0, b.postgresReaped - a.postgresReaped - gone);
    }
    known += used;
    out[group] = toCores(used);
  }
  const busy = b.machineBusy - a.machineBusy;
  out.other = toCores(Math.max(0, busy - known));
  out.machine = toCores(busy);
  return out;
}

/**
 * Starts measuring: `bench` (this process), the stack's PostgreSQL (postmaster and children),
 * Elasticsearch and Redis, and the groups given (`app`, `temporal`: process ids).
 */
export function startCpuMeter(groups: Record<string, number[]> = {}): { stop(): Cores } {
  const server = (port: number) => {
    const pid = listenerPid(stackPort(port));
    return pid === undefined ? [] : [pid];
  };
  const all = {
    bench: [process.pid],
    elasticsearch: server(9200),
    redis: server(6379),
    ...groups,
  };
  const postmaster = listenerPid(stackPort(5432));
  const first = snapshot(all, postmaster);
  return { stop: () => cores(first, snapshot(all, postmaster)) };
}

/**
 * Waits, up to `maxWaitMs`, until the machine is nearly idle while this process is: other
 * people's runs would otherwise be measured with ours. Whether it was, and how busy.
 */
export async function waitForQuiet(
  maxWaitMs: number,
  thresholdCores = 0.3,
): Promise<{ quiet: boolean; busyCores: number }> {
  if (maxWaitMs <= 0) return { quiet: false, busyCores: Number.NaN }; // not looked at
  const start = performance.now();
  for (;;) {
    const meter = startCpuMeter();
    await sleep(3_000);
    const busyCores = meter.stop().machine ?? 0;
    if (busyCores <= thresholdCores || performance.now() - start >= maxWaitMs)
      return { quiet: busyCores <= thresholdCores, busyCores };
  }
}
