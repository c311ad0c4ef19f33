/**
 * Lakeloop's settings, validated once at start-up. Each setting comes from one environment variable
 * (or its `_FILE` twin); errors name the variable and say what is expected.
 *
 * Temporal connection settings (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
 * `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`) are read by `@temporalio/envconfig`,
 * the same loader the Temporal CLI and every SDK use, so one profile works everywhere.
 */
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import type { KeyRing } from '../codec/key-ring.js';
import { MODEL_REGISTRIES } from '../mlflow/model-registry.js';
import { parseDuration } from '../shared/duration.js';
import { CODEC_ENV_NAMES, loadCodecKeys } from './codec.js';
import { DATABRICKS_ENV, loadDatabricksSettings, type DatabricksAuthSettings } from './databricks.js';
import { DEPLOYMENT_ENV, loadDeploymentSettings, type WorkerDeploymentSettings } from './deployment.js';
import { ConfigError, describeIssues, environmentWithStack, readSetting, type Env } from './env.js';
import { loadOpenLineageSettings, OPENLINEAGE_ENV_NAMES, type OpenLineageSettings } from './openlineage.js';
import { loadTracingSettings, OTEL_SDK_ENV, TRACING_ENV, type TracingSettings } from './tracing.js';

export { ConfigError, environmentWithStack, stackTemporalAddress, type Env } from './env.js';
export type { DatabricksAuthSettings } from './databricks.js';
export {
  DEFAULT_VERSIONING_BEHAVIOR,
  deploymentVersionName,
  type VersioningBehaviorSetting,
  type WorkerDeploymentSettings,
} from './deployment.js';
export type { TracingSettings } from './tracing.js';
export type { OpenLineageSettings } from './openlineage.js';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** The environment variable behind each field, for error messages and the deployment test. */
export const WORKER_ENV = {
  taskQueue: 'LAKELOOP_TASK_QUEUE',
  logLevel: 'LAKELOOP_LOG_LEVEL',
  shutdownGraceSeconds: 'LAKELOOP_SHUTDOWN_GRACE_SECONDS',
  workflowBundlePath: 'LAKELOOP_WORKFLOW_BUNDLE',
  databricksRequestsPerSecond: 'LAKELOOP_DATABRICKS_RPS',
  databricksBurst: 'LAKELOOP_DATABRICKS_BURST',
  httpTimeoutSeconds: 'LAKELOOP_HTTP_TIMEOUT_SECONDS',
  webhookPort: 'LAKELOOP_WEBHOOK_PORT',
  webhookHost: 'LAKELOOP_WEBHOOK_HOST',
  webhookUsername: 'LAKELOOP_WEBHOOK_USERNAME',
  webhookPassword: 'LAKELOOP_WEBHOOK_PASSWORD',
  webhookDestinationId: 'LAKELOOP_WEBHOOK_DESTINATION_ID',
  webhookCatchUpRate: 'LAKELOOP_WEBHOOK_CATCH_UP_RATE',
  logFormat: 'LAKELOOP_LOG_FORMAT',
  metricsAddr: 'LAKELOOP_METRICS_ADDR',
  temporalMetricsAddr: 'LAKELOOP_TEMPORAL_METRICS_ADDR',
  maxCachedWorkflows: 'LAKELOOP_MAX_CACHED_WORKFLOWS',
  modelRegistry: 'LAKELOOP_MODEL_REGISTRY',
  reaperInterval: 'LAKELOOP_REAPER_INTERVAL',
  pollPrediction: 'LAKELOOP_POLL_PREDICTION',
} as const;

/** Variables read through @temporalio/envconfig (not by our schema, but part of our configuration). */
export const TEMPORAL_ENV = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
] as const;

/** Every variable Lakeloop reads; the docker-compose test checks the worker service against it. */
export const KNOWN_ENV_NAMES: readonly string[] = [
  ...Object.values(WORKER_ENV),
  ...Object.values(DEPLOYMENT_ENV),
  ...TEMPORAL_ENV,
  ...DATABRICKS_ENV,
  ...Object.values(TRACING_ENV),
  ...OTEL_SDK_ENV,
  ...CODEC_ENV_NAMES,
  ...OPENLINEAGE_ENV_NAMES,
  'LAKELOOP_STACK_ENV',
];

/** The task queue when LAKELOOP_TASK_QUEUE is not set. */
export const DEFAULT_TASK_QUEUE = 'lakeloop';

const LOG_FORMATS = ['json', 'pretty'] as const;

/** host:port or [ipv6]:port, port 0–65535 (0: any free port, for tests). */
const hostPort = z
  .string()
  .refine(
    (s) =>
      /^(?:[^\s:/[\]]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.test(s) &&
      Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535,
    'expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464',
  );

/**
 * LAKELOOP_MAX_CACHED_WORKFLOWS (and the bench's --max-cached-workflows). The SDK's default is a share
 * of the heap (2,310 with a 4 GB heap); a waiting databricksRun costs ~1.3 MB there, as measured by the
 * bench. Fewer bound the worker's memory; an evicted workflow replays its history on its next task.
 */
export const maxCachedWorkflowsSchema = z.coerce
  .number({ message: 'expected a number of workflows' })
  .int('expected a whole number of workflows')
  .min(0, 'expected 0 (no cache) or at least 2')
  .max(1_000_000, 'expected at most 1000000')
  .refine((n) => n !== 1, "expected 0 (no cache) or at least 2 (the Temporal SDK's minimum)");

/**
 * LAKELOOP_REAPER_INTERVAL: how often the orphan reaper's Schedule sweeps (src/reaper/schedule.ts), as
 * "30s", "5m", "1h"; "off" removes the Schedule. At least 1s (a Schedule's finest interval) and at most
 * 1d: a run left going longer than that unnoticed is what the reaper exists to prevent.
 */
export const reaperIntervalSchema = z
  .string()
  .trim()
  .transform((value, ctx): number | 'off' => {
    if (value.toLowerCase() === 'off') return 'off';
    const ms = parseDuration(value);
    if (ms === undefined || ms < 1_000 || ms > 86_400_000) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration from 1s to 1d such as "5m", or "off" (got ${JSON.stringify(value)})`,
      });
      return z.NEVER;
    }
    return Math.round(ms);
  });

const workerSchema = z
  .object({
    taskQueue: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a task queue name of letters, digits, ".", "_" or "-"')
      .default(DEFAULT_TASK_QUEUE),
    logLevel: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }))
      .default('INFO'),
    shutdownGraceSeconds: z.coerce
      .number({ message: 'expected a number of seconds' })
      .int('expected a whole number of seconds')
      .min(0, 'expected 0 or more seconds')
      .max(3600, 'expected at most 3600 seconds')
      .default(30),
    // A workflow bundle built ahead of time (scripts/build-workflow-bundle.ts); the container uses it so
    // the worker starts without webpack. Unset: bundle the workflows at start-up.
    workflowBundlePath: z.string().min(1).optional(),
    // One budget per workspace shared by every activity. Databricks publishes no per-endpoint numbers;
    // these defaults stay well under the figures seen in the wild (runs/get ~100/s).
    databricksRequestsPerSecond: z.coerce
      .number({ message: 'expected requests per second' })
      .positive('expected more than 0')
      .max(1000)
      .default(20),
    databricksBurst: z.coerce
      .number({ message: 'expected a number of requests' })
      .int()
      .min(1)
      .max(5000)
      .default(40),
    // Well under the 30 s an activity's workspace call may take (src/workflows/run/activity-proxies.ts),
    // so a request that hangs is retried inside the activity's time, not cut off with it.
    httpTimeoutSeconds: z.coerce
      .number({ message: 'expected seconds' })
      .positive('expected more than 0')
      .max(20, 'at most 20 seconds: a request must fit well inside the 30-second activity calls')
      .default(10),
    /** The webhook receiver runs inside the worker when a port is set. */
    webhookPort: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).optional(),
    webhookHost: z.string().min(1).default('127.0.0.1'),
    webhookUsername: z.string().min(1).default('databricks'),
    webhookPassword: z
      .string()
      .min(16, 'expected at least 16 characters (it guards the webhook endpoint)')
      .optional(),
    /** The Databricks notification destination whose URL is this receiver (submit runs reference it). */
    webhookDestinationId: z.string().min(1).optional(),
    /**
     * Catch-up signals per second when a receiver starts or reconnects (src/webhooks/catch-up.ts): each
     * costs a waiting run one runs/get, so half the default request budget (20/s) by default.
     */
    webhookCatchUpRate: z.coerce
      .number({ message: 'expected signals per second' })
      .positive('expected more than 0')
      .max(1000, 'expected at most 1000')
      .default(10),
    /** Unset: human-readable lines when stdout is a TTY, JSON lines otherwise. */
    logFormat: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(LOG_FORMATS, { message: `expected one of ${LOG_FORMATS.join(', ')}` }))
      .optional(),
    /** Lakeloop's Prometheus metrics (GET /metrics); off when unset. */
    metricsAddr: hostPort.optional(),
    /** The Temporal runtime's own Prometheus endpoint (worker/SDK metrics); off when unset. */
    temporalMetricsAddr: hostPort.optional(),
    /** Workflows kept in memory between their tasks; unset: the SDK's default. */
    maxCachedWorkflows: maxCachedWorkflowsSchema.optional(),
    /**
     * Where pipelines register and promote models (src/mlflow/model-registry.ts): Models in Unity
     * Catalog by default, as Databricks recommends; `workspace` for workspaces without Unity Catalog;
     * `mlflow` for an open-source MLflow server.
     */
    modelRegistry: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(MODEL_REGISTRIES, { message: `expected one of ${MODEL_REGISTRIES.join(', ')}` }))
      .default('unity-catalog'),
    /** The orphan reaper's period in milliseconds, or "off". */
    reaperInterval: reaperIntervalSchema.default(5 * 60_000),
    /**
     * Poll mode's predictive looks (src/activities/poll-schedule.ts): the longest wait between two
     * looks at a run (it bounds how late an early failure is seen), or "off" for the back-off alone.
     */
    pollPrediction: reaperIntervalSchema.default(10 * 60_000),
  })
  .superRefine((settings, ctx) => {
    if (settings.webhookPort !== undefined && settings.webhookPassword === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhookPassword'],
        message: 'required when LAKELOOP_WEBHOOK_PORT is set (or LAKELOOP_WEBHOOK_PASSWORD_FILE)',
      });
    }
    if (
      settings.metricsAddr !== undefined &&
      settings.metricsAddr === settings.temporalMetricsAddr &&
      !settings.metricsAddr.endsWith(':0')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['temporalMetricsAddr'],
        message: 'must differ from LAKELOOP_METRICS_ADDR (the Temporal runtime binds its own port)',
      });
    }
  });

/** The worker's LAKELOOP_* settings (task queue, request budget, timeouts, metrics, webhooks, reaper). */
export type WorkerSettings = z.infer<typeof workerSchema>;

/** Where and how to connect to Temporal (from TEMPORAL_* / a Temporal CLI profile). */
export interface TemporalSettings {
  connection: ClientConnectConfig['connectionOptions'];
  namespace: string;
  /** The address actually used, for logs (never includes credentials). */
  address: string;
}

/** Every setting Lakeloop reads from the environment, validated: see {@link loadConfig}. */
export interface LakeloopConfig {
  temporal: TemporalSettings;
  worker: WorkerSettings;
  /** Undefined only when no Databricks setting exists at all (the worker then refuses to start). */
  databricks: DatabricksAuthSettings | undefined;
  /** OpenTelemetry tracing from the standard OTEL_* variables; off unless they ask for it. */
  tracing: TracingSettings;
  /** Payload encryption keys (LAKELOOP_CODEC_KEYS); undefined: payloads are not encrypted. */
  codecKeys: KeyRing | undefined;
  /** OpenLineage run events (LAKELOOP_OPENLINEAGE_*); off unless asked for. */
  openLineage: OpenLineageSettings;
  /** Worker Deployment Versioning (LAKELOOP_DEPLOYMENT_NAME, LAKELOOP_BUILD_ID); undefined: unversioned. */
  deployment: WorkerDeploymentSettings | undefined;
}

function loadTemporal(env: Env, problems: string[]): TemporalSettings | undefined {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  // envconfig knows no _FILE twins; the API key is the one Temporal secret that is a value rather than
  // a path (TLS keys are paths already), so it gets the same mounted-secret indirection as ours.
  const apiKey = readSetting(env, 'TEMPORAL_API_KEY', problems);
  delete overrideEnvVars.TEMPORAL_API_KEY_FILE;
  if (apiKey !== undefined) overrideEnvVars.TEMPORAL_API_KEY = apiKey;
  try {
    const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars });
    const address = connectionOptions.address ?? 'localhost:7233';
    if (!/^[^\s:/]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address)) {
      problems.push(`TEMPORAL_ADDRESS: expected host:port, e.g. localhost:7233 (got "${address}")`);
      return undefined;
    }
    return { connection: { ...connectionOptions, address }, namespace: namespace ?? 'default', address };
  } catch (err) {
    problems.push(
      `Temporal client configuration (TEMPORAL_* / TEMPORAL_CONFIG_FILE): ${(err as Error).message}`,
    );
    return undefined;
  }
}

function loadWorker(env: Env, problems: string[]): WorkerSettings | undefined {
  const raw = Object.fromEntries(
    Object.entries(WORKER_ENV).map(([field, variable]) => [field, readSetting(env, variable, problems)]),
  );
  const parsed = workerSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, WORKER_ENV));
    return undefined;
  }
  return parsed.data;
}

/** Loads and validates everything; throws one ConfigError listing every problem found. */
export function loadConfig(env: Env = environmentWithStack()): LakeloopConfig {
  const problems: string[] = [];
  const temporal = loadTemporal(env, problems);
  const worker = loadWorker(env, problems);
  const databricks = loadDatabricksSettings(env, problems);
  const tracing = loadTracingSettings(env, problems);
  const codecKeys = loadCodecKeys(env, problems);
  const openLineage = loadOpenLineageSettings(env, problems);
  const deployment = loadDeploymentSettings(env, problems);
  if (problems.length > 0 || !temporal || !worker) throw new ConfigError(problems);
  return { temporal, worker, databricks, tracing, codecKeys, openLineage, deployment };
}
