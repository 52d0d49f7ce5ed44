import { Client, Connection } from '@temporalio/client';
import { config } from '../config/env';

/** A Temporal client for the configured server and namespace. */
export async function createTemporalClient(): Promise<Client> {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = config();
  const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: TEMPORAL_NAMESPACE });
}
