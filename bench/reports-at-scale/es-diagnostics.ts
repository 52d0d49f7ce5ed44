// What the Elasticsearch client's diagnostic events tell about our requests: the time spent
// on `_bulk` (serializing here vs the round trip) and the `took` of each `_search`.
import { performance } from 'node:perf_hooks';
import type { DiagnosticResult, Client as EsClient } from '@elastic/elasticsearch';

type Listener = (err: unknown, meta: DiagnosticResult | null) => void;

/** Time of `_bulk` requests: serializing the body here, then the round trip to Elasticsearch. */
export function timeBulkRequests(es: EsClient) {
  const started = new Map<unknown, { at: number; sent: number | null }>();
  const totals = { requests: 0, serializeMs: 0, roundTripMs: 0 };
  const onSerialization: Listener = (_err, meta) => {
    const path: unknown = meta?.meta.request.params.path;
    if (typeof path === 'string' && path.includes('_bulk')) {
      const id: unknown = meta?.meta.request.id;
      started.set(id, { at: performance.now(), sent: null });
    }
  };
  const onRequest: Listener = (_err, meta) => {
    const id: unknown = meta?.meta.request.id;
    const entry = started.get(id);
    if (entry) entry.sent = performance.now();
  };
  const onResponse: Listener = (_err, meta) => {
    const id: unknown = meta?.meta.request.id;
    const entry = started.get(id);
    if (!entry) return;
    started.delete(id);
    const now = performance.now();
    const sent = entry.sent ?? entry.at;
    totals.requests++;
    totals.serializeMs += sent - entry.at;
    totals.roundTripMs += now - sent;
  };
  es.diagnostic.on('serialization', onSerialization);
  es.diagnostic.on('request', onRequest);
  es.diagnostic.on('response', onResponse);
  const stop = () => {
    es.diagnostic.off('serialization', onSerialization);
    es.diagnostic.off('request', onRequest);
    es.diagnostic.off('response', onResponse);
  };
  return { totals, stop };
}

/** `took` (time inside Elasticsearch) of every `_search` answered while watching. */
export function watchSearches(es: EsClient) {
  const took: number[] = [];
  const onResponse: Listener = (_err, meta) => {
    const path: unknown = meta?.meta.request.params.path;
    const body: unknown = meta?.body;
    if (typeof path !== 'string' || !path.endsWith('/_search')) return;
    if (typeof body === 'object' && body !== null && 'took' in body) {
      const value: unknown = body.took;
      if (typeof value === 'number') took.push(value);
    }
  };
  es.diagnostic.on('response', onResponse);
  return {
    took,
    stop: () => es.diagnostic.off('response', onResponse),
  };
}
