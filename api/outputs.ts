import { z } from 'zod';
import { REPORT_VIEWS } from '../projections/elasticsearch';

// What each procedure answers, as zod schemas: tRPC checks every answer against them (an
// answer that does not fit is a 500, never a silent contract break) and /openapi.json is
// generated from them. Objects strip what they do not name, so nothing undocumented leaks.
// The `id`s name the document's reusable schemas (components.schemas).

const count = z.number().int().min(0);
/** A report's counts net refunds: negative in a booked month whose refunds outnumber its sales. */
const netCount = z
  .number()
  .int()
  .describe('Orders counted; in the booked view refunds count negative');
const position = z.number().int().min(0).describe('A global position in the event store');
const instant = z.string().describe('An ISO-8601 instant in UTC');
const monthText = z.string().describe('A month as YYYY-MM');
const readModel = z.enum(['elasticsearch', 'redis']);
const stale = z
  .boolean()
  .describe(
    'With minPosition/minVersion: true when the read model had not projected it within 2 s',
  );
/** Minor units (cents): sums are exact integers, refused rather than rounded past 2^53. */
const minor = z.number().int().describe('An amount in minor units (cents) of the currency');

export const commandReplyOutput = z
  .object({
    commandId: z
      .string()
      .describe('The command id: the caller’s, or the one generated (also in x-command-id)'),
    orderId: z.string(),
    version: z.number().int().describe('The order’s version after the command'),
    position: position.describe('Pass as minPosition/minVersion to read your own write'),
  })
  .meta({
    id: 'CommandReply',
    description: 'A committed command',
    examples: [
      {
        commandId: '6f1c2a9e-8b1d-4c39-9d7e-2b1f0c3a4d5e',
        orderId: 'o-6f1c2a9e-8b1d-4c39-9d7e-2b1f0c3a4d5e',
        version: 1,
        position: 42,
      },
    ],
  });

export const orderOutput = z
  .object({
    orderId: z.string(),
    customerId: z.string(),
    region: z.string(),
    currency: z.string().describe('ISO 4217'),
    status: z.enum(['placed', 'completed', 'cancelled', 'refunded']),
    items: z.array(
      z.object({
        productId: z.string(),
        quantity: z.number().int(),
        unitPriceMinor: minor,
        lineTotalMinor: minor,
      }),
    ),
    productIds: z.array(z.string()),
    totalQuantity: z.number().int(),
    totalMinor: minor,
    placedAt: instant,
    completedAt: instant.nullable(),
    cancelledAt: instant.nullable(),
    refundedAt: instant.nullable(),
    reportMonth: monthText.nullable().describe('The month it counts in (completion month)'),
    refundMonth: monthText.nullable().describe('The booked view’s refund month'),
    version: z.number().int(),
  })
  .meta({ id: 'Order', description: 'An order as the read models hold it' });

export const getOrderOutput = orderOutput.extend({ stale });

export const searchOrdersOutput = z.object({
  items: z.array(orderOutput),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null: no more'),
  stale,
});

export const orderHistoryOutput = z.object({
  orderId: z.string(),
  events: z.array(
    z.object({
      version: z.number().int(),
      position,
      type: z.string().describe('OrderPlaced, OrderCompleted, OrderCancelled, OrderRefunded'),
      occurredAt: instant,
      recordedAt: instant,
      data: z.unknown().describe('The event as this version reads it (older versions upcast)'),
      metadata: z.object({ commandId: z.string(), actor: z.string(), correlationId: z.string() }),
    }),
  ),
  nextAfterVersion: z.number().int().nullable().describe('Pass as afterVersion; null: no more'),
});

const totals = z.object({
  orderCount: netCount,
  totalQuantity: z.number().int(),
  totalSalesMinor: minor,
});
const view = z.enum(REPORT_VIEWS);

export const monthlyReportOutput = z
  .object({
    month: monthText,
    view,
    currency: z.string(),
    region: z.string().nullable(),
    totals,
    products: z.array(
      z.object({
        productId: z.string(),
        orderCount: netCount,
        totalQuantity: z.number().int(),
        totalSalesMinor: minor,
        avgUnitPriceMinor: minor,
      }),
    ),
    source: z.enum(['live', 'rollup']).describe('rollup: a closed month’s pre-aggregated report'),
    generatedAt: instant,
    currencyDigits: z.number().int().describe('Minor-unit digits: 2 for EUR, 0 for JPY'),
    stale,
  })
  .meta({
    id: 'MonthlyReport',
    description: 'Per product and in total, for one month',
    examples: [
      {
        month: '2025-10',
        view: 'restated',
        currency: 'EUR',
        region: null,
        totals: { orderCount: 2, totalQuantity: 3, totalSalesMinor: 3750 },
        products: [
          {
            productId: 'sku-1',
            orderCount: 2,
            totalQuantity: 3,
            totalSalesMinor: 3750,
            avgUnitPriceMinor: 1250,
          },
        ],
        source: 'rollup',
        generatedAt: '2025-11-01T01:00:03.120Z',
        currencyDigits: 2,
        stale: false,
      },
    ],
  });

export const monthlySeriesOutput = z.object({
  from: monthText,
  to: monthText,
  currency: z.string(),
  region: z.string().nullable(),
  view,
  months: z.array(
    z.object({
      month: monthText,
      source: z.enum(['live', 'rollup']),
      generatedAt: instant,
      totals,
    }),
  ),
  stale,
});

export const topProductsOutput = z.object({
  stale,
  from: monthText,
  to: monthText,
  currency: z.string(),
  region: z.string().nullable(),
  view,
  currencyDigits: z.number().int(),
  products: z.array(
    z.object({
      productId: z.string(),
      orderCount: netCount,
      totalQuantity: z.number().int(),
      totalSalesMinor: minor,
    }),
  ),
});

export const whoamiOutput = z.object({ role: z.enum(['reader', 'writer', 'admin']) });

const checkpoint = z.object({
  transactionId: z.string().describe('xid8 as decimal text'),
  position,
});

export const parkedListOutput = z.object({
  parked: z.array(
    z.object({
      workflowId: z.string(),
      runId: z.string(),
      readModel: readModel.nullable(),
      orderId: z.string().nullable(),
      lastError: z.string().nullable().describe('null when no worker answered the query'),
      retries: z.number().int().nullable(),
      parkedAt: instant,
    }),
  ),
  limit: z.number().int(),
});

export const parkedSignalOutput = z.object({
  workflowId: z.string(),
  signalled: z.enum(['retryProjection', 'skipProjection']),
});

export const reconcileOutput = z.object({
  month: monthText,
  rolledUp: z.boolean(),
  slots: count,
  checked: z.object({ rollup: count, live: count, cache: count }),
  differences: z.array(
    z.object({
      slot: z.string(),
      view,
      source: z.enum(['rollup', 'live', 'cache']),
      what: z.string(),
      expected: z.string(),
      actual: z.string(),
    }),
  ),
  notes: z.array(z.string()),
});

export const temporalUiOutput = z.object({
  url: z.string(),
  namespace: z.string(),
  workflows: z.object({
    projectors: z.array(z.object({ readModel, workflowId: z.string() })),
    rebuilds: z.array(z.object({ readModel, workflowId: z.string() })),
  }),
});

export const commandLookupOutput = z.discriminatedUnion('outcome', [
  z.object({
    commandId: z.string(),
    orderId: z.string(),
    outcome: z.literal('committed'),
    streamId: z.string(),
    commandType: z.string(),
    version: z.number().int(),
    position,
    recordedAt: instant,
    workflowId: z.string(),
  }),
  z.object({
    commandId: z.string(),
    orderId: z.string(),
    outcome: z.literal('refused'),
    streamId: z.string(),
    error: z.unknown().describe('The refusal as stored'),
    recordedAt: instant,
    workflowId: z.string(),
  }),
]);

export const projectionStatusOutput = z.object({
  readModels: z.array(
    z.object({
      readModel,
      checkpoint,
      checkpointAt: instant.nullable(),
      lagEvents: count,
      lagSeconds: count,
      retrying: count,
      failed: count,
      pending: count,
    }),
  ),
  restoredEvents: z.string().nullable().describe('Set when the store was restored elsewhere'),
});

const rebuildProgress = z.object({
  readModel,
  phase: z.enum(['copying', 'catching-up', 'done']),
  index: z.string().nullable(),
  checkpoint,
  eventsRead: count,
  ordersWritten: count,
  parked: count.optional(),
  startedAt: instant,
  swappedAt: instant.nullable(),
  force: z.boolean().optional(),
  heldBack: z
    .object({ pid: z.number().int(), transactionAgeSeconds: z.number(), eventsWaiting: count })
    .nullable()
    .optional(),
  watermark: z.string().nullable(),
  finishedAt: instant.nullable(),
});

export const rebuildStartOutput = z.object({
  workflowId: z.string(),
  alreadyRunning: z.boolean(),
  progress: rebuildProgress,
});

export const rebuildProgressOutput = z.object({
  workflowId: z.string(),
  status: z.string().describe('Temporal’s execution status, e.g. RUNNING, COMPLETED, FAILED'),
  progress: rebuildProgress.nullable(),
  error: z.string().optional().describe('Why a failed rebuild stopped'),
});
