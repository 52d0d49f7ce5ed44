import { TRPCClientError } from '@trpc/client';
import { createOrdersClient, type OrdersClient, PAST_RETENTION } from '../../api/client';

export type { OrdersClient };

const TOKEN_KEY = 'orders.token';

/** The token lives for this tab only (sessionStorage), never in localStorage or a cookie. */
export const savedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** Same origin as the page: the API serves this app. */
export const clientFor = (token: string): OrdersClient =>
  createOrdersClient({ url: `${location.origin}/trpc`, token });

export interface ShownError {
  status: number | null;
  title: string;
  message: string;
}

/** An API failure as a person should read it: 401 and 403 say what to do. */
export function describeError(err: unknown): ShownError {
  if (err instanceof TRPCClientError) {
    const data = err.data as { httpStatus?: number; code?: string } | undefined;
    const status = data?.httpStatus ?? null;
    if (status === 401) {
      return { status, title: '401 Unauthorized', message: `${err.message}. Sign in again.` };
    }
    if (status === 403) {
      return { status, title: '403 Forbidden', message: `${err.message}.` };
    }
    const code = data?.code ?? 'error';
    return { status, title: status ? `${status} ${code}` : code, message: err.message };
  }
  return { status: null, title: 'Network error', message: String(err) };
}

/** The API's refusal of a report month past the read models' retention (`data.reason`). */
export function isPastRetention(err: unknown): boolean {
  return (
    err instanceof TRPCClientError &&
    (err.data as { reason?: string } | undefined)?.reason === PAST_RETENTION
  );
}
