import { type Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
// A CommonJS module: a default import works under plain Node as well as under Vitest.
import proto from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';

const { IndexedValueType } = proto.temporal.api.enums.v1;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** gRPC status codes the setup tells apart. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

export interface AttributePlan {
  add: Record<string, IndexedValueType>;
  present: string[];
  /** Registered under another type: the server cannot change it; an operator must decide. */
  conflicts: { name: string; registered: string; wanted: string }[];
}

/** What to register beside what a namespace has: the app's search attributes, by type. */
export function planSearchAttributes(registered: Record<string, IndexedValueType>): AttributePlan {
  const plan: AttributePlan = { add: {}, present: [], conflicts: [] };
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const wanted = IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`];
    const current = registered[key.name];
    if (current === undefined) plan.add[key.name] = wanted;
    else if (current === wanted) plan.present.push(key.name);
    else {
      plan.conflicts.push({
        name: key.name,
        registered: IndexedValueType[current] ?? String(current),
        wanted: IndexedValueType[wanted] ?? String(wanted),
      });
    }
  }
  return plan;
}

const codeOf = (err: unknown) => (isGrpcServiceError(err) ? err.code : undefined);

const SETTLE_MS = 60_000;

/** Polls `ready` every half second; a server that never gets there is an error, not a hang. */
async function until(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what}: not visible after ${SETTLE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The namespace's custom attributes. A namespace registered a moment ago is not found until
 * the frontend's namespace cache refreshes (seconds): it is waited for.
 */
async function registeredAttributes(
  connection: Connection,
  namespace: string,
): Promise<Record<string, IndexedValueType>> {
  let found: Record<string, IndexedValueType> | undefined;
  await until(`namespace ${namespace}`, async () => {
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace,
      });
      found = (customAttributes ?? {}) as Record<string, IndexedValueType>;
      return true;
    } catch (err) {
      if (codeOf(err) === NOT_FOUND) return false;
      throw err;
    }
  });
  return found ?? {};
}

export class SetupRefusedError extends Error {
  override name = 'SetupRefusedError';
}

/**
 * Registers the namespace (if the server lets clients do that: Temporal Cloud does not) and
 * the app's search attributes on it; idempotent. Returns one line per step, for the operator.
 */
export async function setUpNamespace(
  connection: Connection,
  namespace: string,
  retentionDays: number,
): Promise<string[]> {
  const lines: string[] = [];
  try {
    await connection.workflowService.describeNamespace({ namespace });
    lines.push(`namespace ${namespace}: present`);
  } catch (err) {
    if (codeOf(err) !== NOT_FOUND) throw err;
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
      });
      lines.push(`namespace ${namespace}: registered (retention ${retentionDays} days)`);
    } catch (registerError) {
      if (codeOf(registerError) !== ALREADY_EXISTS) {
        throw new SetupRefusedError(
          `namespace ${namespace} does not exist and the server refused to register it (${(registerError as Error).message}); on Temporal Cloud create it with tcld or the Cloud UI, then run this again`,
        );
      }
      lines.push(`namespace ${namespace}: present`);
    }
  }
  const customAttributes = await registeredAttributes(connection, namespace);
  const plan = planSearchAttributes(customAttributes);
  if (plan.conflicts.length > 0) {
    throw new SetupRefusedError(
      plan.conflicts
        .map(
          (c) =>
            `search attribute ${c.name} is registered as ${c.registered}, the app needs ${c.wanted}: remove it (temporal operator search-attribute remove) or use another namespace`,
        )
        .join('\n'),
    );
  }
  if (Object.keys(plan.add).length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: plan.add,
    });
  }
  // Added attributes show after the server's caches refresh: done means usable.
  await until(`the search attributes of ${namespace}`, async () => {
    const now = await registeredAttributes(connection, namespace);
    return Object.keys(plan.add).every((name) => name in now);
  });
  for (const name of plan.present) lines.push(`search attribute ${name}: present`);
  for (const name of Object.keys(plan.add)) lines.push(`search attribute ${name}: registered`);
  return lines;
}
