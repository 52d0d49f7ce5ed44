// The command path's floors. The engine's: the same HTTP → endpoint → update-with-start path
// with a workflow that returns at once (bench/fixtures/empty-workflow.ts), worker and endpoint
// in this process; ours / this is the share of the engine's own rate a command keeps. The
// event store's, without Temporal: raw appends, and a whole command as the per-command
// workflow's local activities run it (load the stream, decide, append).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { createCommandActivities } from '../../activities/command-activities';
import { appendOptionsOf, newEvents } from '../../activities/command-events';
import { payloadHash } from '../../api/command-hash';
import { COMMAND_TYPE, ORDER_ID } from '../../contracts/search-attributes';
import { decide, initialState, type OrderCommand, orderStreamId } from '../../domain';
import { createPool, EventStore } from '../../eventstore';
import { emptyUpdate, type emptyWorkflow } from '../fixtures/empty-workflow';
import { onCleanup } from '../harness/cleanups';
import { placeInput } from '../harness/commands';
import { startCpuMeter } from '../harness/cpu';
import { COMMAND_PATH_DATA, databaseUrl } from '../harness/data-sets';
import { closedLoop, httpRequest, type LaneStep, summarizeLoad, timedCall } from '../harness/load';
import { runFixtureWorker } from '../harness/temporal-servers';
import { cpuMsPerRequest, type Turn } from './command-cells';
import { historyBreakdown, Reservoir, type Traced } from './engine-costs';

const EMPTY_QUEUE = 'benchcmd-empty';

/** The empty workflow's worker and its endpoint (POST {"id"}), for this server's turn. */
export async function startEmptyWorkflowEndpoint(turn: Turn): Promise<string> {
  const fixture = new URL('../fixtures/empty-workflow.ts', import.meta.url);
  await runFixtureWorker(turn.server.address, EMPTY_QUEUE, fixture);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { id } = JSON.parse(Buffer.concat(chunks).toString()) as { id: string };
      // The command path's start options (api/command-bus.ts), search attributes included.
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof emptyWorkflow>(
        'emptyWorkflow',
        {
          workflowId: `benchcmd-empty-${id}`,
          taskQueue: EMPTY_QUEUE,
          args: [id],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [
            { key: ORDER_ID, value: `o-${id}` },
            { key: COMMAND_TYPE, value: 'Empty' },
          ],
        },
      );
      turn.client.workflow
        .executeUpdateWithStart(emptyUpdate, {
          args: [id],
          updateId: randomUUID(),
          startWorkflowOperation,
        })
        .then(
          (value) => res.writeHead(200).end(JSON.stringify({ value })),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/empty`;
}

const running = (client: Client) =>
  client.workflow
    .count(`TaskQueue = "${EMPTY_QUEUE}" AND ExecutionStatus = "Running"`)
    .then((c) => c.count)
    .catch(() => null);

/** What every floor cell reports: its load's summary and the CPU it took per request. */
function floorResult(
  scenario: string,
  server: string | null,
  run: { connections: number; seconds: number; startedAt: string },
  load: Parameters<typeof summarizeLoad>[0],
  cores: ReturnType<ReturnType<typeof startCpuMeter>['stop']>,
) {
  const summary = summarizeLoad(load);
  return {
    scenario,
    server,
    ...run,
    ...summary,
    cores,
    cpuMsPerRequest: cpuMsPerRequest(cores, summary.perSecond),
  };
}

export async function emptyWorkflowCell(
  turn: Turn,
  url: string,
  connections: number,
  seconds: number,
) {
  const { settings, server, client } = turn;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const traced = new Reservoir<Traced>(40);
  let succeeded = 0;
  const step: LaneStep = async (record) => {
    const id = randomUUID();
    let status = 0;
    const sample = await timedCall('empty', async () => {
      const reply = await httpRequest(agent, url, { method: 'POST', body: JSON.stringify({ id }) });
      status = reply.status;
      if (status !== 200) throw new Error(`${status} ${reply.body}`);
    });
    record(sample);
    if (status === 200 && ++succeeded % settings.lagEvery === 0)
      traced.add({
        workflowId: `benchcmd-empty-${id}`,
        sentAt: sample.sentAt,
        repliedAt: sample.sentAt + sample.latencyMs,
      });
  };
  const startedAt = new Date().toISOString();
  const meter = startCpuMeter({ temporal: server.pid ? [server.pid] : [] });
  const load = await closedLoop(connections, seconds, step);
  const cores = meter.stop();
  agent.destroy();
  const runningAtEnd = await running(client);
  const drainBegin = performance.now();
  while ((await running(client)) !== 0 && performance.now() - drainBegin < 60_000) await sleep(250);
  return {
    ...floorResult('empty-workflow', server.kind, { connections, seconds, startedAt }, load, cores),
    runningAtEnd,
    breakdown: await historyBreakdown(client, traced.items),
  };
}

/** `append`: a place's events appended as they are (no load, no decision); `db-command`:
 * each command loaded, decided and appended. */
export async function eventStoreCell(
  kind: 'append' | 'db-command',
  connections: number,
  seconds: number,
) {
  // One database connection per lane: N appends really are concurrent.
  const pool = createPool(databaseUrl(COMMAND_PATH_DATA.database), connections);
  const store = new EventStore(pool);
  const activities = createCommandActivities(store);
  const inputOf = (command: OrderCommand, body: Record<string, unknown>) => {
    const commandId = randomUUID();
    const payload = payloadHash(`orders.${command.type}`, body);
    return {
      commandId,
      command,
      actor: 'writer:benchcmd',
      correlationId: commandId,
      payloadHash: payload,
    };
  };
  const run = async (command: OrderCommand, body: Record<string, unknown>) => {
    const input = inputOf(command, body);
    const loaded = await activities.loadOrder(input);
    if (loaded.kind !== 'state') throw new Error(`load: ${loaded.kind}`);
    const decision = decide(command, loaded.state);
    if (!decision.ok) throw new Error(decision.error.message);
    const events = decision.events;
    const appended = await activities.appendOrderEvents({
      input,
      expectedVersion: loaded.version,
      events,
    });
    if (appended.kind !== 'appended') throw new Error(`append: ${appended.kind}`);
  };
  const step: LaneStep = async (record, stopped) => {
    const { commandId: _, ...body } = placeInput();
    const orderId = `o-${randomUUID()}`;
    const place: OrderCommand = {
      ...body,
      type: 'PlaceOrder',
      orderId,
      at: new Date().toISOString(),
    };
    if (kind === 'append') {
      const decided = decide(place, initialState);
      const events = newEvents(decided.ok ? decided.events : []);
      const options = appendOptionsOf(inputOf(place, body));
      return record(
        await timedCall('append', () => store.append(orderStreamId(orderId), 0, events, options)),
      );
    }
    const placed = await timedCall('place', () => run(place, body));
    record(placed);
    if (!placed.ok || stopped()) return;
    const complete: OrderCommand = { type: 'CompleteOrder', orderId, at: new Date().toISOString() };
    record(await timedCall('complete', () => run(complete, { orderId })));
  };
  const startedAt = new Date().toISOString();
  const meter = startCpuMeter();
  const load = await closedLoop(connections, seconds, step);
  const cores = meter.stop();
  await pool.end();
  const scenario = kind === 'append' ? 'event-store append' : 'event-store command (no Temporal)';
  return floorResult(scenario, null, { connections, seconds, startedAt }, load, cores);
}
