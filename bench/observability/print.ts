// The overhead tables: every cell, then per mode the median over rounds and its ratio to off.
import { printTable } from '../command-path/stats';
import type { CellResult } from './cell';
import { MODES, type Mode } from './modes';

export interface ModeSummary {
  mode: Mode;
  cells: number;
  commandsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  appCpuMsPerCommand: number;
  machineCpuMsPerCommand: number;
  /** Each median divided by off's median. */
  vsOff: {
    commandsPerSecond: number;
    p50: number;
    p99: number;
    appCpu: number;
    machineCpu: number;
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2
    ? (s[mid] ?? Number.NaN)
    : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export function printOverhead(results: CellResult[]): ModeSummary[] {
  printTable(
    'Every cell (commands: place and complete, each one command)',
    [
      'round',
      'mode',
      'commands/s',
      'p50 ms',
      'p99 ms',
      'app CPU ms/cmd',
      'machine CPU ms/cmd',
      'scrapes',
      'OTLP KiB',
      'errors',
    ],
    results.map((r) => [
      String(r.round + 1),
      r.mode,
      r.commandsPerSecond,
      r.latencyMs.p50,
      r.latencyMs.p99,
      r.appCpuMsPerCommand,
      r.machineCpuMsPerCommand,
      r.scrapes,
      Math.round(r.otlp.bytes / 1024),
      Object.values(r.errors).reduce((a, b) => a + b, 0),
    ]),
  );
  const of = (mode: Mode) => results.filter((r) => r.mode === mode);
  const medians = (cells: CellResult[]) => ({
    commandsPerSecond: median(cells.map((c) => c.commandsPerSecond)),
    p50Ms: median(cells.map((c) => c.latencyMs.p50)),
    p99Ms: median(cells.map((c) => c.latencyMs.p99)),
    appCpuMsPerCommand: median(cells.map((c) => c.appCpuMsPerCommand)),
    machineCpuMsPerCommand: median(cells.map((c) => c.machineCpuMsPerCommand)),
  });
  const off = medians(of('off'));
  const summary = MODES.map((mode): ModeSummary => {
    const m = medians(of(mode));
    return {
      mode,
      cells: of(mode).length,
      ...m,
      vsOff: {
        commandsPerSecond: r2(m.commandsPerSecond / off.commandsPerSecond),
        p50: r2(m.p50Ms / off.p50Ms),
        p99: r2(m.p99Ms / off.p99Ms),
        appCpu: r2(m.appCpuMsPerCommand / off.appCpuMsPerCommand),
        machineCpu: r2(m.machineCpuMsPerCommand / off.machineCpuMsPerCommand),
      },
    };
  });
  printTable(
    'Median over rounds, and its ratio to off',
    [
      'mode',
      'commands/s',
      'p50 ms',
      'p99 ms',
      'app CPU ms/cmd',
      'machine CPU ms/cmd',
      'ratio: cmd/s',
      'p99',
      'app CPU',
    ],
    summary.map((s) => [
      s.mode,
      s.commandsPerSecond,
      s.p50Ms,
      s.p99Ms,
      s.appCpuMsPerCommand,
      s.machineCpuMsPerCommand,
      s.vsOff.commandsPerSecond.toFixed(2),
      s.vsOff.p99.toFixed(2),
      s.vsOff.appCpu.toFixed(2),
    ]),
  );
  return summary;
}
