// What is switched on in each mode, as the environment of `npm start`'s process.
export const MODES = ['off', 'metrics', 'metrics+traces', 'metrics+traces@10%'] as const;
export type Mode = (typeof MODES)[number];

export interface ModePorts {
  metrics: number;
  temporalMetrics: number;
  /** The OTLP receiver's base URL (spans go to <url>/v1/traces). */
  otlpUrl: string;
}

/**
 * off: no endpoints, no SDK metrics, no traces; metrics: the endpoints on (and scraped);
 * +traces: every trace exported; @10%: the standard sampler keeping one trace in ten (the
 * decision made at each trace's root and followed by its children).
 */
export function modeEnvironment(mode: Mode, ports: ModePorts): Record<string, string> {
  if (mode === 'off') return { METRICS_ENABLED: 'false', OTEL_SDK_DISABLED: 'true' };
  const metrics = {
    METRICS_ENABLED: 'true',
    METRICS_PORT: String(ports.metrics),
    TEMPORAL_METRICS_PORT: String(ports.temporalMetrics),
  };
  if (mode === 'metrics') return { ...metrics, OTEL_SDK_DISABLED: 'true' };
  const traces = { OTEL_EXPORTER_OTLP_ENDPOINT: ports.otlpUrl, OTEL_SDK_DISABLED: 'false' };
  if (mode === 'metrics+traces') return { ...metrics, ...traces };
  return {
    ...metrics,
    ...traces,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  };
}

/** Runs the modes in every round, rotated so no mode always goes first (a cold cache) or last. */
export function roundOrder(round: number): Mode[] {
  return MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
}
