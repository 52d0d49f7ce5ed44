import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from './router';

export type { AppRouter } from './router';

export interface OrdersClientOptions {
  /** e.g. http://127.0.0.1:3000/trpc */
  url: string;
  token: string;
  correlationId?: string;
}

/** A typed client for TypeScript callers of the API. */
export function createOrdersClient(options: OrdersClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: options.url,
        headers: () => ({
          authorization: `Bearer ${options.token}`,
          ...(options.correlationId ? { 'x-correlation-id': options.correlationId } : {}),
        }),
      }),
    ],
  });
}

export type OrdersClient = ReturnType<typeof createOrdersClient>;
