/** The alias every reader and the live projection use; it points at one generation. */
export function ordersAlias(prefix: string): string {
  return `${prefix}orders`;
}

/**
 * The alias on the generation a rebuild is filling, until its swap: every live write to the
 * orders alias goes there too, so the rebuilt index never lacks what the live one has.
 */
export function ordersRebuildAlias(prefix: string): string {
  return `${prefix}orders-rebuilding`;
}

/** A concrete orders index; a rebuild writes the next generation, then swaps the alias. */
export function ordersIndexName(prefix: string, generation: number): string {
  return `${prefix}orders-v${generation}`;
}

/** Matches every generation of the orders index (and nothing of another prefix's). */
export function ordersIndexPattern(prefix: string): string {
  return `${prefix}orders-v*`;
}

/** The generation of a concrete orders index name for `prefix`, or null if it is not one. */
export function generationOf(prefix: string, index: string): number | null {
  const base = `${prefix}orders-v`;
  if (!index.startsWith(base)) return null;
  const digits = index.slice(base.length);
  return /^[1-9]\d*$/.test(digits) ? Number(digits) : null;
}

/** The index of rolled-up reports (manifests, product rows, month markers). */
export function reportsIndexName(prefix: string): string {
  return `${prefix}order_reports`;
}
