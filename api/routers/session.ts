import { whoamiOutput } from '../outputs';
import { readerProcedure, router } from '../trpc';

/** Who the token belongs to: the web workspace shows each role only what it may do. */
export const sessionRouter = router({
  whoami: readerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/session',
        tags: ['session'],
        summary: 'The token’s role',
        description: 'Which role the bearer token has: reader, writer or admin.',
      },
    })
    .output(whoamiOutput)
    .query(({ ctx }) => ({ role: ctx.principal.role })),
});
