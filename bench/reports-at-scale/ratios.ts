// How our report paths compare with the SQL baselines, as ratios of the measured numbers.
import type { ScenarioResult } from './measure-query';

export interface Ratio {
  baseline: string;
  ours: string;
  /** baseline median latency / ours: above 1, ours answers faster. */
  medianLatency: number;
  p99Latency: number;
  /** ours queries/s / baseline's: above 1, ours serves more. */
  throughput: number;
}

export function ratiosOf(scenarios: ScenarioResult[]): Ratio[] {
  const byKey = new Map(scenarios.map((sc) => [sc.key, sc]));
  const pairs: [string, string][] = [
    ['c', 'a'],
    ['d', 'a'],
    ['c', 'b'],
    ['d', 'b'],
    ['c', 'e'],
    ['d', 'e'],
  ];
  const ratios: Ratio[] = [];
  for (const [base, ours] of pairs) {
    const b = byKey.get(base);
    const o = byKey.get(ours);
    if (!b?.sequential || !o?.sequential || !b.sustained || !o.sustained) continue;
    ratios.push({
      baseline: base,
      ours,
      medianLatency: b.sequential.medianMs / o.sequential.medianMs,
      p99Latency: b.sequential.p99Ms / o.sequential.p99Ms,
      throughput: o.sustained.queriesPerSecond / b.sustained.queriesPerSecond,
    });
  }
  return ratios;
}
