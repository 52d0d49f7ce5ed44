import {
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';

/**
 * Links to the requests whose traceparents the given events or commands carry (one per
 * request, at most `max`). A batch serves several commands, so it cannot be a child of each;
 * a link leads from the batch to every request it carried, and back.
 */
export function linksToRequests(traceparents: Iterable<string | undefined>, max: number): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const traceparent of traceparents) {
    if (links.length >= max) break;
    if (!traceparent || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
    if (spanContext && isSpanContextValid(spanContext)) links.push({ context: spanContext });
  }
  return links;
}
