import { TRPCError } from '@trpc/server';
import { unreportableMonths } from '../domain/report-months';
import { FUTURE_MONTH, PAST_RETENTION } from './client';

/**
 * Every report query's one month rule (reports.monthly, monthlySeries, topProducts, and the
 * CLI, which calls the same procedures): months before the retention cutoff have no
 * read-model data left, months after the current one have not begun, so either is refused,
 * never answered with zeros as if nothing had sold. `from`..`to` are the months the query
 * covers (one month: both the same).
 */
export function refuseUnreportable(
  q: { from: string; to: string; range: boolean },
  retentionMonths: number,
  timeZone: string,
  now = new Date(),
): void {
  const refusal = unreportableMonths(q, now, timeZone, retentionMonths);
  if (!refusal) return;
  if (refusal.reason === 'PastRetention') {
    const ask = q.range ? `; ask from ${refusal.cutoff} on` : '';
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `${q.from} is past the read models' retention (${retentionMonths} months: reports before ${refusal.cutoff} are not kept)${ask}; the events are: \`npm run reconcile -- --month ${q.from}\` computes the month from the event store`,
      cause: Object.assign(new Error(PAST_RETENTION), { code: PAST_RETENTION }),
    });
  }
  const ask = q.range ? `; ask up to ${refusal.current}` : '';
  throw new TRPCError({
    code: 'BAD_REQUEST',
    message: `${q.to} has not begun (the current month in ${timeZone} is ${refusal.current}): no report exists for it yet${ask}`,
    cause: Object.assign(new Error(FUTURE_MONTH), { code: FUTURE_MONTH }),
  });
}
