import { trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFields } from '../runtime/logger';
import { installTracing } from '../runtime/tracing';
import { startTestApp, type TestApp } from './support/app';
import { waitFor } from './support/wait';

// Traces on with an in-process exporter, before any client or worker is made.
const exporter = new InMemorySpanExporter();
installTracing(new SimpleSpanProcessor(exporter));

let app: TestApp | undefined;

const placeInput = {
  customerId: 'c-trace',
  region: 'eu',
  currency: 'EUR',
  items: [{ productId: 'sku-t', quantity: 1, unitPriceMinor: 100 }],
};

/** The span's ancestors up to the root, by name, within the finished spans. */
function ancestry(span: ReadableSpan, spans: ReadableSpan[]): string[] {
  const names = [span.name];
  let parent = span.parentSpanId;
  while (parent) {
    const next = spans.find((s) => s.spanContext().spanId === parent);
    if (!next) {
      names.push(`<missing ${parent}>`);
      break;
    }
    names.push(next.name);
    parent = next.parentSpanId;
  }
  return names.reverse();
}

let commandsSent = 0;

async function traceOfOneCommand(): Promise<{ root: ReadableSpan; spans: ReadableSpan[] }> {
  exporter.reset();
  // Each command its own correlation id: a batch naming it carried this command.
  const correlationId = `trace-test-${++commandsSent}`;
  if (!app) throw new Error('no app');
  const res = await app.fetch(`${app.url}/trpc/orders.place`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer writer-token-0123456789',
      'content-type': 'application/json',
      'x-correlation-id': correlationId,
    },
    body: JSON.stringify(placeInput),
  });
  expect(res.status).toBe(200);
  const root = await waitFor('the request span', async () =>
    exporter.getFinishedSpans().find((s) => s.name === 'POST /trpc/orders.place'),
  );
  expect(root.parentSpanId).toBeUndefined();
  expect(root.attributes['app.correlation_id']).toBe(correlationId);
  const traceId = root.spanContext().traceId;
  return {
    root,
    spans: exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
  };
}

describe('traces (OpenTelemetry)', () => {
  beforeAll(async () => {
    // One workflow per command: its local activities run inside the command's workflow.
    app = await startTestApp(['commands'], {
      commandPath: { partitions: 0, inflightPerPartition: 8, deadlineMs: 20_000 },
    });
  });
  afterAll(async () => {
    await app?.stop();
    app = undefined;
  });

  it('one command is one tree: HTTP request → Temporal client → workflow → its activities', async () => {
    const { spans } = await traceOfOneCommand();
    const appended = await waitFor('the append activity span in the trace', async () => {
      const { traceId } = spans[0]?.spanContext() ?? { traceId: '' };
      const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      const span = all.find((s) => s.name === 'RunActivity:appendOrderEvents');
      return span ? { span, all } : undefined;
    });
    expect(ancestry(appended.span, appended.all)).toEqual([
      'POST /trpc/orders.place',
      'UpdateWithStartWorkflow:commandResult',
      'RunWorkflow:orderCommandWorkflowV2',
      'StartActivity:appendOrderEvents',
      'RunActivity:appendOrderEvents',
    ]);
    // The activity's PostgreSQL statements are spans of the same tree.
    const statements = await waitFor('PostgreSQL spans under the append activity', async () => {
      const all = exporter
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === appended.span.spanContext().traceId);
      const pg = all.filter(
        (s) =>
          s.name.startsWith('pg.query') &&
          ancestry(s, all).includes('RunActivity:appendOrderEvents'),
      );
      return pg.length > 0 ? pg : undefined;
    });
    expect(statements[0]?.attributes['db.system']).toBe('postgresql');
  });
});

describe('traces on the partitioned command path (the default)', () => {
  beforeAll(async () => {
    app = await startTestApp(['commands']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the command's update is handled inside the request's trace", async () => {
    const { root } = await traceOfOneCommand();
    const traceId = root.spanContext().traceId;
    const handled = await waitFor('the partition update span in the trace', async () => {
      const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      const span = all.find((s) => s.name === 'HandleUpdate:submitCommands');
      return span ? { span, all } : undefined;
    });
    expect(ancestry(handled.span, handled.all)).toEqual([
      'POST /trpc/orders.place',
      'UpdateWithStartWorkflow:submitCommands',
      'HandleUpdate:submitCommands',
    ]);
  });

  it("the partition's batch (several commands, one transaction) links to each command's request", async () => {
    const { root } = await traceOfOneCommand();
    const batch = await waitFor('the batch activity span linking to the request', async () =>
      exporter
        .getFinishedSpans()
        .find(
          (s) =>
            s.name === 'RunActivity:decideAndAppendBatch' &&
            s.links.some((l) => l.context.spanId === root.spanContext().spanId),
        ),
    );
    expect(
      batch.links.find((l) => l.context.spanId === root.spanContext().spanId)?.context,
    ).toEqual(expect.objectContaining({ traceId: root.spanContext().traceId }));
    expect(batch.attributes['app.commands']).toBeGreaterThanOrEqual(1);
    const all = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === batch.spanContext().traceId);
    expect(
      all.some((s) => s.name.startsWith('pg.query') && ancestry(s, all).includes(batch.name)),
    ).toBe(true);
  });
});

describe('traces of the projectors', () => {
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the batch that projected a command names the command's correlation id", async () => {
    const { root } = await traceOfOneCommand();
    const correlationId = root.attributes['app.correlation_id'];
    for (const readModel of ['elasticsearch', 'redis']) {
      const batch = await waitFor(`the ${readModel} batch span`, async () =>
        exporter
          .getFinishedSpans()
          .find(
            (s) =>
              s.name === `ProjectBatch:${readModel}` &&
              (s.attributes['app.correlation_ids'] as string[] | undefined)?.includes(
                String(correlationId),
              ),
          ),
      );
      expect(batch.attributes['app.events']).toBeGreaterThanOrEqual(1);
      // The command's events carry its request's trace context: the batch links to it.
      expect(batch.links.map((l) => l.context)).toContainEqual(
        expect.objectContaining({
          traceId: root.spanContext().traceId,
          spanId: root.spanContext().spanId,
        }),
      );
      // Its read-model writes are its children (Elasticsearch's client and Redis' spans).
      const children = exporter
        .getFinishedSpans()
        .filter((s) => s.parentSpanId === batch.spanContext().spanId)
        .map((s) => s.name);
      expect(children.some((n) => n.startsWith('pg.query'))).toBe(true);
      if (readModel === 'elasticsearch') expect(children).toContain('bulk');
      else expect(children.length).toBeGreaterThan(1);
      // In the projector's own trace (a child of its tailing activity, still running), not
      // the request's: the correlation id is the link.
      expect(batch.parentSpanId).toBeDefined();
      expect(batch.spanContext().traceId).not.toBe(root.spanContext().traceId);
    }
  });
});

describe('logs', () => {
  it("a line logged inside a span carries the span's trace and span ids", () => {
    expect(traceFields()).toEqual({});
    trace.getTracer('test').startActiveSpan('logging', (span) => {
      const { traceId, spanId } = span.spanContext();
      expect(traceFields()).toEqual({ traceId, spanId });
      span.end();
    });
  });
});
