import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { AddressRefusedError, resolveChecked } from '../../activities/webhook-http';
import { config } from '../../config/env';
import { webhookUrlProblem } from '../../domain/webhook-addresses';
import { newWebhookSecret } from '../../domain/webhook-signature';
import { ProjectionCheckpoints, Subscriptions, type SubscriptionView } from '../../eventstore';
import { logger } from '../../runtime/logger';
import { startSubscriber, subscriberId, subscriptionChanged } from '../../temporal/subscribers';
import { withEventStore } from '../event-store-calls';
import {
  createSubscriptionInput,
  deliveriesInput,
  replayInput,
  subscriptionIdInput,
  updateSubscriptionInput,
} from '../subscription-inputs';
import {
  deletedSubscriptionOutput,
  deliveriesOutput,
  replayOutput,
  rotatedSecretOutput,
  subscriptionDetailOutput,
  subscriptionListOutput,
  subscriptionOutput,
  subscriptionSecretOutput,
} from '../subscription-outputs';
import { withTemporalDeadline } from '../temporal-calls';
import { adminProcedure, router } from '../trpc';

const DELIVERIES_PAGE = 50;
const RETRY = 'try again shortly';

export type SubscriptionState = 'active' | 'failing' | 'disabled';

const stateOf = (s: SubscriptionView): SubscriptionState =>
  !s.enabled ? 'disabled' : s.consecutiveFailures > 0 ? 'failing' : 'active';

/** The URL's scheme, then every address its host resolves to (unless private ones are allowed). */
async function checkUrl(url: string, allowPrivate: boolean): Promise<void> {
  const problem = webhookUrlProblem(url);
  if (problem) throw new TRPCError({ code: 'BAD_REQUEST', message: `url ${problem}` });
  try {
    await resolveChecked(new URL(url).hostname, allowPrivate);
  } catch (err) {
    const message =
      err instanceof AddressRefusedError
        ? `url refused: ${err.message}`
        : `url's host does not resolve: ${(err as Error).message}`;
    throw new TRPCError({ code: 'BAD_REQUEST', message });
  }
}

function found<T>(value: T | null | undefined, id: string): T {
  if (value === null || value === undefined) {
    throw new TRPCError({ code: 'NOT_FOUND', message: `no subscription ${id}` });
  }
  return value;
}

/**
 * Webhook subscriptions (admin): each change is written to its row, then signalled to its
 * subscriber workflow, which re-reads the row at once.
 */
export function subscriptionsRouter(deps: {
  temporal: Client;
  pool: pg.Pool;
  subscriptionsAllowPrivateUrls?: boolean;
}) {
  const subs = new Subscriptions(deps.pool);
  const allowPrivate = () =>
    deps.subscriptionsAllowPrivateUrls ?? config().SUBSCRIPTIONS_ALLOW_PRIVATE_URLS;
  const db = <T>(what: string, fn: () => Promise<T>) => withEventStore(what, RETRY, fn);
  const changed = (what: string, id: string) =>
    withTemporalDeadline(deps.temporal, what, () => subscriptionChanged(deps.temporal, id));
  const withLag = async (s: SubscriptionView) => {
    const lag = await new ProjectionCheckpoints(deps.pool).lag(s.checkpoint);
    const [last] = await subs.deliveries(s.id, null, 1);
    return {
      ...s,
      state: stateOf(s),
      workflowId: subscriberId(s.id),
      lag: {
        events: lag.events,
        seconds: lag.oldestRecordedAt
          ? Math.max(0, Math.round((Date.now() - Date.parse(lag.oldestRecordedAt)) / 1000))
          : 0,
      },
      lastDelivery: last ?? null,
    };
  };

  return router({
    /** The secret is answered here and by rotateSecret only: keep it. */
    create: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/subscriptions',
          tags: ['subscriptions'],
          summary: 'Subscribe a URL to the events',
          description:
            'Creates a subscription and its subscriber: every event committed from now on (of the types given) is POSTed to the URL, signed per Standard Webhooks. The secret is answered here only.',
        },
      })
      .input(createSubscriptionInput)
      .output(subscriptionSecretOutput)
      .mutation(async ({ input }) => {
        await checkUrl(input.url, allowPrivate());
        const id = randomUUID();
        const secret = newWebhookSecret();
        await db('subscriptions.create', () =>
          subs.create(
            id,
            {
              url: input.url,
              eventTypes: input.events ?? null,
              description: input.description ?? null,
            },
            secret,
          ),
        );
        await withTemporalDeadline(deps.temporal, 'subscriptions.create', () =>
          startSubscriber(deps.temporal, id),
        );
        logger.info({ subscriptionId: id, url: input.url }, 'subscription created');
        return { id, secret };
      }),
    list: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/subscriptions',
          tags: ['subscriptions'],
          summary: 'Webhook subscriptions',
          description: 'Every subscription with its state and checkpoint (never its secret).',
        },
      })
      .output(subscriptionListOutput)
      .query(async () => {
        const all = await db('subscriptions.list', () => subs.list());
        return {
          subscriptions: all.map((s) => ({
            ...s,
            state: stateOf(s),
            workflowId: subscriberId(s.id),
          })),
        };
      }),
    get: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/subscriptions/{id}',
          tags: ['subscriptions'],
          summary: 'A subscription',
          errorResponses: [404],
          description: 'Its state, lag (events and seconds) and last delivery.',
        },
      })
      .input(subscriptionIdInput)
      .output(subscriptionDetailOutput)
      .query(async ({ input }) =>
        db('subscriptions.get', async () => withLag(found(await subs.get(input.id), input.id))),
      ),
    update: adminProcedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: '/api/subscriptions/{id}',
          tags: ['subscriptions'],
          summary: 'Change a subscription',
          errorResponses: [404],
          description:
            'url, events (null: all), description, enabled; enabling resumes from the checkpoint with a fresh retry schedule.',
        },
      })
      .input(updateSubscriptionInput)
      .output(subscriptionOutput)
      .mutation(async ({ input }) => {
        if (input.url !== undefined) await checkUrl(input.url, allowPrivate());
        const updated = await db('subscriptions.update', () =>
          subs.update(input.id, {
            ...(input.url !== undefined ? { url: input.url } : {}),
            ...(input.events !== undefined ? { eventTypes: input.events } : {}),
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          }),
        );
        found(updated, input.id);
        await changed('subscriptions.update', input.id);
        logger.info({ subscriptionId: input.id, enabled: input.enabled }, 'subscription updated');
        const view = updated as SubscriptionView;
        return { ...view, state: stateOf(view), workflowId: subscriberId(view.id) };
      }),
    delete: adminProcedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: '/api/subscriptions/{id}',
          tags: ['subscriptions'],
          summary: 'Delete a subscription',
          errorResponses: [404],
          description: 'Its subscriber stops.',
        },
      })
      .input(subscriptionIdInput)
      .output(deletedSubscriptionOutput)
      .mutation(async ({ input }) => {
        found((await db('subscriptions.delete', () => subs.delete(input.id))) || null, input.id);
        await changed('subscriptions.delete', input.id);
        logger.info({ subscriptionId: input.id }, 'subscription deleted');
        return { id: input.id, deleted: true as const };
      }),
    rotateSecret: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/subscriptions/{id}/rotate-secret',
          tags: ['subscriptions'],
          summary: 'Rotate the secret',
          errorResponses: [404],
          description: 'A new secret signs from now on, the previous one beside it for 24 h.',
        },
      })
      .input(subscriptionIdInput)
      .output(rotatedSecretOutput)
      .mutation(async ({ input }) => {
        const secret = newWebhookSecret();
        const rotated = found(
          await db('subscriptions.rotateSecret', () => subs.rotateSecret(input.id, secret)),
          input.id,
        );
        await changed('subscriptions.rotateSecret', input.id);
        logger.info({ subscriptionId: input.id }, 'subscription secret rotated');
        return { id: input.id, secret, previousSecretUntil: rotated.previousSecretUntil };
      }),
    deliveries: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/subscriptions/{id}/deliveries',
          tags: ['subscriptions'],
          summary: 'Delivery attempts',
          errorResponses: [404],
          description: 'Newest first, kept 7 days: status code, duration, error.',
        },
      })
      .input(deliveriesInput)
      .output(deliveriesOutput)
      .query(async ({ input }) => {
        const limit = input.limit ?? DELIVERIES_PAGE;
        const page = await db('subscriptions.deliveries', async () => {
          found(await subs.get(input.id), input.id);
          return subs.deliveries(input.id, input.cursor ?? null, limit);
        });
        return {
          deliveries: page,
          nextCursor: page.length === limit ? (page.at(-1)?.id ?? null) : null,
        };
      }),
    /** Re-sends from a position or a time on (same webhook-ids: receivers that dedupe see them as seen). */
    replay: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/subscriptions/{id}/replay',
          tags: ['subscriptions'],
          summary: 'Replay events',
          errorResponses: [404],
          description:
            'Sends every event from fromPosition (or recorded since from) again, under the webhook-id it had.',
        },
      })
      .input(replayInput)
      .output(replayOutput)
      .mutation(async ({ input }) => {
        const replayed = await db('subscriptions.replay', async () => {
          found(await subs.get(input.id), input.id);
          const from =
            input.fromPosition !== undefined
              ? await subs.checkpointBeforePosition(input.fromPosition)
              : await subs.checkpointBeforeTime(input.from ?? '');
          if (!from) {
            throw new TRPCError({
              code: 'NOT_FOUND',
              message: 'no event at that position (or recorded since that time): nothing to replay',
            });
          }
          return subs.replay(input.id, from);
        });
        await changed('subscriptions.replay', input.id);
        logger.info(
          { subscriptionId: input.id, from: replayed?.checkpoint },
          'subscription replay',
        );
        return { id: input.id, checkpoint: found(replayed, input.id).checkpoint };
      }),
  });
}
