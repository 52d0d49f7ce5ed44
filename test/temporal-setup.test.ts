import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../config/env';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { parseSetupArgs } from '../scripts/setup-args';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { planSearchAttributes } from '../temporal/namespace-setup';

const { IndexedValueType } = temporal.api.enums.v1;
const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const runId = process.env.TEST_RUN_ID ?? String(Date.now());

describe('planning the search attributes (pure)', () => {
  it('given none registered, when planned, then all of the app are added by type', () => {
    const plan = planSearchAttributes({});
    expect(Object.keys(plan.add)).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
    expect(plan.add.ProjectionStatus).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
  });
  it('given some registered with the same type, then only the others are added', () => {
    const plan = planSearchAttributes({ OrderId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD });
    expect(plan.present).toEqual(['OrderId']);
    expect(plan.add).not.toHaveProperty('OrderId');
  });
  it('given one registered with another type, then it is a conflict, never re-added', () => {
    const plan = planSearchAttributes({ OrderId: IndexedValueType.INDEXED_VALUE_TYPE_TEXT });
    expect(plan.conflicts).toEqual([
      {
        name: 'OrderId',
        registered: 'INDEXED_VALUE_TYPE_TEXT',
        wanted: 'INDEXED_VALUE_TYPE_KEYWORD',
      },
    ]);
    expect(plan.add).not.toHaveProperty('OrderId');
  });
  it('the arguments: a target, a namespace and retention within bounds', () => {
    expect(parseSetupArgs(['temporal'], 'default')).toEqual({
      ok: true,
      target: 'temporal',
      namespace: 'default',
      retentionDays: 7,
    });
    expect(
      parseSetupArgs(['temporal', '--namespace', 'orders', '--retention-days', '30'], 'd'),
    ).toMatchObject({ ok: true, namespace: 'orders', retentionDays: 30 });
    expect(parseSetupArgs([], 'd')).toEqual({ ok: false, error: 'name what to set up' });
    expect(parseSetupArgs(['redis'], 'd')).toEqual({ ok: false, error: 'unknown target: redis' });
    expect(parseSetupArgs(['temporal', '--retention-days', '0'], 'd')).toMatchObject({ ok: false });
    expect(parseSetupArgs(['temporal', '--namespace'], 'd')).toEqual({
      ok: false,
      error: '--namespace needs a value',
    });
    expect(parseSetupArgs(['temporal', '--namespace', 'a b'], 'd')).toMatchObject({ ok: false });
  });
});

// On the stack's Temporal: namespaces of this run's own, deleted at the end.
const fresh = `setup-${runId}`;
const clashing = `setup-clash-${runId}`;
let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect(temporalConnectionOptions(config()));
});
afterAll(async () => {
  for (const namespace of [fresh, clashing]) {
    await connection?.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
  }
  await connection?.close();
});

const setup = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/setup.ts', 'temporal', ...args], {
    cwd: root,
    env: process.env,
  }).catch((err: { code: number; stdout: string; stderr: string }) => err);

describe('npm run setup -- temporal', () => {
  it('registers a namespace and every search attribute on a server that has neither; a second run finds them', async () => {
    const first = await setup('--namespace', fresh);
    expect(first).toMatchObject({
      stdout: expect.stringContaining(`namespace ${fresh}: registered`),
    });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: fresh,
    });
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      expect(IndexedValueType[customAttributes?.[key.name] ?? 0], key.name).toBe(
        `INDEXED_VALUE_TYPE_${key.type}`,
      );
    }
    const again = await setup('--namespace', fresh);
    expect(again).not.toHaveProperty('code');
    expect(again.stdout).toContain(`namespace ${fresh}: present`);
    expect(again.stdout).toContain('search attribute OrderId: present');
  });

  it('refuses (exit 3) an attribute registered with another type, saying what to do', async () => {
    await connection.workflowService.registerNamespace({
      namespace: clashing,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const first = await setup('--namespace', clashing);
    expect(first).not.toHaveProperty('code');
    await connection.operatorService.removeSearchAttributes({
      namespace: clashing,
      searchAttributes: ['OrderId'],
    });
    await connection.operatorService.addSearchAttributes({
      namespace: clashing,
      searchAttributes: { OrderId: IndexedValueType.INDEXED_VALUE_TYPE_TEXT },
    });
    const refused = await setup('--namespace', clashing);
    expect(refused).toMatchObject({ code: 3 });
    expect(refused.stderr).toMatch(
      /search attribute OrderId is registered as INDEXED_VALUE_TYPE_TEXT, the app needs INDEXED_VALUE_TYPE_KEYWORD/,
    );
  });
});
