// What a recording case is, and the helpers every family of cases uses: checking the
// history's facts and placing an order through the API.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { HistoryFacts } from '../history-facts';
import type { RecordingEnv } from '../record-env';

export interface Case {
  file: string;
  /**
   * Runs the case; returns the workflow whose history is recorded, once it has finished
   * (or, for a workflow that never ends, once it has done what the case is for).
   */
  run(env: RecordingEnv): Promise<WorkflowHandle>;
  /** The workflow runs forever (a projector): record its history so far. */
  running?: boolean;
  /** What the history must show for the case to cover what it is named after. */
  check(facts: HistoryFacts): void;
}

export const ITEM = { productId: 'p-1', quantity: 3, unitPriceMinor: 250 };

export function expectFact(ok: boolean, what: string, facts: HistoryFacts): void {
  if (!ok) throw new Error(`the history does not show ${what}: ${JSON.stringify(facts)}`);
}
export const count = (list: string[], item: string) => list.filter((x) => x === item).length;

export async function placeOrder(env: RecordingEnv, commandId = randomUUID()): Promise<string> {
  const { orderId } = await env.app.client('writer').orders.place.mutate({
    commandId,
    customerId: 'c-history',
    region: 'eu',
    currency: 'EUR',
    items: [ITEM],
  });
  return orderId;
}
