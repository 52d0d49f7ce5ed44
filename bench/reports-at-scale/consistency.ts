// The three answers (Elasticsearch, the SQL JOIN, the materialized view) must agree before
// their speed means anything: one slot compared product by product.
import { computeMonthlyReport } from '../../projections/elasticsearch';
import { joinReport, type ProductRow, viewReport } from '../sql-baseline';
import type { RunContext } from './context';
import type { Slot } from './slots';

export interface Consistency {
  slot: Slot;
  products: number;
  joinVsElasticsearchMismatches: number;
  viewVsElasticsearchMismatches: number;
}

function sameProducts(a: ProductRow[], b: ProductRow[]): number {
  const byId = new Map(b.map((p) => [p.productId, p]));
  let mismatches = Math.abs(a.length - b.length);
  for (const p of a) {
    const q = byId.get(p.productId);
    if (
      !q ||
      q.orderCount !== p.orderCount ||
      q.totalQuantity !== p.totalQuantity ||
      q.totalSalesMinor !== p.totalSalesMinor
    ) {
      mismatches++;
    }
  }
  return mismatches;
}

export function checkConsistency(
  { es, pool, phase }: RunContext,
  alias: string,
): Promise<Consistency> {
  const checkSlot = { month: '2025-06', currency: 'EUR', region: null };
  return phase('consistency', async () => {
    const fromEs = (await computeMonthlyReport(es, alias, checkSlot)).products;
    const fromJoin = await joinReport(pool, checkSlot);
    const fromView = await viewReport(pool, checkSlot);
    return {
      slot: checkSlot,
      products: fromEs.length,
      joinVsElasticsearchMismatches: sameProducts(fromJoin, fromEs),
      viewVsElasticsearchMismatches: sameProducts(fromView, fromEs),
    };
  });
}
