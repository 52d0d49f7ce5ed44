import { createRequire } from 'node:module';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type * as TemporalOtel from '@temporalio/interceptors-opentelemetry';
import { config } from '../config/env';
import { tracing } from '../runtime/tracing';
import { temporalConnectionOptions } from './connection-options';

/** Loaded with traces on only: it brings the OpenTelemetry SDK (a fraction of a second to load). */
const temporalOtel = () =>
  createRequire(import.meta.url)('@temporalio/interceptors-opentelemetry') as typeof TemporalOtel;

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
    if (lastRetryAt === 0) return;
    // Node runs due timers in the order they fall due, so a timer falling due after the last
    // retry's runs after it, however late a busy event loop gets to them. Skipping the wait
    // when that retry is already due (not yet run: the loop is behind) closed the channel
    // under it — "Channel has been shut down" thrown from its timer, files side by side.
    const wait = Math.max(0, lastRetryAt - Date.now());
    await new Promise((r) => setTimeout(r, wait + 50));
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
      ? {
          interceptors: {
            workflow: [new (temporalOtel().OpenTelemetryWorkflowClientInterceptor)()],
          },
        }
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
