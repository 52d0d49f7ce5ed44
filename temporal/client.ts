import { Client, Connection } from '@temporalio/client';
import { config } from '../config/env';
import { temporalConnectionOptions } from './connection-options';

/** A Temporal client for the configured server and namespace. */
export async function createTemporalClient(): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config()));
  return new Client({ connection, namespace: config().TEMPORAL_NAMESPACE });
}
