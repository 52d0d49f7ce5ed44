import { setMaxListeners } from 'node:events';
import type { CommandErrorCode } from '../contracts/order-commands';

/** A command refused by the domain or by idempotency/concurrency rules, or not known yet. */
export class CommandRejectedError extends Error {
  override name = 'CommandRejectedError';
  constructor(
    readonly code: CommandErrorCode | 'Unavailable',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The outcome is not known yet: the caller resends the same command id. */
export function notYet(reason: string): CommandRejectedError {
  return new CommandRejectedError(
    'Unavailable',
    `${reason}; the outcome is not known yet: retry with the same commandId (a command id is never applied twice)`,
  );
}

/**
 * gRPC codes worth resending within the deadline: RESOURCE_EXHAUSTED (too many in-flight
 * updates), FAILED_PRECONDITION (a workflow task failing, e.g. while a store comes back),
 * UNAVAILABLE (the server restarting or unreachable). The update id makes a resend safe.
 */
export function isBusy(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 8 || code === 9 || code === 14) return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Short, growing pauses between resends (50 ms … 1 s). */
export function resendPause(attempt: number): Promise<unknown> {
  return sleep(Math.min(50 * 2 ** attempt, 1_000));
}

/**
 * Runs `work` with a deadline: past it the caller gets 503 "retry with the same commandId"
 * whatever `work` is waiting for, and `work` sees its signal aborted (so its Temporal calls
 * are cancelled, not left to linger). The command itself may still finish later: a resend
 * of the same command id then gets that one outcome.
 */
export function withinDeadline<T>(
  deadlineMs: number,
  work: (deadline: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  // Each resend's Temporal call listens on it (at most one resend per 50 ms … 1 s).
  setMaxListeners(1_000, controller.signal);
  return new Promise<T>((resolve, reject) => {
    // Cleared once the work settles: a deadline left running fired its abort, and every
    // listener on it, seconds after each answered command (a cost per command at load).
    const timer = setTimeout(() => {
      controller.abort();
      reject(notYet(`the command did not finish within ${deadlineMs} ms`));
    }, deadlineMs);
    work(controller.signal)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}
