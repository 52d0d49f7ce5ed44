import { createOrdersClient, type OrdersClient } from '../../api/client';

export type { OrdersClient };

const TOKEN_KEY = 'orders.token';

/**
 * A pasted token lives for this tab only (sessionStorage), never in localStorage or a
 * cookie; the identity provider's tokens only in memory (web/src/oidc.ts).
 */
export const savedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** Same origin as the page: the API serves this app. */
export const clientFor = (token: string | (() => string)): OrdersClient =>
  createOrdersClient({ url: `${location.origin}/trpc`, token });
