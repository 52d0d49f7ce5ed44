import { randomUUID } from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_NAMESPACE } from '../bench/namespace';
import { config, parseConfig } from '../config/env';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { taskQueue } from '../temporal/task-queues';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

const { IndexedValueType } = temporal.api.enums.v1;
/** The namespace `npm start` uses when nothing says otherwise: the operators' view. */
const APP_NAMESPACE = parseConfig({}).TEMPORAL_NAMESPACE;

let app: TestApp;
let appNamespace: Client;
beforeAll(async () => {
  app = await startTestApp();
  appNamespace = new Client({
    connection: app.connections.temporal.connection,
    namespace: APP_NAMESPACE,
  });
});
afterAll(() => app?.stop());

async function registeredAttributes(namespace: string): Promise<Record<string, string>> {
  const { customAttributes } =
    await app.connections.temporal.connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(
    Object.entries(customAttributes ?? {}).map(([name, type]) => [name, IndexedValueType[type]]),
  );
}

describe('tests and benchmarks run in Temporal namespaces of their own', () => {
  it('the tests run in a namespace other than the app one', () => {
    expect(config().TEMPORAL_NAMESPACE).not.toBe(APP_NAMESPACE);
    expect(BENCH_NAMESPACE).not.toBe(APP_NAMESPACE);
  });

  it('the stack registers them with every custom search attribute the app namespace has', async () => {
    for (const namespace of [APP_NAMESPACE, config().TEMPORAL_NAMESPACE, BENCH_NAMESPACE]) {
      const registered = await registeredAttributes(namespace);
      for (const key of ALL_SEARCH_ATTRIBUTES) {
        expect(registered[key.name], `${namespace}: ${key.name}`).toBe(
          `INDEXED_VALUE_TYPE_${key.type}`,
        );
      }
    }
  });

  it("a command through the test app's API and workers lands in the test namespace, not the app's", async () => {
    const commandId = randomUUID();
    await app.client('writer').orders.place.mutate({
      commandId,
      customerId: 'c-namespace',
      region: 'eu',
      currency: 'EUR',
      items: [{ productId: 'p-namespace', quantity: 1, unitPriceMinor: 100 }],
    });
    const { workflowId } = await app.client('admin').admin.commands.get.query({ commandId });
    expect(workflowId).toBeDefined();
    const id = workflowId as string;

    // Where it ran: by id, straight from the server's store.
    const ran = await app.connections.temporal.workflow.getHandle(id).describe();
    expect(ran.taskQueue).toBe(taskQueue('commands'));
    await expect(appNamespace.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );

    // What an operator's query lists: every workflow of this run's task queues (the command
    // partition, the projectors) in the test namespace, none in the app's.
    const ofThisRun = `TaskQueue STARTS_WITH "${config().TASK_QUEUE_PREFIX}"`;
    await waitFor('the run’s workflows listed in the test namespace', async () =>
      (await app.connections.temporal.workflow.count(ofThisRun)).count >= 3 ? true : undefined,
    );
    expect((await appNamespace.workflow.count(ofThisRun)).count).toBe(0);
    expect((await appNamespace.workflow.count(`WorkflowId = "${id}"`)).count).toBe(0);
  });
});
