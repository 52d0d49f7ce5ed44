import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from './router';

export type { AppRouter } from './router';

/**
 * `data.reason` of a report refused because it reaches before the read models' retention
 * (404): a client tells it from any other NOT_FOUND.
 */
export const PAST_RETENTION = 'PastRetention';

/** `data.reason` of a report refused because it asks for a month that has not begun (400). */
export const FUTURE_MONTH = 'FutureMonth';

export interface OrdersClientOptions {
  /** e.g. http://127.0.0.1:3000/trpc */
  url: string;
  /** The bearer token, or a function asked before each call (a token that is renewed). */
  token: string | (() => string);
  correlationId?: string;
  /** The fetch to send with (the global one by default). */
  fetch?: typeof fetch;
}

/** A typed client for TypeScript callers of the API. */
export function createOrdersClient(options: OrdersClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: options.url,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        headers: () => ({
          authorization: `Bearer ${typeof options.token === 'function' ? options.token() : options.token}`,
          ...(options.correlationId ? { 'x-correlation-id': options.correlationId } : {}),
        }),
      }),
    ],
  });
}

export type OrdersClient = ReturnType<typeof createOrdersClient>;
