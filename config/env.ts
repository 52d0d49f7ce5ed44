import { z } from 'zod';
import { flag, nodeList, optionalPath, urlsOf, urlsWithScheme, urlWithScheme } from './env-fields';

// Every setting comes from the environment, parsed once; defaults match `npm run stack -- up`.
// URLs may carry credentials: their refusals never quote the value.

export { urlsOf };

/**
 * One partition: the stack's Temporal server has one history shard, so more partitions
 * add no parallelism there, only smaller batches, and a batch's fixed cost (an update, a
 * workflow task, a transaction, a projector wake-up) is what a command pays. On this
 * 2-core machine 1 partition made 1.6-2x the commands/s of 4 at 10-200 clients
 * (BENCHMARKS.md, "How many partitions, with arrays"). Raise it with the server's history
 * shards and the workers' cores, and measure.
 */
export const DEFAULT_COMMAND_PARTITIONS = 1;

const envSchema = z.object({
  /** production: no generated API tokens (API_TOKENS is required). */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** TLS and its CA go in the URL: `?sslmode=verify-full&sslrootcert=/path/ca.pem` (sslcert, sslkey for a client certificate). */
  DATABASE_URL: urlWithScheme(
    ['postgres:', 'postgresql:'],
    'postgresql://orders:orders@127.0.0.1:5432/orders',
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  /** `rediss://` for TLS; REDIS_TLS_CA_PATH for a private CA. */
  REDIS_URL: urlWithScheme(['redis:', 'rediss:'], 'redis://:orders@127.0.0.1:6379'),
  REDIS_TLS_CA_PATH: optionalPath,
  /**
   * A Redis Cluster: some of its nodes as `host:port,host:port` (the rest are discovered).
   * REDIS_URL then gives only the user, password and TLS (`rediss://`) of every node.
   */
  REDIS_CLUSTER_NODES: nodeList.optional(),
  /** Sentinels (`host:port,…`) that name the primary REDIS_SENTINEL_NAME; REDIS_URL as above. */
  REDIS_SENTINELS: nodeList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /**
   * `https://user:password@host:9200` for TLS and basic auth, or ELASTICSEARCH_API_KEY.
   * Several nodes comma-separated: the client spreads requests and skips a dead node.
   */
  ELASTICSEARCH_URL: urlsWithScheme(['http:', 'https:'], 'http://127.0.0.1:9200'),
  ELASTICSEARCH_CA_PATH: optionalPath,
  ELASTICSEARCH_API_KEY: z.string().min(1).optional(),
  /**
   * Copies of each shard of the app's indices: a number, or a range that follows the
   * cluster's size (`0-1`, `1-all`). Unset: `0-1` (none on one node, one from two nodes on).
   * Applied to existing indices at worker start.
   */
  ELASTICSEARCH_REPLICAS: z
    .string()
    .regex(
      /^(\d{1,2}|\d{1,2}-(\d{1,2}|all))$/,
      'must be a number such as 1, or a range such as 0-1 or 1-all',
    )
    .optional(),
  /** Prepended to every index and alias name, e.g. `test-` gives `test-orders`. */
  ES_INDEX_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_-]*)?$/, 'lower-case letters, digits, _ and -')
    .default(''),
  /** Prepended to every Redis key the read side writes. */
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    // A brace would make the prefix a Redis Cluster hash tag: every key in one slot.
    .regex(/^[^{}]*$/, 'must not contain { or } (a Redis Cluster hash tag)')
    .default(''),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** The Temporal Web UI, linked from the web workspace's operator screens. */
  TEMPORAL_UI_URL: urlWithScheme(['http:', 'https:'], 'http://127.0.0.1:8233'),
  /** TLS to the Temporal frontend; on by itself when TEMPORAL_API_KEY is set. */
  TEMPORAL_TLS: flag('false'),
  TEMPORAL_TLS_CA_PATH: optionalPath,
  /** Client certificate and key for mTLS: both or neither. */
  TEMPORAL_TLS_CERT_PATH: optionalPath,
  TEMPORAL_TLS_KEY_PATH: optionalPath,
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .default(''),
  /**
   * Command partitions: commands are routed by a hash of their order id to this many
   * long-lived workflows, which decide and append queued commands in batches. 0: one
   * workflow per command (orderCommandWorkflowV2).
   */
  COMMAND_PARTITIONS: z.coerce.number().int().min(0).max(256).default(DEFAULT_COMMAND_PARTITIONS),
  /**
   * Updates one API process keeps in flight per partition, each carrying every command
   * queued meanwhile (up to 100). The server refuses more than TEMPORAL_MAX_INFLIGHT_UPDATES
   * in-flight updates per workflow, from all API processes together: unset, it is 1 (the
   * fewest updates, the most commands each); set, it is checked against API_PROCESSES.
   */
  COMMAND_INFLIGHT_PER_PARTITION: z.coerce.number().int().min(1).max(1_000).optional(),
  /** How many API processes send commands to one Temporal namespace (for the sizing above). */
  API_PROCESSES: z.coerce.number().int().min(1).max(1_000).default(1),
  /** The server's history.maxInFlightUpdates (Temporal's default: 10). */
  TEMPORAL_MAX_INFLIGHT_UPDATES: z.coerce.number().int().min(2).max(10_000).default(10),
  /** How long a command may take before the caller gets 503 "retry with the same commandId". */
  COMMAND_DEADLINE_MS: z.coerce.number().int().min(1_000).max(120_000).default(20_000),
  // Timeouts on every outbound call, each well under COMMAND_DEADLINE_MS, so a server that
  // stops answering (blackholed, SIGSTOPped) turns into an error a caller can act on, not a hang.
  /** PostgreSQL: opening a connection, and waiting for a free one of the pool. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /**
   * PostgreSQL statements of the API (and command activities' short ones): the server's
   * statement_timeout, and the same bound client-side (query_timeout) for a server that
   * does not answer at all.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /**
   * The same for workers (but their command activities) and scripts, whose statements run long
   * (rebuild reads, migrations waiting for their lock, reconciliation over a month).
   */
  DATABASE_WORKER_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(86_400_000)
    .default(600_000),
  /** Redis: connecting (ioredis connectTimeout). */
  REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(2_000),
  /** Redis: one command (ioredis commandTimeout). */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(2_000),
  /** Elasticsearch: one request (the client's requestTimeout). */
  ELASTICSEARCH_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Temporal: connecting the client (Connection.connect's connectTimeout). */
  TEMPORAL_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /** Temporal: one call the API makes outside the command path (status, rebuild, health). */
  TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * On SIGTERM, how long requests in flight may take to finish before they are cut; longer
   * than COMMAND_DEADLINE_MS, so a command in flight still gets its answer.
   */
  API_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(25_000),
  /**
   * Longest a client may take to send one whole request (line, headers and body); a slower
   * one gets 408 and its connection is closed, so a trickling client cannot hold a socket.
   */
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
  /** How long an idle keep-alive connection stays open between requests. */
  API_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  API_TOKENS: z.string().optional(),
  /**
   * The OpenID Connect provider people sign in with, exactly as its tokens' `iss` names it
   * (discovery at `<issuer>/.well-known/openid-configuration`). Unset: static tokens only.
   */
  OIDC_ISSUER: z
    .string()
    .optional()
    .refine((value) => {
      if (value === undefined) return true;
      try {
        const url = new URL(value);
        const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
        return (
          (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) &&
          !url.search &&
          !url.hash
        );
      } catch {
        return false;
      }
    }, 'must be an https:// URL without query or fragment (http:// only on loopback)'),
  /** The `aud` the API's access tokens carry (Keycloak: an audience mapper; Entra ID: the app's ID URI or client id). */
  OIDC_AUDIENCE: z.string().min(1).optional(),
  /** Where the token lists the person's groups or roles; a dotted path reaches into objects. */
  OIDC_ROLES_CLAIM: z
    .string()
    .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a claim name, or a dotted path such as realm_access.roles')
    .default('roles'),
  /** `group=role,…` (roles reader, writer, admin); unset: the claim's values are the role names. */
  OIDC_ROLE_MAP: z.string().min(1).optional(),
  /** The workspace's public client at the provider (authorization code + PKCE); unset: token paste. */
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** Scopes the workspace asks for (Entra ID: add the API's scope, e.g. api://<app-id>/orders). */
  OIDC_SCOPES: z.string().min(1).default('openid'),
  API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Calls one batched tRPC request may carry (`?batch=1`); more is refused with 400. */
  API_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(20),
  /** Calls one token may have in flight at once; more are refused with 429 and Retry-After. */
  API_MAX_INFLIGHT_PER_TOKEN: z.coerce.number().int().min(1).max(100_000).default(128),
  /**
   * false: no `/metrics` endpoint, no Temporal SDK metrics and no runtime sampling (event
   * loop, GC) in this process; the in-process counters stay (a map update per call).
   */
  METRICS_ENABLED: flag('true'),
  /** Where `/metrics` (Prometheus text) is served; loopback by default, apart from the API port. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** `/metrics` of `npm start` (everything) and of `npm run api`; 0: an ephemeral port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** `/metrics` of `npm run worker` (a port of its own, so an API beside it keeps 9464). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** The Temporal SDK's runtime metrics of a process running workers (`temporal_*`); 0: off. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9466),
  /** `/healthz` is unhealthy when a read model's oldest unprojected event is older than this. */
  HEALTH_MAX_LAG_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
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
  /**
   * A month's re-rollup after late corrections waits for this much quiet (no further
   * correction), so a burst costs one rollup. Unset: 2 s.
   */
  REROLLUP_QUIET_MS: z.coerce.number().int().min(100).max(3_600_000).optional(),
  /** ...but re-rolls at most this long after the first correction it waits on. Unset: 30 s. */
  REROLLUP_MAX_DELAY_MS: z.coerce.number().int().min(100).max(86_400_000).optional(),
  /**
   * Where months are exported as Parquet (a directory path; relative paths resolve from the
   * working directory, `npm run …` runs from the project). A mounted bucket or a lake's
   * directory works; it must allow rename(2), which replaces a month's file atomically.
   */
  EXPORT_DIR: z
    .string()
    .default('exports')
    .refine((p) => p.trim() === p && p.length > 0 && !p.includes('\0'), 'must be a directory path')
    .refine(
      (p) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(p),
      'a directory path, not a URL: mount the bucket',
    ),
  /** Whether workers create/update the schedules at start (`npm run schedules -- apply` does it too). */
  APPLY_SCHEDULES: flag('true'),
  /**
   * Webhook subscriptions may target private, loopback and link-local addresses (tests,
   * local use). Off: such URLs are refused at create and at every delivery.
   */
  SUBSCRIPTIONS_ALLOW_PRIVATE_URLS: flag('false'),
  /** Seconds before each retry of a failing endpoint; when spent, the subscription is disabled. */
  SUBSCRIPTION_RETRY_SCHEDULE_SECONDS: z
    .string()
    .regex(/^\s*[1-9]\d*\s*(,\s*[1-9]\d*\s*)*$/, 'comma-separated whole seconds, e.g. 5,30,120')
    .default('5,30,120,300,1800,3600,7200,14400,28800,28800'),
  /** A delivery not answered within this is a failure (the spec suggests 15–30 s). */
  SUBSCRIPTION_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /**
   * The workflow code bundled ahead by this same checkout (`writeWorkflowBundle`): workers
   * load it instead of bundling at start (seconds each). The test run writes one for all its
   * files. Not with traces on: their bundle carries the tracing interceptors.
   */
  WORKFLOW_BUNDLE_PATH: optionalPath,
  // Traces (OpenTelemetry), off by default; the standard variables turn them on.
  /** `otlp` sends spans to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT; `none` or unset with no endpoint: off. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SDK_DISABLED: flag('false'),
  OTEL_SERVICE_NAME: z.string().min(1).default('order-reporting'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

type Settings = z.infer<typeof envSchema>;

/** Settings that contradict each other (half-set TLS, a cluster with a database number) are refused at start-up, not guessed at. */
function settingProblems(c: Settings): string[] {
  const problems: string[] = [];
  const temporalTls = c.TEMPORAL_TLS || c.TEMPORAL_API_KEY !== undefined;
  if (Boolean(c.TEMPORAL_TLS_CERT_PATH) !== Boolean(c.TEMPORAL_TLS_KEY_PATH)) {
    problems.push(
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: set both (a client certificate needs its key) or neither',
    );
  }
  const temporalTlsSettings = [
    'TEMPORAL_TLS_CA_PATH',
    'TEMPORAL_TLS_CERT_PATH',
    'TEMPORAL_TLS_KEY_PATH',
    'TEMPORAL_TLS_SERVER_NAME',
  ] as const;
  for (const name of temporalTlsSettings) {
    if (c[name] && !temporalTls) problems.push(`${name}: set TEMPORAL_TLS=true to use it`);
  }
  if (c.REDIS_TLS_CA_PATH && new URL(c.REDIS_URL).protocol !== 'rediss:') {
    problems.push('REDIS_TLS_CA_PATH: REDIS_URL must start with rediss:// to use it');
  }
  if (c.REDIS_CLUSTER_NODES && c.REDIS_SENTINELS) {
    problems.push('REDIS_CLUSTER_NODES and REDIS_SENTINELS: a cluster or Sentinels, not both');
  }
  const redisDb = new URL(c.REDIS_URL).pathname.replace(/^\//, '');
  if ((c.REDIS_CLUSTER_NODES || c.REDIS_SENTINELS) && redisDb !== '' && redisDb !== '0') {
    problems.push(
      'REDIS_URL: a database number other than 0 with REDIS_CLUSTER_NODES or REDIS_SENTINELS (a cluster has database 0 only; keep apart with REDIS_KEY_PREFIX)',
    );
  }
  const es = urlsOf(c.ELASTICSEARCH_URL).map((u) => new URL(u));
  if (c.ELASTICSEARCH_CA_PATH && es.some((u) => u.protocol !== 'https:')) {
    problems.push('ELASTICSEARCH_CA_PATH: ELASTICSEARCH_URL must start with https:// to use it');
  }
  if (c.ELASTICSEARCH_API_KEY && es.some((u) => u.username || u.password)) {
    problems.push(
      'ELASTICSEARCH_API_KEY: ELASTICSEARCH_URL carries credentials too; use one or the other',
    );
  }
  if (c.OIDC_ISSUER && !c.OIDC_AUDIENCE) {
    problems.push(
      "OIDC_AUDIENCE: set it with OIDC_ISSUER (the `aud` of this API's access tokens); without it any of the provider's tokens, for any application, would be accepted",
    );
  }
  for (const name of ['OIDC_AUDIENCE', 'OIDC_ROLE_MAP', 'OIDC_CLIENT_ID'] as const) {
    if (c[name] && !c.OIDC_ISSUER) problems.push(`${name}: set OIDC_ISSUER to use it`);
  }
  const pg = new URL(c.DATABASE_URL).searchParams;
  if (Boolean(pg.get('sslcert')) !== Boolean(pg.get('sslkey'))) {
    problems.push(
      'DATABASE_URL: sslcert and sslkey go together (a client certificate needs its key)',
    );
  }
  return problems;
}

export type Config = Omit<Settings, 'COMMAND_INFLIGHT_PER_PARTITION'> & {
  COMMAND_INFLIGHT_PER_PARTITION: number;
};

/** One array in flight per partition per process: while it runs, the next one fills. */
const DEFAULT_INFLIGHT_PER_PARTITION = 1;

/**
 * Every API process's share of a partition's in-flight updates, one below the server's
 * limit in all (an update the server refuses would fail a command): derived when unset,
 * refused when set past the share.
 */
function inflightPerPartition(c: Settings): { value: number } | { problem: string } {
  const share = Math.floor((c.TEMPORAL_MAX_INFLIGHT_UPDATES - 1) / c.API_PROCESSES);
  const limit = `the server's ${c.TEMPORAL_MAX_INFLIGHT_UPDATES} in-flight updates per workflow (TEMPORAL_MAX_INFLIGHT_UPDATES)`;
  if (share < 1) {
    return {
      problem: `API_PROCESSES: ${c.API_PROCESSES} processes cannot each keep a command in flight per partition under ${limit}; raise the server's limit or add partitions (COMMAND_PARTITIONS) and send fewer processes to each namespace`,
    };
  }
  const wanted = c.COMMAND_INFLIGHT_PER_PARTITION;
  if (wanted === undefined) return { value: Math.min(DEFAULT_INFLIGHT_PER_PARTITION, share) };
  if (wanted > share) {
    return {
      problem: `COMMAND_INFLIGHT_PER_PARTITION: ${wanted} × API_PROCESSES ${c.API_PROCESSES} passes ${limit} less one; at most ${share}, or leave it unset`,
    };
  }
  return { value: wanted };
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const problems = settingProblems(result.data);
  const inflight = inflightPerPartition(result.data);
  if ('problem' in inflight) problems.push(inflight.problem);
  if (problems.length > 0 || 'problem' in inflight) {
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return { ...result.data, COMMAND_INFLIGHT_PER_PARTITION: inflight.value };
}

let cached: Config | undefined;

/** The process configuration, parsed from process.env on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
