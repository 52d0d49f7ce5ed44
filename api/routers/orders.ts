import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { config } from '../../config/env';
import type { CommandReply, OrderCommandInput } from '../../contracts/order-commands';
import type { OrderCommand } from '../../domain';
import { ordersAlias, searchOrders } from '../../projections/elasticsearch';
import { commandDuration, commands } from '../../runtime/metrics';
import { hasRole, type Principal } from '../auth';
import { submitCommand } from '../command-bus';
import { payloadHash } from '../command-hash';
import { toTRPCError } from '../errors';
import { cancelOrderInput, completeOrderInput, placeOrderInput, refundOrderInput } from '../inputs';
import { orderHistory } from '../order-history';
import { getOrder } from '../order-queries';
import {
  commandReplyOutput,
  getOrderOutput,
  orderHistoryOutput,
  searchOrdersOutput,
} from '../outputs';
import { createPartitionBus, type PartitionBusOptions } from '../partition-bus';
import { getOrderInput, orderHistoryInput, searchOrdersInput } from '../query-inputs';
import { type QueryDeps, readModelCall, staleFor } from '../read-model-calls';
import { activeTraceparent } from '../tracing';
import { type ApiMeta, readerProcedure, router, writerProcedure } from '../trpc';

export interface OrdersDeps extends QueryDeps {
  temporal: Client;
  /** How commands reach Temporal; from the configuration when not given. */
  commandPath?: PartitionBusOptions;
}

interface CommandContext {
  principal: Principal;
  correlationId: string;
  addResponseHeader?: (name: string, value: string) => void;
}

/** A committed command's reply, with the id it ran under (generated when none was sent). */
type CommandAnswer = CommandReply & { commandId: string };

/** The server's clock, which the domain moves forward to an order's later last change. */
const serverTime = () => ({ at: new Date().toISOString(), atFromServer: true });

/** `at` back-dates a command; only an admin may do that (importing history). */
function effectiveTime(
  principal: Principal,
  at: string | undefined,
): { at: string; atFromServer?: boolean } {
  if (at === undefined) return serverTime();
  if (!hasRole(principal, 'admin')) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: '`at` is only accepted from the admin role',
    });
  }
  return { at };
}

const IDEMPOTENT =
  'Send a commandId (a UUID) to make a retry safe: the same id returns the first reply and applies nothing twice; without one the server generates it. Either way it is in the x-command-id header, even when the call fails.';

/** The REST route of a command on an existing order: POST /api/orders/{orderId}/<verb>. */
function command(verb: string, summary: string, more: string): ApiMeta {
  return {
    openapi: {
      method: 'POST',
      path: `/api/orders/{orderId}/${verb}`,
      tags: ['orders'],
      summary,
      errorResponses: [404, 409],
      description: `${more} ${IDEMPOTENT}`,
    },
  };
}

/** Commands and queries of orders, in one `orders` namespace for callers. */
export function ordersRouter(deps: OrdersDeps) {
  const c = config();
  const path = deps.commandPath ?? {
    partitions: c.COMMAND_PARTITIONS,
    inflightPerPartition: c.COMMAND_INFLIGHT_PER_PARTITION,
    deadlineMs: c.COMMAND_DEADLINE_MS,
  };
  // Partitioned (the default) or one workflow per command (partitions 0).
  const submit =
    path.partitions > 0
      ? createPartitionBus(deps.temporal, path)
      : (input: OrderCommandInput) => submitCommand(deps.temporal, input, path.deadlineMs);
  async function run(
    procedure: string,
    ctx: CommandContext,
    input: { commandId?: string | undefined } & Record<string, unknown>,
    build: (commandId: string) => OrderCommand,
  ): Promise<CommandAnswer> {
    const commandId = input.commandId ?? randomUUID();
    // Before anything can fail: a caller whose command timed out retries with this id.
    ctx.addResponseHeader?.('x-command-id', commandId);
    const command = build(commandId);
    const timer = commandDuration.startTimer({ type: command.type });
    try {
      const reply = await submit({
        commandId,
        payloadHash: payloadHash(procedure, input),
        command,
        actor: ctx.principal.actor,
        correlationId: ctx.correlationId,
        ...activeTraceparent(),
      });
      commands.inc({ type: command.type, outcome: 'committed' });
      return {
        orderId: reply.orderId,
        version: reply.version,
        position: reply.position,
        commandId,
      };
    } catch (err) {
      const answer = toTRPCError(err, ctx.correlationId);
      commands.inc({ type: command.type, outcome: answer.code });
      throw answer;
    } finally {
      timer();
    }
  }

  return router({
    ...orderQueries(deps),
    place: writerProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/orders',
          tags: ['orders'],
          summary: 'Place an order',
          errorResponses: [409],
          description: `Places an order (PlaceOrder); its id is derived from the command id, so a retry names the same order. ${IDEMPOTENT}`,
        },
      })
      .input(placeOrderInput)
      .output(commandReplyOutput)
      .mutation(({ ctx, input }) =>
        run('orders.place', ctx, input, (commandId) => ({
          type: 'PlaceOrder',
          // Derived from the command id, so a retried place names the same order.
          orderId: `o-${commandId}`,
          customerId: input.customerId,
          region: input.region,
          currency: input.currency,
          items: input.items,
          at: effectiveTime(ctx.principal, input.at).at,
        })),
      ),
    complete: writerProcedure
      .meta(command('complete', 'Complete an order', 'It then counts in the month of completion.'))
      .input(completeOrderInput)
      .output(commandReplyOutput)
      .mutation(({ ctx, input }) =>
        run('orders.complete', ctx, input, () => ({
          type: 'CompleteOrder',
          orderId: input.orderId,
          ...effectiveTime(ctx.principal, input.at),
        })),
      ),
    cancel: writerProcedure
      .meta(command('cancel', 'Cancel a placed order', 'Only a placed order can be cancelled.'))
      .input(cancelOrderInput)
      .output(commandReplyOutput)
      .mutation(({ ctx, input }) =>
        run('orders.cancel', ctx, input, () => ({
          type: 'CancelOrder',
          orderId: input.orderId,
          reason: input.reason,
          ...effectiveTime(ctx.principal, input.at),
        })),
      ),
    refund: writerProcedure
      .meta(
        command(
          'refund',
          'Refund a completed order',
          'The restated report removes it from its completion month; the booked one counts it negative in the refund month.',
        ),
      )
      .input(refundOrderInput)
      .output(commandReplyOutput)
      .mutation(({ ctx, input }) =>
        run('orders.refund', ctx, input, () => ({
          type: 'RefundOrder',
          orderId: input.orderId,
          reason: input.reason,
          ...effectiveTime(ctx.principal, input.at),
        })),
      ),
  });
}

function orderQueries(deps: QueryDeps) {
  return {
    get: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/orders/{orderId}',
          tags: ['orders'],
          summary: 'Read an order',
          errorResponses: [404],
          description:
            'The order from the read models (Redis, else Elasticsearch). With minVersion (a command reply’s version) it waits up to 2 s for that version, then answers with stale: true.',
        },
      })
      .input(getOrderInput)
      .output(getOrderOutput)
      .query(async ({ input, signal }) => {
        const found = await readModelCall('orders.get', () =>
          getOrder(deps, input.orderId, input.minVersion, signal),
        );
        if (!found) {
          throw new TRPCError({
            code: 'NOT_FOUND',
            message:
              input.minVersion === undefined
                ? `order ${input.orderId} not found`
                : `order ${input.orderId} is not in the read model yet (waited 2 s); retry shortly`,
          });
        }
        return { ...found.order, stale: found.stale };
      }),
    history: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/orders/{orderId}/history',
          tags: ['orders'],
          summary: 'An order’s events',
          errorResponses: [404, 422],
          description:
            'The order’s events from the event store (the record, not a read model), a page at a time: pass nextAfterVersion as afterVersion.',
        },
      })
      .input(orderHistoryInput)
      .output(orderHistoryOutput)
      .query(({ input }) => orderHistory(deps.pool, input)),
    search: readerProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/orders',
          tags: ['orders'],
          summary: 'Search orders',
          description:
            'Orders matching the filters, newest first, a page at a time (pass nextCursor as cursor). reportMonth drills down into a monthly report.',
        },
      })
      .input(searchOrdersInput)
      .output(searchOrdersOutput)
      .query(async ({ input, signal }) => {
        const { pageSize, cursor, minPosition, ...filters } = input;
        const stale = await staleFor(deps, minPosition, signal);
        const page = await readModelCall('orders.search', () =>
          searchOrders(deps.es, ordersAlias(deps.esPrefix), filters, pageSize, cursor),
        );
        return { ...page, stale };
      }),
  };
}
