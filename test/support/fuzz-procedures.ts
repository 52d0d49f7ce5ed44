import fc from 'fast-check';
import { expect } from 'vitest';
import {
  cancelOrderInput,
  completeOrderInput,
  placeOrderInput,
  refundOrderInput,
} from '../../api/inputs';
import {
  commandLookupInput,
  getOrderInput,
  monthlyReportInput,
  monthlySeriesInput,
  orderHistoryInput,
  parkedProjectionInput,
  readModelInput,
  rebuildInput,
  reconcileInput,
  searchOrdersInput,
  topProductsInput,
} from '../../api/query-inputs';
import { createAppRouter } from '../../api/router';
import { apiKeyIdInput, auditListInput } from '../../api/security-inputs';
import { deliveriesInput, MAX_CURSOR, subscriptionIdInput } from '../../api/subscription-inputs';
import { config } from '../../config/env';
import type { Connections } from '../../temporal/connections';
import type { TOKENS } from './app';
import { type Json, objectOf, validId } from './fuzz';
import {
  atField,
  CURRENCY,
  commandIdField,
  currencyField,
  cursorField,
  type Entry,
  enumField,
  type Field,
  fieldsInput,
  forceField,
  fullInstant,
  idField,
  instantField,
  intField,
  itemsField,
  monthField,
  newOrderCurrencyField,
  readModelField,
  reasonField,
  STATUSES,
  validMonthRange,
} from './fuzz-fields';

// The table of the API's procedures the fuzz sweeps: each with its least role and, when it
// takes input, its fields and schema.

export type Role = keyof typeof TOKENS;
export const ROLES: Role[] = ['reader', 'writer', 'admin'];
export const rolesAtLeast = (role: Role): Role[] => ROLES.slice(ROLES.indexOf(role));

export interface Procedure {
  name: string;
  type: 'query' | 'mutation';
  /** The least role that may call it. */
  role: Role;
}

export interface ProcedureSpec extends Procedure {
  fields: Field[];
  schema: { safeParse(input: unknown): { success: boolean } };
  /** A field that must match a pattern or an enum: bytes injected into it make it invalid. */
  patternField: string;
  /** Valid inputs, when they are more than each field being valid (topProducts: from ≤ to). */
  valid?: fc.Arbitrary<{ [key: string]: Json }>;
}

export const PLACE: ProcedureSpec = {
  name: 'orders.place',
  type: 'mutation',
  role: 'writer',
  schema: placeOrderInput,
  patternField: 'customerId',
  fields: [
    commandIdField,
    idField('customerId'),
    idField('region'),
    newOrderCurrencyField,
    itemsField,
    atField,
  ],
};
export const COMPLETE: ProcedureSpec = {
  name: 'orders.complete',
  type: 'mutation',
  role: 'writer',
  schema: completeOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), atField],
};
export const CANCEL: ProcedureSpec = {
  name: 'orders.cancel',
  type: 'mutation',
  role: 'writer',
  schema: cancelOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), reasonField, atField],
};
export const REFUND: ProcedureSpec = {
  name: 'orders.refund',
  type: 'mutation',
  role: 'writer',
  schema: refundOrderInput,
  patternField: 'orderId',
  fields: [commandIdField, idField('orderId'), reasonField, atField],
};
export const REBUILD: ProcedureSpec = {
  name: 'admin.projections.rebuild',
  type: 'mutation',
  role: 'admin',
  schema: rebuildInput,
  patternField: 'readModel',
  fields: [readModelField, forceField],
};
export const GET: ProcedureSpec = {
  name: 'orders.get',
  type: 'query',
  role: 'reader',
  schema: getOrderInput,
  patternField: 'orderId',
  fields: [idField('orderId'), intField('minVersion', 1, 1_000_000)],
};
const HISTORY: ProcedureSpec = {
  name: 'orders.history',
  type: 'query',
  role: 'reader',
  schema: orderHistoryInput,
  patternField: 'orderId',
  fields: [
    idField('orderId'),
    intField('afterVersion', 0, 1_000_000),
    intField('pageSize', 1, 500),
  ],
};
export const SEARCH: ProcedureSpec = {
  name: 'orders.search',
  type: 'query',
  role: 'reader',
  schema: searchOrdersInput,
  patternField: 'region',
  fields: [
    enumField('status', STATUSES, ['Placed', 'PLACED', 'open', 'canceled', 'placed '], false),
    idField('region', false),
    idField('customerId', false),
    idField('productId', false),
    currencyField(false),
    { ...monthField('reportMonth'), required: false },
    instantField('placedFrom'),
    instantField('placedTo'),
    intField('pageSize', 1, 100),
    cursorField,
  ],
};
// placedFrom after placedTo is refused, so a valid search has them in order.
SEARCH.valid = fieldsInput(SEARCH.fields).map((input) => {
  const { placedFrom: from, placedTo: to } = input;
  if (
    typeof from !== 'string' ||
    typeof to !== 'string' ||
    Date.parse(fullInstant(from)) <= Date.parse(fullInstant(to))
  )
    return input;
  return objectOf(
    Object.entries(input).map(
      ([k, v]): Entry => (k === 'placedFrom' ? [k, to] : k === 'placedTo' ? [k, from] : [k, v]),
    ),
  );
});
export const MONTHLY: ProcedureSpec = {
  name: 'reports.monthly',
  type: 'query',
  role: 'reader',
  schema: monthlyReportInput,
  patternField: 'month',
  fields: [monthField('month'), currencyField(), idField('region', false)],
};
export const TOP_PRODUCTS: ProcedureSpec = {
  name: 'reports.topProducts',
  type: 'query',
  role: 'reader',
  schema: topProductsInput,
  patternField: 'currency',
  fields: [
    monthField('from'),
    monthField('to'),
    currencyField(),
    idField('region', false),
    intField('limit', 1, 100),
  ],
  valid: fc
    .tuple(
      validMonthRange,
      fc.stringMatching(CURRENCY),
      fc.option(fc.integer({ min: 1, max: 100 })),
    )
    .map(([[from = '', to = ''], currency, limit]) => {
      return objectOf([
        ['from', from],
        ['to', to],
        ['currency', currency],
        ...(limit === null ? [] : [['limit', limit] as const]),
      ]);
    }),
};
const MONTHLY_SERIES: ProcedureSpec = {
  name: 'reports.monthlySeries',
  type: 'query',
  role: 'reader',
  schema: monthlySeriesInput,
  patternField: 'currency',
  fields: [monthField('from'), monthField('to'), currencyField(), idField('region', false)],
  valid: fc
    .tuple(validMonthRange, fc.stringMatching(CURRENCY), fc.option(validId))
    .map(([[from, to], currency, region]) =>
      objectOf([
        ['from', from as string],
        ['to', to as string],
        ['currency', currency],
        ...(region === null ? [] : [['region', region] as const]),
      ]),
    ),
};
const parkedSpec = (name: string): ProcedureSpec => ({
  name,
  type: 'mutation',
  role: 'admin',
  schema: parkedProjectionInput,
  patternField: 'orderId',
  fields: [readModelField, idField('orderId')],
});
const PARKED_RETRY = parkedSpec('admin.parked.retry');
const PARKED_SKIP = parkedSpec('admin.parked.skip');
const RECONCILE: ProcedureSpec = {
  name: 'admin.reconcile',
  type: 'mutation',
  role: 'admin',
  schema: reconcileInput,
  patternField: 'month',
  fields: [monthField('month')],
};
export const REBUILD_PROGRESS: ProcedureSpec = {
  name: 'admin.projections.rebuildProgress',
  type: 'query',
  role: 'admin',
  schema: readModelInput,
  patternField: 'readModel',
  fields: [readModelField],
};
const COMMAND_GET: ProcedureSpec = {
  name: 'admin.commands.get',
  type: 'query',
  role: 'admin',
  schema: commandLookupInput,
  patternField: 'commandId',
  fields: [{ ...commandIdField, required: true }],
};
const subscriptionIdField: Field = { ...commandIdField, name: 'id', required: true };
const subscriptionSpec = (name: string, type: 'query' | 'mutation'): ProcedureSpec => ({
  name,
  type,
  role: 'admin',
  schema: subscriptionIdInput,
  patternField: 'id',
  fields: [subscriptionIdField],
});
const SUBSCRIPTION_DELIVERIES: ProcedureSpec = {
  name: 'subscriptions.deliveries',
  type: 'query',
  role: 'admin',
  schema: deliveriesInput,
  patternField: 'id',
  fields: [subscriptionIdField, intField('cursor', 1, MAX_CURSOR), intField('limit', 1, 200)],
};
const API_KEY_REVOKE: ProcedureSpec = {
  name: 'apiKeys.revoke',
  type: 'mutation',
  role: 'admin',
  schema: apiKeyIdInput,
  patternField: 'id',
  fields: [subscriptionIdField],
};
const AUDIT_LIST: ProcedureSpec = {
  name: 'audit.list',
  type: 'query',
  role: 'admin',
  schema: auditListInput,
  patternField: 'from',
  fields: [
    instantField('from'),
    instantField('to'),
    intField('cursor', 1, MAX_CURSOR),
    intField('limit', 1, 200),
  ],
};
/**
 * Take input, but are not in the input sweep: a valid URL is looked up in DNS (create,
 * update), and replay needs exactly one of two fields, which the mutations here cannot
 * express. test/subscription-safety.test.ts covers their refusals.
 */
const UNSWEPT_INPUT: Procedure[] = [
  { name: 'subscriptions.create', type: 'mutation', role: 'admin' },
  { name: 'subscriptions.update', type: 'mutation', role: 'admin' },
  { name: 'subscriptions.replay', type: 'mutation', role: 'admin' },
  // A valid expiresAt in the past is refused (the sweep's instants are any time);
  // test/api-keys.test.ts covers its refusals.
  { name: 'apiKeys.create', type: 'mutation', role: 'admin' },
];
/** Takes no input at all. */
export const STATUS: Procedure = { name: 'admin.projections.status', type: 'query', role: 'admin' };
const NO_INPUT: Procedure[] = [
  STATUS,
  { name: 'admin.parked.list', type: 'query', role: 'admin' },
  { name: 'admin.temporalUi', type: 'query', role: 'admin' },
  { name: 'session.whoami', type: 'query', role: 'reader' },
  { name: 'subscriptions.list', type: 'query', role: 'admin' },
  { name: 'apiKeys.list', type: 'query', role: 'admin' },
];

export const WITH_INPUT: ProcedureSpec[] = [
  PLACE,
  COMPLETE,
  CANCEL,
  REFUND,
  REBUILD,
  GET,
  HISTORY,
  SEARCH,
  MONTHLY,
  TOP_PRODUCTS,
  REBUILD_PROGRESS,
  COMMAND_GET,
  MONTHLY_SERIES,
  PARKED_RETRY,
  PARKED_SKIP,
  RECONCILE,
  subscriptionSpec('subscriptions.get', 'query'),
  subscriptionSpec('subscriptions.delete', 'mutation'),
  subscriptionSpec('subscriptions.rotateSecret', 'mutation'),
  SUBSCRIPTION_DELIVERIES,
  API_KEY_REVOKE,
  AUDIT_LIST,
];
export const ALL: Procedure[] = [...WITH_INPUT, ...NO_INPUT, ...UNSWEPT_INPUT];
export const MUTATIONS = WITH_INPUT.filter((p) => p.type === 'mutation');
export const isSpec = (p: Procedure): p is ProcedureSpec => 'fields' in p;

/**
 * The procedures the API serves, read from its router (not from the table above), each with
 * its table entry: a procedure added to the router without one fails the sweep instead of
 * going unswept, and so does a table entry of the wrong type.
 */
export function servedProcedures(connections: Connections): Procedure[] {
  const router = createAppRouter({
    ...connections,
    esPrefix: config().ES_INDEX_PREFIX,
    redisPrefix: config().REDIS_KEY_PREFIX,
    reportTimeZone: config().REPORT_TIMEZONE,
  });
  // At run time tRPC keeps every procedure here under its dotted path (its type says nested).
  const byPath = router._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  const served = Object.entries(byPath);
  const table = new Map(ALL.map((p) => [p.name, p]));
  expect(
    served.filter(([name]) => !table.has(name)).map(([name]) => name),
    'procedures with no entry in the sweep table (least role, input fields)',
  ).toEqual([]);
  return served.map(([name, procedure]) => {
    const entry = table.get(name) as Procedure;
    expect(procedure._def.type, `${name}: its type in the sweep table`).toBe(entry.type);
    return entry;
  });
}

export function validInput(p: ProcedureSpec): fc.Arbitrary<{ [key: string]: Json }> {
  return p.valid ?? fieldsInput(p.fields);
}
