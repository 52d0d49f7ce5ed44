import type { Client } from '@elastic/elasticsearch';
import { ordersAlias } from '../../projections/elasticsearch/names';

/**
 * Runs `work` while the orders alias points at an index whose mapping refuses a text
 * `region` (a numeric one still fits): a document the read model rejects for good, as an
 * operator's mistake would make. The alias is restored, and the index dropped, afterwards.
 */
export async function withBrokenOrdersAlias<T>(
  es: Client,
  prefix: string,
  work: () => Promise<T>,
): Promise<T> {
  const alias = ordersAlias(prefix);
  const good = Object.keys(await es.indices.getAlias({ name: alias }));
  const broken = `${prefix}broken-${Date.now()}`;
  await es.indices.create({
    index: broken,
    mappings: { properties: { region: { type: 'long' } } },
  });
  await es.indices.updateAliases({
    actions: [
      ...good.map((index) => ({ remove: { index, alias } })),
      { add: { index: broken, alias } },
    ],
  });
  try {
    return await work();
  } finally {
    await es.indices.updateAliases({
      actions: [
        { remove: { index: broken, alias } },
        ...good.map((index) => ({ add: { index, alias } })),
      ],
    });
    await es.indices.delete({ index: broken });
  }
}
