import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { config } from '../config/env';
import { tracing } from '../runtime/tracing';
import { temporalConnectionOptions } from './connection-options';

/** gRPC status code 8. */
const RESOURCE_EXHAUSTED = 8;

const drains = new WeakMap<Client, () => Promise<void>>();

/**
 * The SDK's gRPC retries, with two changes. RESOURCE_EXHAUSTED is not retried here: the
 * command path resends it itself, within the command's deadline (the SDK's retry timer
 * outlives a cancelled call). And once closing, nothing is retried, and closing waits for
 * the retries already scheduled: a retry firing on a closed channel throws outside any
 * caller ("Channel has been shut down") and would take the process down at shutdown.
 */
function retriesUntilClosed() {
  const defaults = defaultGrpcRetryOptions();
  let closing = false;
  let lastRetryAt = 0;
  const interceptor = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, s) =>
      !closing && s.code !== RESOURCE_EXHAUSTED && defaults.retryableDecider(attempt, s),
    delayFunction: (attempt, s) => {
      const delay = defaults.delayFunction(attempt, s);
      lastRetryAt = Math.max(lastRetryAt, Date.now() + delay);
      return delay;
    },
  });
  async function drain(): Promise<void> {
    closing = true;
    const wait = lastRetryAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 50));
  }
  return { interceptor, drain };
}

/**
 * A Temporal client for the configured server and namespace. The connection is lazy: a
 * process starts while Temporal is unreachable, and its calls fail (commands: 503) until
 * it is back. Connecting gives up after TEMPORAL_CONNECT_TIMEOUT_MS; per-call deadlines
 * are the callers' (withDeadline, withAbortSignal).
 */
export async function createTemporalClient(): Promise<Client> {
  const retries = retriesUntilClosed();
  const connection = Connection.lazy({
    ...temporalConnectionOptions(config()),
    connectTimeout: config().TEMPORAL_CONNECT_TIMEOUT_MS,
    interceptors: [retries.interceptor],
  });
  const client = new Client({
    connection,
    namespace: config().TEMPORAL_NAMESPACE,
    // Traces on: each call gets a span, and its context travels to the workflow in headers.
    ...(tracing()
      ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }
      : {}),
  });
  drains.set(client, retries.drain);
  return client;
}

/** Closes a client of `createTemporalClient` once no retry of its calls is pending. */
export async function closeTemporalClient(client: Client): Promise<void> {
  await drains.get(client)?.();
  await client.connection.close();
}
