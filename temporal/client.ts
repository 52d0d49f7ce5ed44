import { Client, Connection } from '@temporalio/client';
import { config } from '../config/env';

/**
 * A Temporal client for the configured server and namespace. Connecting gives up after
 * TEMPORAL_CONNECT_TIMEOUT_MS; per-call deadlines are the callers' (withDeadline).
 */
export async function createTemporalClient(): Promise<Client> {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_CONNECT_TIMEOUT_MS } = config();
  const connection = await Connection.connect({
    address: TEMPORAL_ADDRESS,
    connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS,
  });
  return new Client({ connection, namespace: TEMPORAL_NAMESPACE });
}
