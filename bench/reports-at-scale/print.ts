// The tables a run prints: the load, rebuild throughput, the baseline, the report scenarios
// side by side and their ratios, and whether the machine was quiet and the servers stayed up.
import { formatTable, int, ms } from '../bench-stats';
import type { ReportsAtScaleResult } from './results';
import { SLOTS } from './slots';

export function printAll(r: ReportsAtScaleResult): void {
  const { load, settings: s } = r;
  console.log(
    `\n=== reports at scale (${r.mode}): ${int(s.orders)} orders, ${r.machine.cpus} cores, ${r.machine.totalMemoryGiB} GiB, node ${r.machine.node} ===`,
  );

  console.log('\nLoad: event store through EventStore.appendBatch');
  console.log(
    formatTable(
      ['what', 'value'],
      [
        [
          'orders / events / commands',
          `${int(load.orders)} / ${int(load.events)} / ${int(load.commands)}`,
        ],
        ['batch (orders) x calls in flight', `${int(load.batchOrders)} x ${load.concurrency}`],
        ['appendBatch events/s (append stages only)', int(load.appendEventsPerSecond)],
        ['end-to-end events/s (with generation)', int(load.eventsPerSecond)],
        ['append wall s', (load.appendWallMs / 1000).toFixed(1)],
        ['generation (decide/evolve/hash) s', (load.generateMs / 1000).toFixed(1)],
        ['vacuum analyze s', (load.vacuumAnalyzeMs / 1000).toFixed(1)],
        [
          'cores during append: pg / bench / other',
          `${cpuOf(load.appendCpu, 'postgres (orders_bench)')} / ${cpuOf(load.appendCpu, 'bench process')} / ${otherCpu(load.appendCpu)}`,
        ],
        [
          'CPU µs per event: pg backends / pg background / bench',
          `${cpuOf(load.appendCpuMicrosPerEvent, 'postgres (orders_bench)')} / ${cpuOf(load.appendCpuMicrosPerEvent, 'postgres (background)')} / ${cpuOf(load.appendCpuMicrosPerEvent, 'bench process')}`,
        ],
        [
          `ceiling if ${r.machine.cpus} idle cores did only this`,
          `${int(ceiling(load.appendCpuMicrosPerEvent, r.machine.cpus))} events/s`,
        ],
      ],
    ),
  );

  console.log(
    '\nRebuild throughput: createRebuildIndex + rebuildBatch until a short page, activities in-process ("decode" = this process\'s CPU in the call)',
  );
  console.log(
    formatTable(
      [
        'reader',
        'limit',
        'events',
        'batches',
        'copy s',
        'events/s',
        'readAll s (decode)',
        'readStreams s (decode)',
        'bulk ser s',
        'bulk rtt s',
        'fold+other s',
        'ES index s',
        'cores pg/es/bench/other',
      ],
      r.rebuilds.map((b) => [
        b.complete ? b.reader : `${b.reader} (partial)`,
        int(b.limit),
        int(b.events),
        int(b.batches),
        (b.copyMs / 1000).toFixed(1),
        int(b.eventsPerSecond),
        `${(b.breakdownMs.readAll / 1000).toFixed(1)} (${(b.breakdownMs.readAllDecodeCpu / 1000).toFixed(1)})`,
        `${(b.breakdownMs.readStreams / 1000).toFixed(1)} (${(b.breakdownMs.readStreamsDecodeCpu / 1000).toFixed(1)})`,
        (b.breakdownMs.bulkSerialize / 1000).toFixed(1),
        (b.breakdownMs.bulkRoundTrip / 1000).toFixed(1),
        (b.breakdownMs.foldAndOther / 1000).toFixed(1),
        (b.esIndexTimeMs / 1000).toFixed(1),
        `${cpuOf(b.cpu, 'postgres (orders_bench)')}/${cpuOf(b.cpu, 'elasticsearch')}/${cpuOf(b.cpu, 'bench process')}/${otherCpu(b.cpu)}`,
      ]),
    ),
  );
  console.log(
    `index: ${int(r.esIndex.luceneDocs ?? Number.NaN)} Lucene docs (orders + nested items), ${int((r.esIndex.storeBytes ?? 0) / 1024 ** 2)} MiB, ${r.esIndex.segments} segments`,
  );

  console.log(
    `\nBaseline: ${int(r.baseline.load.orders)} orders + ${int(r.baseline.load.items)} items inserted in ${(r.baseline.load.insertMs / 1000).toFixed(1)} s, indexed in ${(r.baseline.load.indexMs / 1000).toFixed(1)} s, analyzed in ${(r.baseline.load.analyzeMs / 1000).toFixed(1)} s; view: ${int(r.baseline.view.rows)} rows, create ${ms(r.baseline.view.createMs)} ms, REFRESH ${ms(r.baseline.view.refreshMs)} ms, REFRESH CONCURRENTLY ${ms(r.baseline.view.refreshConcurrentlyMs)} ms`,
  );
  console.log(
    `consistency (2025-06 EUR, ${r.consistency.products} products): JOIN vs ES ${r.consistency.joinVsElasticsearchMismatches} mismatches, view vs ES ${r.consistency.viewVsElasticsearchMismatches}`,
  );

  console.log(
    `\nReports at scale: monthly report (month x currency, all regions, ${SLOTS.length} slots in turn); sequential runs, then ${s.windowSeconds} s at concurrency ${s.concurrency}`,
  );
  console.log(
    formatTable(
      [
        'scenario',
        'runs',
        'median ms',
        'p99 ms',
        'q/s @c',
        'median ms @c',
        'p99 ms @c',
        'cores pg/es/redis/bench/other @c',
      ],
      r.reports.scenarios.map((sc) =>
        sc.sequential && sc.sustained
          ? [
              `(${sc.key}) ${sc.label}`,
              int(sc.sequential.count),
              ms(sc.sequential.medianMs),
              ms(sc.sequential.p99Ms),
              int(sc.sustained.queriesPerSecond),
              ms(sc.sustained.latency.medianMs),
              ms(sc.sustained.latency.p99Ms),
              `${cpuOf(sc.sustained.cpu, 'postgres (orders_bench)')}/${cpuOf(sc.sustained.cpu, 'elasticsearch')}/${cpuOf(sc.sustained.cpu, 'redis')}/${cpuOf(sc.sustained.cpu, 'bench process')}/${otherCpu(sc.sustained.cpu)}`,
            ]
          : [`(${sc.key}) ${sc.label}`, '-', '-', '-', '-', '-', '-', '-'],
      ),
    ),
  );
  for (const sc of r.reports.scenarios) {
    if (sc.note) console.log(`  (${sc.key}) ${sc.note}`);
    if (sc.elasticsearch) {
      const e = sc.elasticsearch;
      console.log(
        `  (${sc.key}) ${e.searchesPerReport.toFixed(2)} _search requests per report; took (time inside Elasticsearch per request) median ${ms(e.tookSequential.medianMs)} ms, p99 ${ms(e.tookSequential.p99Ms)} ms; at concurrency: median ${ms(e.tookUnderLoad.medianMs)} ms, p99 ${ms(e.tookUnderLoad.p99Ms)} ms`,
      );
    }
  }

  console.log('\nRatios baseline / ours (latency: >1 = ours faster; throughput: ours / baseline)');
  console.log(
    formatTable(
      ['baseline vs ours', 'median latency', 'p99 latency', 'throughput'],
      r.ratios.map((x) => [
        `(${x.baseline}) vs (${x.ours})`,
        `${x.medianLatency.toFixed(1)}x`,
        `${x.p99Latency.toFixed(1)}x`,
        `${x.throughput.toFixed(1)}x`,
      ]),
    ),
  );
  const busy = Object.entries(r.quietWaits).filter(([, w]) => !w.quiet);
  console.log(
    `\nMachine: ${busy.length} of ${Object.keys(r.quietWaits).length} phases started while others still used the CPU${busy.length ? ` (${busy.map(([p, w]) => `${p}: ${w.busyCores.toFixed(1)} cores`).join('; ')})` : ''}`,
  );
  console.log(
    `Interruptions (servers stopped by someone else, phase redone): ${r.interruptions.length}${r.interruptions.length ? ` (${r.interruptions.map((x) => `${x.phase}: ${x.down.join('+') || '?'}`).join('; ')})` : ''}`,
  );
}

/**
 * Events/s if `cores` idle cores ran only the benchmark's own work at the measured CPU cost
 * per event: an estimate for a machine nobody else uses (a contended one inflates the cost).
 */
function ceiling(microsPerEvent: Record<string, number>, cores: number): number {
  const own = [
    'postgres (orders_bench)',
    'postgres (background)',
    'bench process',
    'elasticsearch',
  ];
  const micros = own.reduce((sum, g) => sum + (microsPerEvent[g] ?? 0), 0);
  return micros > 0 ? (cores * 1e6) / micros : Number.NaN;
}

function cpuOf(cpu: Record<string, number>, group: string): string {
  return (cpu[group] ?? 0).toFixed(2);
}

/** Cores used by everything outside the benchmark's own servers and process. */
function otherCpu(cpu: Record<string, number>): string {
  const others = ['postgres (other databases)', 'temporal', 'everything else'];
  return others.reduce((sum, g) => sum + (cpu[g] ?? 0), 0).toFixed(2);
}
