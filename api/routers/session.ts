import { readerProcedure, router } from '../trpc';

/** Who the token belongs to: the web workspace shows each role only what it may do. */
export const sessionRouter = router({
  whoami: readerProcedure.query(({ ctx }) => ({ role: ctx.principal.role })),
});
