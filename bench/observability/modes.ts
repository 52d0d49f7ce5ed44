// What is switched on in each mode, as the environment of `npm start`'s process.
export const MODES = ['off', 'metrics', 'metrics+traces'] as const;
export type Mode = (typeof MODES)[number];

export interface ModePorts {
  metrics: number;
  temporalMetrics: number;
  /** The OTLP receiver's base URL (spans go to <url>/v1/traces). */
  otlpUrl: string;
}

/** off: no endpoints, no SDK metrics, no traces; metrics: the three on (and scraped); +traces. */
export function modeEnvironment(mode: Mode, ports: ModePorts): Record<string, string> {
  if (mode === 'off') return { METRICS_ENABLED: 'false', OTEL_SDK_DISABLED: 'true' };
  const metrics = {
    METRICS_ENABLED: 'true',
    METRICS_PORT: String(ports.metrics),
    TEMPORAL_METRICS_PORT: String(ports.temporalMetrics),
  };
  if (mode === 'metrics') return { ...metrics, OTEL_SDK_DISABLED: 'true' };
  return { ...metrics, OTEL_EXPORTER_OTLP_ENDPOINT: ports.otlpUrl, OTEL_SDK_DISABLED: 'false' };
}

/** Runs the modes in every round, rotated so no mode always goes first (a cold cache) or last. */
export function roundOrder(round: number): Mode[] {
  return MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
}
