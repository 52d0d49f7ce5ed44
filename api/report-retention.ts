import { TRPCError } from '@trpc/server';
import { retentionCutoff } from '../domain/report-months';
import { PAST_RETENTION } from './client';

/**
 * Every report query's retention rule (reports.monthly, monthlySeries, topProducts): months
 * before the cutoff have no read-model data left (or soon will not), so a report that
 * reaches back before it is refused as expired, never answered with zeros as if nothing had
 * sold. `from` is the earliest month the query covers.
 */
export function refusePastRetention(
  q: { from: string; range: boolean },
  retentionMonths: number,
  timeZone: string,
): void {
  const cutoff = retentionCutoff(new Date(), timeZone, retentionMonths);
  if (q.from >= cutoff) return;
  const ask = q.range ? `; ask from ${cutoff} on` : '';
  throw new TRPCError({
    code: 'NOT_FOUND',
    message: `${q.from} is past the read models' retention (${retentionMonths} months: reports before ${cutoff} are not kept)${ask}; the events are: \`npm run reconcile -- --month ${q.from}\` computes the month from the event store`,
    cause: Object.assign(new Error(PAST_RETENTION), { code: PAST_RETENTION }),
  });
}
