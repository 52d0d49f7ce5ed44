import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import type pg from 'pg';
import { keyState } from '../../domain/api-keys';
import { ApiKeys, type ApiKeyView, KeyNameTakenError, KeyNotFoundError } from '../../eventstore';
import { logger } from '../../runtime/logger';
import { type ApiKeyTable, newApiKey } from '../api-keys';
import { withEventStore } from '../event-store-calls';
import { apiKeyIdInput, createApiKeyInput } from '../security-inputs';
import { apiKeyListOutput, apiKeyOutput, createdApiKeyOutput } from '../security-outputs';
import { adminProcedure, router } from '../trpc';

const RETRY = 'try again shortly';

const withState = (k: ApiKeyView) => ({ ...k, state: keyState(k, Date.now()) });

/**
 * Managed API keys (admin). A change is in this process's table when the call answers, and
 * in every other API process's within a second (PostgreSQL notifies them).
 */
export function apiKeysRouter(deps: { pool: pg.Pool; apiKeys?: ApiKeyTable }) {
  const keys = new ApiKeys(deps.pool);
  const db = <T>(what: string, fn: () => Promise<T>) => withEventStore(what, RETRY, fn);

  return router({
    create: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/keys',
          tags: ['keys'],
          summary: 'Create an API key',
          errorResponses: [409],
          description:
            'A key for a machine, with a role and optionally an expiry. The key is answered here only (its digest is stored): keep it. 409: a key of that name is in use.',
        },
      })
      .input(createApiKeyInput)
      .output(createdApiKeyOutput)
      .mutation(async ({ input, ctx }) => {
        if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
          throw new TRPCError({
            code: 'BAD_REQUEST',
            message: `expiresAt ${input.expiresAt} is not in the future: give a later instant, or leave it out for a key that does not expire`,
          });
        }
        const { key, digest } = newApiKey();
        const created = await db('apiKeys.create', async () => {
          try {
            return await keys.create({
              id: randomUUID(),
              name: input.name,
              role: input.role,
              digest,
              createdBy: ctx.principal.actor,
              expiresAt: input.expiresAt ?? null,
            });
          } catch (err) {
            if (!(err instanceof KeyNameTakenError)) throw err;
            throw new TRPCError({
              code: 'CONFLICT',
              message: `a key named "${input.name}" is in use: choose another name, or revoke that key first (apiKeys.revoke)`,
            });
          }
        });
        await deps.apiKeys?.refresh();
        logger.info(
          { keyId: created.id, name: created.name, role: created.role },
          'API key created',
        );
        return {
          id: created.id,
          key,
          name: created.name,
          role: created.role,
          expiresAt: created.expiresAt,
        };
      }),
    list: adminProcedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/api/keys',
          tags: ['keys'],
          summary: 'API keys',
          description:
            'Every key, newest first, with its role, expiry, revocation and when it was last used (never the key).',
        },
      })
      .output(apiKeyListOutput)
      .query(async () => ({
        keys: (await db('apiKeys.list', () => keys.list())).map(withState),
      })),
    revoke: adminProcedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/api/keys/{id}/revoke',
          tags: ['keys'],
          summary: 'Revoke an API key',
          errorResponses: [404],
          description:
            'Refused from now on by every API process (within a second). Revoking a revoked key answers it unchanged.',
        },
      })
      .input(apiKeyIdInput)
      .output(apiKeyOutput)
      .mutation(async ({ input, ctx }) => {
        const revoked = await db('apiKeys.revoke', async () => {
          try {
            return await keys.revoke(input.id, ctx.principal.actor);
          } catch (err) {
            if (!(err instanceof KeyNotFoundError)) throw err;
            throw new TRPCError({
              code: 'NOT_FOUND',
              message: `no API key ${input.id}: apiKeys.list shows the keys`,
            });
          }
        });
        await deps.apiKeys?.refresh();
        logger.info({ keyId: revoked.id, name: revoked.name }, 'API key revoked');
        return withState(revoked);
      }),
  });
}
