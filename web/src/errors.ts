import { TRPCClientError } from '@trpc/client';
import { FUTURE_MONTH, PAST_RETENTION } from '../../api/client';

// The API's refusals as the workspace shows them (no DOM here: pure tests import it).

export interface ShownError {
  status: number | null;
  title: string;
  message: string;
  /** The API's `data.reason`, when it gave one (e.g. FutureMonth). */
  reason: string | null;
}

/** An API failure as a person should read it: 401 and 403 say what to do. */
export function describeError(err: unknown): ShownError {
  if (err instanceof TRPCClientError) {
    const data = err.data as { httpStatus?: number; code?: string; reason?: string } | undefined;
    const status = data?.httpStatus ?? null;
    const reason = data?.reason ?? null;
    if (status === 401) {
      return {
        status,
        title: '401 Unauthorized',
        message: `${err.message}. Sign in again.`,
        reason,
      };
    }
    if (status === 403) {
      return { status, title: '403 Forbidden', message: `${err.message}.`, reason };
    }
    const code = data?.code ?? 'error';
    return { status, title: status ? `${status} ${code}` : code, message: err.message, reason };
  }
  return { status: null, title: 'Network error', message: String(err), reason: null };
}

/** The API's refusal of a report month past the read models' retention (`data.reason`). */
export function isPastRetention(err: unknown): boolean {
  return (
    err instanceof TRPCClientError &&
    (err.data as { reason?: string } | undefined)?.reason === PAST_RETENTION
  );
}

/** The API's refusal of a month that has not begun in its report time zone. */
export const isFutureMonth = (error: ShownError | null): boolean => error?.reason === FUTURE_MONTH;
