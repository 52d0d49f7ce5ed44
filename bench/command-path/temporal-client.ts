// The bench's Temporal client: waits for a server to be ready, and times every
// update-with-start call per workflow type (the API's Temporal call, as the API saw it).
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { NAMESPACE } from './context';

const READY_TIMEOUT_MS = 90_000;

/** A client whose update-with-start calls are timed into `calls`, keyed by workflow type. */
export function timedClient(connection: Connection, calls: Map<string, number[]>): Client {
  const interceptor: WorkflowClientInterceptor = {
    async startUpdateWithStart(input, next) {
      const t = performance.now();
      try {
        return await next(input);
      } finally {
        const list = calls.get(input.workflowType) ?? [];
        list.push(performance.now() - t);
        calls.set(input.workflowType, list);
      }
    },
  };
  return new Client({
    connection,
    namespace: NAMESPACE,
    interceptors: { workflow: [interceptor] },
  });
}

/** A connection once the server answers for the namespace (a server just started may not). */
export async function connectWhenReady(address: string): Promise<Connection> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      return connection;
    } catch (error) {
      await connection?.close();
      if (Date.now() > deadline) throw new Error(`${address} not ready: ${error}`);
      await sleep(500);
    }
  }
}
