import type { Client } from '@elastic/elasticsearch';
import type { Client as TemporalClient } from '@temporalio/client';
import { retryProjectionSignal } from '../../contracts/projection-controls';
import { ordersAlias } from '../../projections/elasticsearch';
import { runningParkedProjectionsQuery } from '../../temporal/projectors';

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

/**
 * Retries every projection this file still has parked (the alias is back by then), so a test
 * that failed half-way never leaves one behind: a parked order makes /healthz unhealthy and
 * the parked list non-empty for the file's later tests. A retry that does not project within
 * `timeoutMs` is terminated.
 */
export async function releaseParkedProjections(
  temporal: TemporalClient,
  timeoutMs = 30_000,
): Promise<string[]> {
  const query = runningParkedProjectionsQuery();
  const released: string[] = [];
  for await (const wf of temporal.workflow.list({ query })) {
    const handle = temporal.workflow.getHandle(wf.workflowId, wf.runId);
    await handle.signal(retryProjectionSignal);
    const ended = await Promise.race([
      handle.result().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    if (!ended) await handle.terminate('left parked by a test');
    released.push(wf.workflowId);
  }
  return released;
}
