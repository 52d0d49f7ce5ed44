import type { Client, estypes } from '@elastic/elasticsearch';
import { responseErrorOf } from './es-errors';
import { indexSettings, replicaSettings } from './index-settings';
import {
  generationOf,
  ordersAlias,
  ordersIndexName,
  ordersIndexPattern,
  ordersRebuildAlias,
} from './names';

const ordersMappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    orderId: { type: 'keyword' },
    customerId: { type: 'keyword' },
    region: { type: 'keyword' },
    currency: { type: 'keyword' },
    status: { type: 'keyword' },
    items: {
      type: 'nested',
      properties: {
        productId: { type: 'keyword' },
        quantity: { type: 'long' },
        unitPriceMinor: { type: 'long' },
        lineTotalMinor: { type: 'long' },
      },
    },
    productIds: { type: 'keyword' },
    totalQuantity: { type: 'long' },
    totalMinor: { type: 'long' },
    placedAt: { type: 'date' },
    completedAt: { type: 'date' },
    cancelledAt: { type: 'date' },
    refundedAt: { type: 'date' },
    reportMonth: { type: 'keyword' },
    refundMonth: { type: 'keyword' },
    version: { type: 'long' },
  },
};

function isAlreadyExists(err: unknown): boolean {
  return responseErrorOf(err)?.type === 'resource_already_exists_exception';
}

/** Every index created under the pattern gets the strict mappings, however it is created. */
async function putOrdersTemplate(es: Client, prefix: string, replicas?: string): Promise<void> {
  await es.indices.putIndexTemplate({
    name: `${prefix}orders-template`,
    index_patterns: [ordersIndexPattern(prefix)],
    // Above the default 0, so a catch-all template elsewhere does not collide with this one.
    priority: 100,
    template: { settings: indexSettings(replicas), mappings: ordersMappings },
  });
}

async function createOrdersIndex(
  es: Client,
  index: string,
  replicas: string | undefined,
  alias?: string,
): Promise<void> {
  await es.indices.create({
    index,
    settings: indexSettings(replicas),
    mappings: ordersMappings,
    ...(alias ? { aliases: { [alias]: {} } } : {}),
  });
}

/** The concrete index the alias points to, or null if the alias does not exist. */
export async function currentOrdersIndex(es: Client, prefix: string): Promise<string | null> {
  const holders = await aliasHolders(es, prefix);
  // Swaps are atomic, so there is one holder; should there be more, the newest generation wins.
  const newest = holders.sort(
    (a, b) => (generationOf(prefix, b) ?? -1) - (generationOf(prefix, a) ?? -1),
  )[0];
  return newest ?? null;
}

async function aliasHolders(es: Client, prefix: string): Promise<string[]> {
  try {
    return Object.keys(await es.indices.getAlias({ name: ordersAlias(prefix) }));
  } catch (err) {
    if (responseErrorOf(err)?.status === 404) return [];
    throw err;
  }
}

/**
 * Makes sure the alias exists, creating generation 1 behind it the first time. Safe to call
 * from several workers at once: the loser of the creation race finds the winner's index.
 */
export async function ensureOrdersIndex(
  es: Client,
  prefix: string,
  replicas?: string,
): Promise<string> {
  await putOrdersTemplate(es, prefix, replicas);
  const alias = ordersAlias(prefix);
  const existing = await currentOrdersIndex(es, prefix);
  if (existing) {
    // An index created before a field existed gets it (adding a field is allowed; the
    // mapping is strict, so documents carrying it would be refused otherwise). Documents
    // written before lack it until they are projected again or the index is rebuilt.
    await es.indices.putMapping({ index: existing, properties: ordersMappings.properties ?? {} });
    // The configured replicas reach indices created before (or under another setting).
    await es.indices.putSettings({ index: existing, settings: replicaSettings(replicas) });
    return existing;
  }
  const first = ordersIndexName(prefix, 1);
  try {
    await createOrdersIndex(es, first, replicas, alias);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const current = await currentOrdersIndex(es, prefix);
  if (current) return current;
  // Generation 1 exists without the alias (left by an interrupted rebuild): adopt it.
  await es.indices.updateAliases({ actions: [{ add: { index: first, alias } }] });
  return first;
}

async function highestGeneration(es: Client, prefix: string): Promise<number> {
  const rows = await es.cat.indices({
    index: ordersIndexPattern(prefix),
    h: 'index',
    format: 'json',
    expand_wildcards: 'all',
  });
  const generations = rows.map((row) => (row.index ? generationOf(prefix, row.index) : null));
  return Math.max(0, ...generations.filter((g): g is number => g !== null));
}

/** A new, empty generation without the alias, for a rebuild to fill before swapping. */
export async function createNextOrdersIndex(
  es: Client,
  prefix: string,
  replicas?: string,
): Promise<string> {
  await putOrdersTemplate(es, prefix, replicas);
  // A concurrent creator may take the number we picked; the next one is as good.
  for (let attempt = 0; ; attempt++) {
    const index = ordersIndexName(prefix, (await highestGeneration(es, prefix)) + 1);
    try {
      await createOrdersIndex(es, index, replicas);
      return index;
    } catch (err) {
      if (!isAlreadyExists(err) || attempt >= 4) throw err;
    }
  }
}

/**
 * Marks `index` as the generation a rebuild is filling (the rebuild alias), taking the mark
 * from any other generation (a rebuild abandoned before its swap). Nothing to do when it is
 * marked already or serves the orders alias (swapped in), or when it does not exist.
 */
export async function markRebuildTarget(es: Client, prefix: string, index: string): Promise<void> {
  let aliases: string[];
  try {
    aliases = Object.keys((await es.indices.getAlias({ index }))[index]?.aliases ?? {});
  } catch (err) {
    if (responseErrorOf(err)?.status === 404) return;
    throw err;
  }
  const alias = ordersRebuildAlias(prefix);
  if (aliases.includes(alias) || aliases.includes(ordersAlias(prefix))) return;
  await es.indices.updateAliases({
    actions: [
      { remove: { index: ordersIndexPattern(prefix), alias, must_exist: false } },
      { add: { index, alias } },
    ],
  });
}

/**
 * The generations a rebuild is filling (none, normally one): live writes to the orders alias
 * go to them too. A caller looks after reading the events it writes, so a batch read before
 * a rebuild marked its index is one the rebuild's copy, which reads after the mark, covers.
 */
export async function rebuildTargets(es: Client, prefix: string): Promise<string[]> {
  try {
    return Object.keys(await es.indices.getAlias({ name: ordersRebuildAlias(prefix) }));
  } catch (err) {
    if (responseErrorOf(err)?.status === 404) return [];
    throw err;
  }
}

/**
 * Points the alias at `newIndex` only, in one atomic step, and takes the rebuild mark off it
 * (writes to the alias now reach it); returns where the alias was removed.
 */
export async function swapOrdersAlias(
  es: Client,
  prefix: string,
  newIndex: string,
): Promise<string[]> {
  const alias = ordersAlias(prefix);
  const previous = (await aliasHolders(es, prefix)).filter((index) => index !== newIndex);
  await es.indices.updateAliases({
    actions: [
      // The wildcard also catches a generation that got the alias after we looked.
      {
        remove: {
          indices: [...previous, ordersIndexPattern(prefix)],
          alias,
          must_exist: false,
        },
      },
      { add: { index: newIndex, alias } },
      { remove: { index: newIndex, alias: ordersRebuildAlias(prefix), must_exist: false } },
    ],
  });
  return previous;
}
