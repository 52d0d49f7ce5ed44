import { type OrdersDeps, ordersRouter } from './routers/orders';
import { router } from './trpc';

export type AppDeps = OrdersDeps;

export function createAppRouter(deps: AppDeps) {
  return router({ orders: ordersRouter(deps) });
}

/** The API's type, for typed clients. */
export type AppRouter = ReturnType<typeof createAppRouter>;
