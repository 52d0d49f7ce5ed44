import { z } from 'zod';

// Every setting comes from the environment, parsed once; defaults match `npm run stack -- up`.
const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgresql://orders:orders@127.0.0.1:5432/orders'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  ELASTICSEARCH_URL: z.string().url().default('http://127.0.0.1:9200'),
  /** Prepended to every index and alias name, e.g. `test-` gives `test-orders`. */
  ES_INDEX_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_-]*)?$/, 'lower-case letters, digits, _ and -')
    .default(''),
  /** Prepended to every Redis key the read side writes. */
  REDIS_KEY_PREFIX: z.string().max(64).default(''),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .default(''),
  /**
   * Command partitions: commands are routed by a hash of their order id to this many
   * long-lived workflows, which decide and append queued commands in batches. 0: one
   * workflow per command (orderCommandWorkflowV2).
   */
  COMMAND_PARTITIONS: z.coerce.number().int().min(0).max(256).default(4),
  /**
   * Commands one API process keeps in flight per partition. The server refuses more than 10
   * in-flight updates per workflow (history.maxInFlightUpdates): API processes × this must
   * stay below 10 (two API processes: 4 each).
   */
  COMMAND_INFLIGHT_PER_PARTITION: z.coerce.number().int().min(1).max(9).default(8),
  /** How long a command may take before the caller gets 503 "retry with the same commandId". */
  COMMAND_DEADLINE_MS: z.coerce.number().int().min(1_000).max(120_000).default(20_000),
  /**
   * On SIGTERM, how long requests in flight may take to finish before they are cut; longer
   * than COMMAND_DEADLINE_MS, so a command in flight still gets its answer.
   */
  API_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(25_000),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  API_TOKENS: z.string().optional(),
  API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Calls one batched tRPC request may carry (`?batch=1`); more is refused with 400. */
  API_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(20),
  /** Calls one token may have in flight at once; more are refused with 429 and Retry-After. */
  API_MAX_INFLIGHT_PER_TOKEN: z.coerce.number().int().min(1).max(100_000).default(128),
  REPORT_TIMEZONE: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as UTC or Asia/Shanghai'),
  /** Read-model data (not events) older than this many months is deleted daily. */
  READ_MODEL_RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).default(24),
  /** Whether workers create/update the schedules at start (`npm run schedules -- apply` does it too). */
  APPLY_SCHEDULES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof envSchema>;

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

let cached: Config | undefined;

/** The process configuration, parsed from process.env on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
