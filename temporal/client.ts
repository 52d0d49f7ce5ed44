import { Client, Connection } from '@temporalio/client';
import { config } from '../config/env';
import { temporalConnectionOptions } from './connection-options';

/**
 * A Temporal client for the configured server and namespace. Connecting gives up after
 * TEMPORAL_CONNECT_TIMEOUT_MS; per-call deadlines are the callers' (withDeadline).
 */
export async function createTemporalClient(): Promise<Client> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config()),
    connectTimeout: config().TEMPORAL_CONNECT_TIMEOUT_MS,
  });
  return new Client({ connection, namespace: config().TEMPORAL_NAMESPACE });
}
