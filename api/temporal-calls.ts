import type { Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { config } from '../config/env';

// gRPC status codes: a call that ran out of time, or a server that cannot be reached.
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

function isUnanswered(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === DEADLINE_EXCEEDED || code === UNAVAILABLE) return true;
  }
  return false;
}

/**
 * Runs the Temporal calls of one request outside the command path (status, rebuild,
 * health) under one deadline, TEMPORAL_CALL_TIMEOUT_MS by default: a Temporal that does
 * not answer becomes SERVICE_UNAVAILABLE for the caller instead of a request that hangs.
 */
export async function withTemporalDeadline<T>(
  client: Client,
  what: string,
  call: () => Promise<T>,
  timeoutMs: number = config().TEMPORAL_CALL_TIMEOUT_MS,
): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, call);
  } catch (err) {
    if (err instanceof TRPCError || !isUnanswered(err)) throw err;
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: `${what}: Temporal did not answer within ${timeoutMs} ms; try again shortly`,
      cause: err,
    });
  }
}
