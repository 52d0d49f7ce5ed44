import { config } from '../../../config/env';
import { READ_MODELS } from '../../../domain';
import { createPool } from '../../../eventstore';
import { createTemporalClient } from '../../../temporal/client';
import { projectorWorkflowId } from '../../../temporal/projectors';

/**
 * The recorder's task queues are fixed: projectors of an earlier recording would still be
 * running (with long histories and another database's checkpoint). Start them afresh.
 */
export async function freshProjectors(): Promise<void> {
  const pool = createPool(config().DATABASE_URL, 1);
  const temporal = await createTemporalClient();
  try {
    for (const readModel of READ_MODELS) {
      const id = projectorWorkflowId(readModel);
      await temporal.workflow
        .getHandle(id)
        .terminate('a new recording starts')
        .catch(() => undefined);
      await pool.query('delete from projection_checkpoints where projector = $1', [id]);
    }
  } finally {
    await temporal.connection.close();
    await pool.end();
  }
}
