import { randomUUID } from 'node:crypto';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { ReportSlot, ReportView } from '../report-slot';
import { deleteMatching } from './delete-matching';
import { responseErrorOf } from './es-errors';
import { indexSettings, replicaSettings } from './index-settings';
import {
  MONTH_MARKER_MAPPING,
  type MonthMarker,
  monthMarkerId,
  rollupCaughtUp,
} from './month-markers';
import { reportsIndexName } from './names';
import type { MonthlyReportNumbers } from './reports';

const viewOf = (slot: { view?: ReportView }): ReportView => slot.view ?? 'restated';

const ALL_REGIONS = '*';
const regionKey = (region: string | null) => region ?? ALL_REGIONS;

/**
 * The manifest of a slot names its current rollup; product documents carry their rollup
 * id. A re-rollup writes a new set, then flips the manifest in one write, so a reader sees
 * the old set or the new one, never a mix. The previous set is kept until the next
 * rollup, for readers that read the old manifest just before the flip.
 */
interface Manifest {
  kind: 'manifest';
  /** Absent on manifests written before views existed: those are restated. */
  view?: ReportView;
  period: string;
  currency: string;
  region: string;
  rollupId: string;
  previousRollupId: string | null;
  totals: MonthlyReportNumbers['totals'];
  productCount: number;
  /**
   * The report's rows in answer order, so a read is one GET of one document (a search
   * for 1,000 product documents spent most of its time moving and parsing hits; see
   * BENCHMARKS.md). Manifests written before this field existed lack it.
   */
  rows?: MonthlyReportNumbers['products'];
  generatedAt: string;
}

interface ProductRow {
  kind: 'product';
  view?: ReportView;
  period: string;
  currency: string;
  region: string;
  rollupId: string;
  productId: string;
  orderCount: number;
  totalQuantity: number;
  totalSalesMinor: number;
  avgUnitPriceMinor: number;
  generatedAt: string;
}

export class RollupConflictError extends Error {
  override name = 'RollupConflictError';
}

// Restated keeps the id it had before views existed, so its old manifests stay current.
const manifestId = (s: ReportSlot) =>
  `${s.month}|${s.currency}|${regionKey(s.region)}${viewOf(s) === 'booked' ? '|booked' : ''}`;

/** Documents of the slot's view; documents written before views existed are restated. */
function viewFilter(view: ReportView): estypes.QueryDslQueryContainer {
  return view === 'booked'
    ? { term: { view: 'booked' } }
    : { bool: { must_not: [{ term: { view: 'booked' } }] } };
}

const MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    kind: { type: 'keyword' },
    view: { type: 'keyword' },
    period: { type: 'keyword' },
    currency: { type: 'keyword' },
    region: { type: 'keyword' },
    rollupId: { type: 'keyword' },
    previousRollupId: { type: 'keyword' },
    productId: { type: 'keyword' },
    orderCount: { type: 'long' },
    totalQuantity: { type: 'long' },
    totalSalesMinor: { type: 'long' },
    avgUnitPriceMinor: { type: 'long' },
    productCount: { type: 'long' },
    // Stored, not indexed: read back whole with the manifest, never searched.
    rows: { type: 'object', enabled: false },
    totals: {
      properties: {
        orderCount: { type: 'long' },
        totalQuantity: { type: 'long' },
        totalSalesMinor: { type: 'long' },
      },
    },
    generatedAt: { type: 'date' },
    ...MONTH_MARKER_MAPPING,
  },
};

export async function ensureReportsIndex(
  es: Client,
  prefix: string,
  replicas?: string,
): Promise<void> {
  const index = reportsIndexName(prefix);
  if (await es.indices.exists({ index })) {
    // Indices created before a field was added get it (adding a field is allowed; the
    // mapping is strict, so a manifest with rows would be refused otherwise).
    await es.indices.putMapping({ index, properties: MAPPINGS.properties ?? {} });
    await es.indices.putSettings({ index, settings: replicaSettings(replicas) });
    return;
  }
  try {
    await es.indices.create({
      index,
      settings: indexSettings(replicas),
      mappings: MAPPINGS,
    });
  } catch (err) {
    if (responseErrorOf(err)?.type !== 'resource_already_exists_exception') throw err;
  }
}

async function readManifest(
  es: Client,
  prefix: string,
  slot: ReportSlot,
): Promise<{ manifest: Manifest; seqNo: number; primaryTerm: number } | null> {
  const res = await es.get<Manifest>(
    { index: reportsIndexName(prefix), id: manifestId(slot) },
    { ignore: [404] },
  );
  if (!res.found || !res._source) return null;
  return { manifest: res._source, seqNo: res._seq_no ?? 0, primaryTerm: res._primary_term ?? 0 };
}

// The month markers live in month-markers.ts; re-exported for the callers that import them here.

/** The slots rolled up for a month, in any view (each slot once, without its view). */
export async function rolledUpSlots(
  es: Client,
  prefix: string,
  month: string,
): Promise<ReportSlot[]> {
  const res = await es.search<Manifest>({
    index: reportsIndexName(prefix),
    size: 10_000,
    _source: { excludes: ['rows'] },
    query: { bool: { filter: [{ term: { kind: 'manifest' } }, { term: { period: month } }] } },
    ignore_unavailable: true,
  });
  const slots = new Map<string, ReportSlot>();
  for (const h of res.hits.hits) {
    if (!h._source) continue;
    const slot = {
      month,
      currency: h._source.currency,
      region: h._source.region === ALL_REGIONS ? null : h._source.region,
    };
    slots.set(`${slot.currency}/${regionKey(slot.region)}`, slot);
  }
  return [...slots.values()];
}

/**
 * Stores `report` as the slot's rollup: the product documents of a new set, then the
 * manifest, conditioned on the manifest read before computing (`basis`). A concurrent
 * rollup that flipped first makes this one fail with RollupConflictError: retry it,
 * recomputing from fresh data.
 *
 * Each write is made searchable before the next step (`refresh: true`, as the projector's
 * batches): waiting for the index's periodic refresh instead ('wait_for') cost a whole
 * refresh_interval per write — about 3 s per slot and view at the default 1 s, for ever
 * with refreshes turned off — on an index written a few times a month.
 */
export async function writeRollup(
  es: Client,
  prefix: string,
  report: MonthlyReportNumbers,
  basis: RollupBasis,
  generatedAt: string,
): Promise<string> {
  const index = reportsIndexName(prefix);
  const slot: ReportSlot = {
    month: report.month,
    currency: report.currency,
    region: report.region,
    view: report.view,
  };
  const rollupId = randomUUID();
  const region = regionKey(slot.region);
  const operations = report.products.flatMap((p) => [
    { index: { _index: index, _id: `${manifestId(slot)}|${p.productId}|${rollupId}` } },
    {
      kind: 'product',
      view: report.view,
      period: slot.month,
      currency: slot.currency,
      region,
      rollupId,
      ...p,
      generatedAt,
    } satisfies ProductRow,
  ]);
  if (operations.length > 0) {
    const res = await es.bulk({ operations, refresh: true });
    if (res.errors)
      throw new Error(
        `rollup product write failed: ${JSON.stringify(res.items.find((i) => i.index?.error))}`,
      );
  }
  const manifest: Manifest = {
    kind: 'manifest',
    view: report.view,
    period: slot.month,
    currency: slot.currency,
    region,
    rollupId,
    previousRollupId: basis?.rollupId ?? null,
    totals: report.totals,
    productCount: report.products.length,
    rows: [...report.products].sort(byAnswerOrder).map((p) => ({
      productId: p.productId,
      orderCount: p.orderCount,
      totalQuantity: p.totalQuantity,
      totalSalesMinor: p.totalSalesMinor,
      avgUnitPriceMinor: p.avgUnitPriceMinor,
    })),
    generatedAt,
  };
  try {
    await es.index({
      index,
      id: manifestId(slot),
      document: manifest,
      refresh: true,
      ...(basis
        ? { if_seq_no: basis.seqNo, if_primary_term: basis.primaryTerm }
        : { op_type: 'create' as const }),
    });
  } catch (err) {
    if (responseErrorOf(err)?.status === 409) {
      throw new RollupConflictError(`another rollup of ${manifestId(slot)} finished first`);
    }
    throw err;
  }
  await deleteSetsExcept(es, prefix, slot, [rollupId, basis?.rollupId ?? rollupId]);
  return rollupId;
}

/** Sales descending, then product id: the order the product documents are read in. */
function byAnswerOrder(
  a: MonthlyReportNumbers['products'][number],
  b: MonthlyReportNumbers['products'][number],
): number {
  if (a.totalSalesMinor !== b.totalSalesMinor) return b.totalSalesMinor - a.totalSalesMinor;
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}

export type RollupBasis = { rollupId: string; seqNo: number; primaryTerm: number } | null;

/** Read before computing a rollup; pass to writeRollup. */
export async function rollupBasis(
  es: Client,
  prefix: string,
  slot: ReportSlot,
): Promise<RollupBasis> {
  const found = await readManifest(es, prefix, slot);
  return found
    ? { rollupId: found.manifest.rollupId, seqNo: found.seqNo, primaryTerm: found.primaryTerm }
    : null;
}

async function deleteSetsExcept(
  es: Client,
  prefix: string,
  slot: ReportSlot,
  keep: string[],
): Promise<void> {
  await deleteMatching(es, reportsIndexName(prefix), {
    bool: {
      filter: [
        { term: { kind: 'product' } },
        { term: { period: slot.month } },
        { term: { currency: slot.currency } },
        { term: { region: regionKey(slot.region) } },
        // The other view's sets of the same slot are not this rollup's to delete.
        viewFilter(viewOf(slot)),
      ],
      must_not: [{ terms: { rollupId: keep } }],
    },
  });
}

/**
 * Removes the slot's rollup, manifest and product sets: a rollup that refuses the slot
 * leaves no older numbers behind to be served as current (the slot is then answered live).
 */
export async function dropRollup(es: Client, prefix: string, slot: ReportSlot): Promise<void> {
  await es.delete(
    { index: reportsIndexName(prefix), id: manifestId(slot), refresh: true },
    { ignore: [404] },
  );
  await deleteSetsExcept(es, prefix, slot, []);
}

/**
 * The slot's manifest, or null when it was never rolled up or when a change projected into
 * the month since is not in its rollups yet (the month's marker counts it): one request.
 */
async function readCaughtUpManifest(
  es: Client,
  prefix: string,
  slot: ReportSlot,
): Promise<{ manifest: Manifest } | null> {
  const res = await es.mget<Manifest | MonthMarker>({
    index: reportsIndexName(prefix),
    ids: [manifestId(slot), monthMarkerId(slot.month)],
  });
  const [manifest, marker] = res.docs.map((d) => ('found' in d && d.found ? d._source : undefined));
  if (!manifest || !rollupCaughtUp(marker as MonthMarker | undefined)) return null;
  return { manifest: manifest as Manifest };
}

/**
 * A slot's rolled-up report, or null when it was never rolled up. With `caughtUp` (what
 * readers ask), also null while the month has a change its rollups miss, a re-rollup
 * pending: the reader answers live meanwhile, never an older rollup as current.
 */
export async function readRollup(
  es: Client,
  prefix: string,
  slot: ReportSlot,
  opts: { caughtUp?: boolean } = {},
): Promise<(MonthlyReportNumbers & { generatedAt: string }) | null> {
  const found = opts.caughtUp
    ? await readCaughtUpManifest(es, prefix, slot)
    : await readManifest(es, prefix, slot);
  if (!found) return null;
  const { manifest } = found;
  if (manifest.rows) {
    return {
      ...slot,
      view: viewOf(slot),
      totals: manifest.totals,
      products: manifest.rows,
      generatedAt: manifest.generatedAt,
    };
  }
  const products: MonthlyReportNumbers['products'] = [];
  let after: estypes.SortResults | undefined;
  while (products.length < manifest.productCount) {
    const res = await es.search<ProductRow>({
      index: reportsIndexName(prefix),
      size: Math.min(5_000, manifest.productCount),
      query: {
        bool: {
          filter: [{ term: { rollupId: manifest.rollupId } }, { term: { kind: 'product' } }],
        },
      },
      sort: [{ totalSalesMinor: 'desc' }, { productId: 'asc' }],
      ...(after ? { search_after: after } : {}),
    });
    const hits = res.hits.hits;
    if (hits.length === 0) break;
    for (const h of hits) {
      const p = h._source;
      if (p) {
        products.push({
          productId: p.productId,
          orderCount: p.orderCount,
          totalQuantity: p.totalQuantity,
          totalSalesMinor: p.totalSalesMinor,
          avgUnitPriceMinor: p.avgUnitPriceMinor,
        });
      }
    }
    after = hits[hits.length - 1]?.sort;
  }
  if (products.length !== manifest.productCount) {
    throw new Error(`rollup ${manifest.rollupId} of ${manifestId(slot)} is incomplete`);
  }
  return {
    ...slot,
    view: viewOf(slot),
    totals: manifest.totals,
    products,
    generatedAt: manifest.generatedAt,
  };
}
