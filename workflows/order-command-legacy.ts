import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
} from '@temporalio/workflow';
import type {
  CommandOutcome,
  CommandRunResult,
  OrderCommandInput,
} from '../contracts/order-commands';
import { READ_MODELS } from '../domain/read-models';
import { handle, installCommandResult } from './order-command-decide';
import { installProjectionControls, project } from './projection-step';

/**
 * The command workflow as it was before the projectors: the command, then both read models
 * projected by per-command activities. New commands run `orderCommandWorkflowV2`; this type
 * stays registered, unchanged, so runs started before the upgrade finish (and their
 * recorded histories keep replaying). Remove it once none runs.
 */
export async function orderCommandWorkflow(input: OrderCommandInput): Promise<CommandRunResult> {
  let outcome: CommandOutcome | undefined;
  let failure: unknown;
  installCommandResult(input, () => ({ outcome, failure }));
  const control = installProjectionControls();

  try {
    outcome = await handle(input);
  } catch (err) {
    failure = err;
  }
  // The caller has its reply; now the read models, with durable retries.
  // patched: command runs recorded before projections existed replay without them.
  if (outcome?.ok && patched('project-read-models')) {
    const target = { orderId: outcome.reply.orderId, version: outcome.reply.version };
    // Independent read models, projected in parallel: one being down does not hold up the other.
    await Promise.all(READ_MODELS.map((model) => project(model, target, control)));
  }
  await condition(allHandlersFinished);
  if (failure)
    throw failure instanceof ActivityFailure ? failure : ApplicationFailure.fromError(failure);
  if (!outcome) throw ApplicationFailure.nonRetryable('no outcome');
  return { ...outcome, payloadHash: input.payloadHash };
}
