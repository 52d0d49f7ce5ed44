import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { logger } from '../runtime/logger';
import { CommandRejectedError } from './command-deadline';

const CODE_FOR: Record<CommandRejectedError['code'], TRPC_ERROR_CODE_KEY> = {
  InvalidCommand: 'BAD_REQUEST',
  OrderNotFound: 'NOT_FOUND',
  OrderAlreadyExists: 'CONFLICT',
  InvalidTransition: 'CONFLICT',
  ConcurrencyConflict: 'CONFLICT',
  CommandIdConflict: 'CONFLICT',
  // The server cannot process it (its code, its database), not the caller's input: the
  // message says nothing was saved and when to send it again.
  CommandUnprocessable: 'INTERNAL_SERVER_ERROR',
  Unavailable: 'SERVICE_UNAVAILABLE',
};

/** Maps what a command path threw to the tRPC error a caller can act on. */
export function toTRPCError(err: unknown, correlationId: string): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof CommandRejectedError) {
    return new TRPCError({
      code: CODE_FOR[err.code] ?? 'INTERNAL_SERVER_ERROR',
      message: err.message,
      cause: err,
    });
  }
  if (isTransient(err)) {
    logger.warn({ err, correlationId }, 'command not accepted: Temporal unavailable');
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'the workflow engine is unavailable; retry with the same commandId',
    });
  }
  logger.error({ err, correlationId }, 'command failed');
  return new TRPCError({
    code: 'INTERNAL_SERVER_ERROR',
    message: `internal error (correlation id ${correlationId}); retrying with the same commandId is safe`,
  });
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED from Temporal (a restart, an overload): worth a retry. */
function isTransient(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 14 || code === 4) return true;
  }
  return false;
}
