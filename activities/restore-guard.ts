import { ApplicationFailure } from '@temporalio/activity';
import {
  type AllReader,
  CHECKPOINT_FROM_ANOTHER_CLUSTER,
  CheckpointFromAnotherClusterError,
  type GlobalCheckpoint,
  type ReadAllResult,
} from '../eventstore';
import { logger } from '../runtime/logger';

/**
 * `readAll` for activities: a checkpoint from the cluster the store was restored from fails
 * the activity for good (retrying cannot change it), logged, with the runbook's step to run,
 * so the projector or rebuild holding it ends failed instead of projecting nothing.
 */
export async function readAllOrRefuse(
  store: AllReader,
  after: GlobalCheckpoint,
  limit: number,
): Promise<ReadAllResult> {
  try {
    return await store.readAll(after, limit);
  } catch (err) {
    if (!(err instanceof CheckpointFromAnotherClusterError)) throw err;
    logger.error({ checkpoint: after, next: err.nextTransactionId }, err.message);
    throw ApplicationFailure.nonRetryable(err.message, CHECKPOINT_FROM_ANOTHER_CLUSTER);
  }
}
