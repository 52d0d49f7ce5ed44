import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
} from '@temporalio/workflow';
import type {
  CommandOutcome,
  CommandRunResult,
  OrderCommandInput,
} from '../contracts/order-commands';
import { handle, installCommandResult } from './order-command-decide';

/**
 * One command and nothing else: load the order, decide, append, reply. The read models are
 * the projectors' business (workflows/projector.ts), so a command costs no activity, timer
 * or search-attribute write of the read side.
 *
 * A new workflow type rather than a patch of `orderCommandWorkflow`: a patch marker also
 * writes a search attribute on every run, the very cost this shape removes.
 */
export async function orderCommandWorkflowV2(input: OrderCommandInput): Promise<CommandRunResult> {
  let outcome: CommandOutcome | undefined;
  let failure: unknown;
  installCommandResult(input, () => ({ outcome, failure }));
  try {
    outcome = await handle(input);
  } catch (err) {
    failure = err;
  }
  await condition(allHandlersFinished);
  if (failure)
    throw failure instanceof ActivityFailure ? failure : ApplicationFailure.fromError(failure);
  if (!outcome) throw ApplicationFailure.nonRetryable('no outcome');
  return { ...outcome, payloadHash: input.payloadHash };
}
