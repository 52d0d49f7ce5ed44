// Records command workflow histories for the replay test:
//   npx tsx test/support/record-histories.ts
// Re-record only on purpose (a workflow change that is meant to be incompatible ships
// with new workflow names or patches, and the old histories must still replay).
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { orderCommandWorkflowId } from '../../workflows/order-command-contract';
import { startTestApp } from './app';

const app = await startTestApp();
const writer = app.client('writer');
const recorded: Record<string, string> = {};

async function record(name: string, run: (commandId: string) => Promise<unknown>): Promise<void> {
  const commandId = randomUUID();
  await run(commandId).catch(() => undefined);
  const handle = app.connections.temporal.workflow.getHandle(orderCommandWorkflowId(commandId));
  await handle.result();
  recorded[name] = historyToJSON(await handle.fetchHistory());
}

try {
  const item = { productId: 'p-1', quantity: 3, unitPriceMinor: 250 };
  let orderId = '';
  await record('place', async (commandId) => {
    ({ orderId } = await writer.orders.place.mutate({
      commandId,
      customerId: 'c',
      region: 'eu',
      currency: 'EUR',
      items: [item],
    }));
  });
  await record('complete', (commandId) => writer.orders.complete.mutate({ commandId, orderId }));
  await record('refund', (commandId) =>
    writer.orders.refund.mutate({ commandId, orderId, reason: 'damaged' }),
  );
  await record('rejected-not-found', (commandId) =>
    writer.orders.complete.mutate({ commandId, orderId: 'missing-order' }),
  );
  for (const [name, json] of Object.entries(recorded)) {
    await writeFile(
      new URL(`../histories/order-command-${name}-with-projections.json`, import.meta.url),
      json,
    );
    console.log(`recorded ${name}`);
  }
} finally {
  await app.stop();
}
