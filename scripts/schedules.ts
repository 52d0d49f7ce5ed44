// `npm run schedules -- apply | list`: the Temporal Schedules of this system.

import { userInfo } from 'node:os';
import { config } from '../config/env';
import { AuditLog } from '../eventstore';
import { openConnections } from '../temporal/connections';
import { applySchedulesAudited, scheduleDefinitions } from '../temporal/schedules';

const command = process.argv[2] ?? 'list';
const connections = await openConnections();
try {
  const settings = {
    timeZone: config().REPORT_TIMEZONE,
    retentionMonths: config().READ_MODEL_RETENTION_MONTHS,
  };
  if (command === 'apply') {
    const audit = new AuditLog(connections.pool);
    const actor = `cli:${userInfo().username}`;
    for (const line of await applySchedulesAudited(connections.temporal, settings, audit, actor))
      console.log(line);
  } else if (command === 'list') {
    for (const { scheduleId } of scheduleDefinitions(settings)) {
      const d = await connections.temporal.schedule
        .getHandle(scheduleId)
        .describe()
        .catch(() => null);
      if (!d) {
        console.log(`${scheduleId}: not created (run: npm run schedules -- apply)`);
        continue;
      }
      const next = d.info.nextActionTimes[0]?.toISOString() ?? '-';
      const last = d.info.recentActions.at(-1)?.takenAt.toISOString() ?? 'never';
      console.log(`${scheduleId}: next ${next}, last ${last}, paused ${d.state.paused}`);
    }
  } else {
    console.error('usage: npm run schedules -- apply | list');
    process.exitCode = 2;
  }
} finally {
  await connections.close();
}
