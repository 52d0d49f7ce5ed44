import { type Client, ScheduleAlreadyRunning, type ScheduleOptions } from '@temporalio/client';
import type { AuditLog } from '../eventstore';
import { logger } from '../runtime/logger';
import { auditWriteFailures } from '../runtime/metrics';
import type { MonthlyRollupInput } from '../workflows/reports';
import { prefixedId, taskQueue } from './task-queues';

export const MONTHLY_ROLLUP_SCHEDULE = 'monthly-report-rollup';
export const RETENTION_SCHEDULE = 'read-model-retention';

export const scheduleId = prefixedId;

export interface ScheduleSettings {
  timeZone: string;
  retentionMonths: number;
}

/**
 * The schedules, as data. The rollup runs at 01:00 on the 1st in the report time zone
 * and rolls up the month that just closed, then each earlier closed month within
 * retention that has completions and was never rolled up (history imported with `at`,
 * months before the schedule existed).
 * - overlap BUFFER_ONE: a run still going when the next is due queues it, never drops it.
 * - catch-up window 32 days: if the Temporal server itself was down over the 1st, the
 *   missed run still starts when it returns (workers being down needs nothing: the run
 *   waits in its task queue).
 */
export function scheduleDefinitions(settings: ScheduleSettings): ScheduleOptions[] {
  return [
    {
      scheduleId: scheduleId(MONTHLY_ROLLUP_SCHEDULE),
      spec: { calendars: [{ dayOfMonth: 1, hour: 1, minute: 0 }], timezone: settings.timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'monthlyRollupWorkflow',
        workflowId: scheduleId(MONTHLY_ROLLUP_SCHEDULE),
        taskQueue: taskQueue('commands'),
        args: [
          {
            timeZone: settings.timeZone,
            catchUp: { retentionMonths: settings.retentionMonths },
          } satisfies MonthlyRollupInput,
        ],
      },
      policies: { overlap: 'BUFFER_ONE', catchupWindow: '32 days' },
    },
    {
      scheduleId: scheduleId(RETENTION_SCHEDULE),
      spec: { calendars: [{ hour: 2, minute: 30 }], timezone: settings.timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'retentionWorkflow',
        workflowId: scheduleId(RETENTION_SCHEDULE),
        taskQueue: taskQueue('commands'),
        args: [{ months: settings.retentionMonths, timeZone: settings.timeZone }],
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    },
  ];
}

/** Creates each schedule, or updates it to the definition: safe to run at every start. */
export async function applySchedules(
  client: Client,
  settings: ScheduleSettings,
): Promise<string[]> {
  const applied: string[] = [];
  for (const definition of scheduleDefinitions(settings)) {
    try {
      await client.schedule.create(definition);
      applied.push(`${definition.scheduleId}: created`);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(definition.scheduleId).update((previous) => ({
        ...previous,
        spec: definition.spec,
        action: definition.action,
        policies: { ...previous.policies, ...definition.policies },
      }));
      applied.push(`${definition.scheduleId}: updated`);
    }
  }
  return applied;
}

/**
 * Applies the schedules and records it in the audit trail as `actor` (a schedule change is
 * an admin action): the settings applied, and whether it worked. A failure is recorded,
 * then thrown.
 */
export async function applySchedulesAudited(
  client: Client,
  settings: ScheduleSettings,
  audit: AuditLog,
  actor: string,
): Promise<string[]> {
  const record = (outcome: string, message: string) =>
    audit
      .record({
        actor,
        action: 'schedules.apply',
        target: null,
        details: settings,
        outcome,
        message,
        correlationId: null,
      })
      .catch((err: unknown) => {
        auditWriteFailures.inc({ source: 'schedules' });
        logger.error({ err, actor, outcome, message }, 'audit record not written');
      });
  try {
    const applied = await applySchedules(client, settings);
    await record('ok', applied.join('; '));
    return applied;
  } catch (err) {
    await record('failed', (err as Error).message);
    throw err;
  }
}
