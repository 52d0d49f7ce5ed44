// The event store without Temporal, on the same machine: raw appends (`append`), and a whole
// command as the command workflow's local activities run it (`db-command`: load the stream,
// decide, append), one database connection per lane.
import { createCommandActivities } from '../../../activities/command-activities';
import { payloadHash } from '../../../api/command-hash';
import type { OrderCommandInput } from '../../../contracts/order-commands';
import { CURRENT_SCHEMA_VERSION, decide, type OrderCommand } from '../../../domain';
import { createPool, EventStore } from '../../../eventstore';
import { benchLoop } from '../context';
import { epochMs, type LaneStep, newId, runLoad } from '../load';
import { placeInput } from '../order-inputs';
import { type ScenarioResult, summarizeLoad } from '../results';
import { BENCH_DATABASE_URL } from '../settings';
import { type CpuSnapshot, cpuCores, cpuSnapshot } from '../stats';

const ACTOR = 'writer:benchcmd';

export async function eventStoreScenario(
  kind: 'append' | 'db-command',
  connections: number,
  seconds: number,
): Promise<ScenarioResult> {
  // One database connection per lane: N appends really are concurrent.
  const pool = createPool(BENCH_DATABASE_URL, connections);
  const store = new EventStore(pool);
  const activities = createCommandActivities(store);

  const appendStep: LaneStep = async (record) => {
    const orderId = `o-${newId()}`;
    const commandId = newId();
    const at = new Date().toISOString();
    const sentAt = epochMs();
    const t = performance.now();
    let ok = true;
    try {
      await store.append(
        `order-${orderId}`,
        0,
        [
          {
            type: 'OrderPlaced',
            schemaVersion: CURRENT_SCHEMA_VERSION.OrderPlaced,
            data: {
              orderId,
              customerId: 'c-1',
              region: 'eu',
              currency: 'EUR',
              items: [
                { productId: 'sku-1', quantity: 2, unitPriceMinor: 1250 },
                { productId: 'sku-2', quantity: 2, unitPriceMinor: 399 },
              ],
              totalQuantity: 4,
              totalMinor: 3298,
              placedAt: at,
            },
          },
        ],
        {
          commandId,
          commandType: 'PlaceOrder',
          payloadHash: 'f'.repeat(64),
          metadata: {
            correlationId: commandId,
            causationId: commandId,
            actor: ACTOR,
            occurredAt: at,
          },
        },
      );
    } catch {
      ok = false;
    }
    record({ kind: 'append', ok, sentAt, latencyMs: performance.now() - t });
  };

  // What the command workflow's local activities do per command, without Temporal:
  // loadOrder (command lookup + stream read), decide, appendOrderEvents.
  const runCommand = async (command: OrderCommand, body: Record<string, unknown>) => {
    const commandId = newId();
    const input: OrderCommandInput = {
      commandId,
      payloadHash: payloadHash(`orders.${command.type}`, body),
      command,
      actor: ACTOR,
      correlationId: commandId,
    };
    const loaded = await activities.loadOrder(input);
    if (loaded.kind !== 'state') return false;
    const decision = decide(command, loaded.state);
    if (!decision.ok) return false;
    const appended = await activities.appendOrderEvents({
      input,
      expectedVersion: loaded.version,
      events: decision.events,
    });
    return appended.kind === 'appended';
  };
  const commandStep: LaneStep = async (record, stopped) => {
    const orderId = `o-${newId()}`;
    const body = placeInput();
    let sentAt = epochMs();
    let t = performance.now();
    const placed = await runCommand(
      { ...body, type: 'PlaceOrder', orderId, at: new Date().toISOString() },
      body,
    ).catch(() => false);
    record({ kind: 'place', ok: placed, sentAt, latencyMs: performance.now() - t });
    if (!placed || stopped()) return;
    sentAt = epochMs();
    t = performance.now();
    const completed = await runCommand(
      { type: 'CompleteOrder', orderId, at: new Date().toISOString() },
      { orderId },
    ).catch(() => false);
    record({ kind: 'complete', ok: completed, sentAt, latencyMs: performance.now() - t });
  };

  const startedAt = new Date().toISOString();
  const groups = { bench: [process.pid], workers: [], temporal: [] };
  const cpu0: CpuSnapshot = cpuSnapshot(groups);
  benchLoop.take();
  const load = await runLoad(connections, seconds, kind === 'append' ? appendStep : commandStep);
  const cpu1 = cpuSnapshot(groups);
  const benchDelay = benchLoop.take();
  await pool.end();
  return {
    scenario: kind === 'append' ? 'event-store append' : 'event-store command (no Temporal)',
    server: null,
    connections,
    seconds,
    startedAt,
    ...summarizeLoad(load),
    loopDelayMs: { bench: benchDelay },
    cpuCores: cpuCores(cpu0, cpu1),
  };
}
