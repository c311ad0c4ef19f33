/**
 * The worker process: `npm run worker` (or `node lib/src/worker.js` in the container).
 *
 * 1. Validate every setting; a bad or missing one stops start-up with a message naming the variable.
 * 2. Build the workspace client (token layer + request budget) and check the identity once: rejected
 *    credentials stop start-up here rather than fail every workflow later.
 * 3. Start the metrics endpoints (LAKELOOP_METRICS_ADDR for Lakeloop's, LAKELOOP_TEMPORAL_METRICS_ADDR
 *    for the Temporal runtime's), the webhook receiver (when LAKELOOP_WEBHOOK_PORT is set) and the
 *    Temporal worker, and install the orphan reaper's Schedule (LAKELOOP_REAPER_INTERVAL). Logs are structured (JSON lines, or pretty on a TTY) through one logger that is
 *    also the Temporal runtime's, so workflow and activity `log` calls carry their context.
 * 4. When LAKELOOP_OPENLINEAGE_* turn it on, workflows emit OpenLineage run events (src/lineage/openlineage).
 * 5. When the OTEL_* variables turn tracing on, install the tracer provider first, so workflows,
 *    activities and Databricks requests are traced; buffered spans are exported at shutdown.
 * SIGINT/SIGTERM start a graceful shutdown: no new tasks, in-flight activities get
 * LAKELOOP_SHUTDOWN_GRACE_SECONDS to finish, then the receiver closes.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { AuthError } from './auth/index.js';
import { dataConverterFor, payloadCodecFor } from './codec/index.js';
import { ConfigError, deploymentVersionName, loadConfig, type LakeloopConfig } from './config/index.js';
import { createLakeloopWorker } from './create-worker.js';
import type { DatabricksHttpClient } from './databricks/http.js';
import { createWorkspaceClient } from './databricks/workspace-client.js';
import { createLogger, type LakeloopLogger } from './observability/logger.js';
import { LakeloopMetrics, startMetricsServer, type MetricsServer } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { lineageEmitterFor } from './lineage/openlineage/index.js';
import { installReaperSchedule } from './reaper/schedule.js';
import { MissingSearchAttributesError, missingSearchAttributes } from './temporal/search-attributes.js';
import { reaperScheduleId } from './shared/reaper.js';
import { lakeloopVersion } from './shared/version.js';
import { tracingBundlePath } from './workflows-path.js';
import { startReceiverFromConfig } from './webhooks/from-config.js';
import { RunDirectory } from './webhooks/run-directory.js';
import { checkNotificationDestination } from './databricks/notification-destinations.js';
import type { WebhookReceiver } from './webhooks/receiver.js';

function requireDatabricks(config: LakeloopConfig): NonNullable<LakeloopConfig['databricks']> {
  if (!config.databricks) {
    throw new ConfigError([
      'DATABRICKS_HOST: required — the workspace URL, with credentials (DATABRICKS_CLIENT_ID and ' +
        'DATABRICKS_CLIENT_SECRET, LAKELOOP_OIDC_* for federation, or DATABRICKS_TOKEN), or a ~/.databrickscfg profile',
    ]);
  }
  return config.databricks;
}

/** Fails start-up on rejected credentials; only warns when the workspace is merely unreachable. */
async function checkIdentity(databricks: DatabricksHttpClient, logger: LakeloopLogger): Promise<void> {
  try {
    await databricks.tokens.getToken();
  } catch (err) {
    if (err instanceof AuthError && !err.retryable) throw err;
    logger.warn('could not obtain a Databricks token yet; continuing', { error: (err as Error).message });
  }
}

/**
 * The configured notification destination, unless the workspace says it has none (the feature is off,
 * or the destination was deleted): then webhooks are off for this worker, runs are polled, and the
 * operator is told once. A check that proves nothing (no permission, a network error) keeps it.
 */
async function usableDestination(
  databricks: DatabricksHttpClient,
  id: string | undefined,
  logger: LakeloopLogger,
): Promise<string | undefined> {
  if (id === undefined) return undefined;
  const check = await checkNotificationDestination(databricks, id).catch((err: unknown) => ({
    usable: 'unknown' as const,
    reason: (err as Error).message,
  }));
  if (check.usable === false) {
    logger.warn('the workspace has no such notification destination; webhooks are off and runs are polled', {
      destinationId: id,
      reason: check.reason,
      fix: 'create a generic webhook destination and set LAKELOOP_WEBHOOK_DESTINATION_ID to its id',
    });
    return undefined;
  }
  if (check.usable === 'unknown') {
    logger.info('could not read the notification destination; using it (a run it is refused for is polled)', {
      destinationId: id,
      reason: check.reason,
    });
  }
  return id;
}

/**
 * Installs (or updates, or with "off" removes) the orphan reaper's Schedule. A failure (e.g. an API key
 * without permission to manage Schedules) does not stop the worker — its runs are still cancelled on
 * every path workflow code sees — but is logged as an error: orphans are then left to the operator.
 */
/**
 * Refuses to start on a namespace without Lakeloop's search attributes (src/temporal/search-attributes.ts):
 * its workflows' tasks would fail on every upsert. A connection that may not list them (a narrowly
 * scoped Cloud API key) is only warned about: the check is a courtesy, not a gate.
 */
async function requireSearchAttributes(
  connection: NativeConnection,
  namespace: string,
  logger: LakeloopLogger,
): Promise<void> {
  let problems;
  try {
    problems = await missingSearchAttributes(connection, namespace);
  } catch (err) {
    logger.warn("could not list the namespace's search attributes; not checking them", {
      namespace,
      error: (err as Error).message,
    });
    return;
  }
  if (problems.length > 0) throw new MissingSearchAttributesError(problems, namespace);
}

async function setUpReaper(
  client: Client,
  taskQueue: string,
  interval: number | 'off',
  logger: LakeloopLogger,
): Promise<void> {
  const scheduleId = reaperScheduleId(taskQueue);
  try {
    const change = await installReaperSchedule(client, { taskQueue, interval });
    if (interval === 'off') {
      logger.notice('orphan reaper off (LAKELOOP_REAPER_INTERVAL=off)', { scheduleId, change });
    } else {
      logger.info('orphan reaper scheduled', { scheduleId, intervalMs: interval, change });
    }
  } catch (err) {
    logger.error(
      'could not install the orphan reaper Schedule: runs of terminated or timed-out workflows will not be cancelled',
      {
        scheduleId,
        error: (err as Error).message,
        fix: 'allow this worker to manage Schedules in the namespace, or run `lakeloop reap` periodically',
      },
    );
  }
}

/** With tracing on, a pre-built bundle's tracing twin (it has the workflow span interceptors). */
function workflowBundleFor(
  bundlePath: string | undefined,
  tracing: boolean,
  logger: LakeloopLogger,
): string | undefined {
  if (!bundlePath || !tracing) return bundlePath;
  const twin = tracingBundlePath(bundlePath);
  if (existsSync(twin)) return twin;
  logger.warn('no tracing twin of the pre-built workflow bundle: workflows will have no spans', {
    bundle: bundlePath,
    expected: twin,
    fix: 'build it with node lib/scripts/build-workflow-bundle.js OUT.js --tracing',
  });
  return bundlePath;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = requireDatabricks(config);
  const logger = createLogger({
    level: config.worker.logLevel,
    format: config.worker.logFormat,
    context: { component: 'worker' },
  });
  // Before any connection: the runtime's logger and telemetry are fixed once created.
  Runtime.install({
    logger,
    ...(config.worker.temporalMetricsAddr
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.worker.temporalMetricsAddr } } } }
      : {}),
  });
  const metrics = new LakeloopMetrics();
  const tracing = startTracing(config.tracing, {
    component: 'worker',
    warn: (message) => logger.warn(message),
  });
  if (config.tracing.enabled) {
    logger.notice('OpenTelemetry tracing on', { tracesUrl: config.tracing.tracesUrl });
  }
  const databricks = createWorkspaceClient(settings, {
    requestsPerSecond: config.worker.databricksRequestsPerSecond,
    burst: config.worker.databricksBurst,
    timeoutMs: config.worker.httpTimeoutSeconds * 1000,
    warn: (message) => logger.warn(message),
    onRefresh: (authType) => logger.debug('Databricks token refreshed', { authType }),
    onRefreshFailure: (authType, error) =>
      logger.warn('Databricks token refresh failed', { authType, error: (error as Error)?.message }),
    metrics,
  });
  await checkIdentity(databricks, logger);

  let metricsServer: MetricsServer | undefined;
  if (config.worker.metricsAddr) {
    metricsServer = await startMetricsServer(metrics.registry, config.worker.metricsAddr);
    logger.notice('Lakeloop metrics listening', { url: metricsServer.url });
  }
  if (config.worker.temporalMetricsAddr) {
    logger.notice('Temporal runtime metrics listening', {
      url: `http://${config.worker.temporalMetricsAddr}/metrics`,
    });
  }

  const webhookDestinationId = await usableDestination(
    databricks,
    config.worker.webhookDestinationId,
    logger,
  );

  // Submissions of this worker, for the receiver beside it (src/webhooks/run-directory.ts).
  const runDirectory = new RunDirectory();
  // OpenLineage run events (LAKELOOP_OPENLINEAGE_*): undefined when off.
  const lineage = lineageEmitterFor(config.openLineage, {
    version: lakeloopVersion(),
    warn: (message, meta) => logger.warn(message, meta),
  });
  if (lineage) {
    logger.notice('OpenLineage events on', {
      target: lineage.target,
      namespace: config.openLineage.transport === 'off' ? undefined : config.openLineage.namespace,
    });
  }
  const connection = await NativeConnection.connect(config.temporal.connection);
  // For the reaper: its activities read visibility, and the worker installs its Schedule.
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config.codecKeys),
  });
  let receiver: WebhookReceiver | undefined;
  try {
    await requireSearchAttributes(connection, config.temporal.namespace, logger);
    receiver = await startReceiverFromConfig(config, { metrics, logger, tracing, runDirectory });
    const worker = await createLakeloopWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.worker.taskQueue,
      shutdownGraceSeconds: config.worker.shutdownGraceSeconds,
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      deployment: config.deployment,
      workflowBundlePath: workflowBundleFor(config.worker.workflowBundlePath, tracing !== undefined, logger),
      tracing,
      lineage,
      payloadCodec: payloadCodecFor(config.codecKeys),
      deps: {
        workerIdentity: `${process.pid}@${os.hostname()}`,
        workerStartedAt: new Date().toISOString(),
        lakeloopVersion: lakeloopVersion(),
        databricks,
        webhookDestinationId,
        modelRegistry: config.worker.modelRegistry,
        pollPrediction:
          config.worker.pollPrediction === 'off' ? 'off' : { maxDelayMs: config.worker.pollPrediction },
        metrics,
        runDirectory,
        temporal,
      },
    });
    await setUpReaper(temporal, config.worker.taskQueue, config.worker.reaperInterval, logger);
    const version = config.deployment
      ? `${deploymentVersionName(config.deployment)} (${config.deployment.defaultVersioningBehavior})`
      : 'an unversioned worker';
    logger.notice(`lakeloop worker polling task queue "${config.worker.taskQueue}" as ${version}`, {
      taskQueue: config.worker.taskQueue,
      // A versioned worker gets workflow tasks only once its version is Current or Ramping (README,
      // "Rolling out a new worker build").
      deploymentVersion: config.deployment ? deploymentVersionName(config.deployment) : undefined,
      versioningBehavior: config.deployment?.defaultVersioningBehavior,
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
      temporalAddress: config.temporal.address,
      namespace: config.temporal.namespace,
      databricksHost: settings.host,
      authType: settings.authType,
      // The key id only: which key encrypts new payloads (undefined: payloads are not encrypted).
      payloadEncryptionKeyId: config.codecKeys?.activeKeyId,
    });
    // Worker.run() installs SIGINT/SIGTERM handlers that call shutdown() and resolves when drained.
    await worker.run();
    logger.notice('lakeloop worker stopped');
  } finally {
    await receiver?.close();
    // Events the workflows emitted before the worker stopped still go out (bounded by the emitter).
    await lineage?.close();
    await connection.close();
    await metricsServer?.close();
    await tracing?.shutdown();
  }
}

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError
      ? err.message
      : err instanceof MissingSearchAttributesError
        ? `lakeloop worker: ${err.message}`
        : err instanceof AuthError
          ? `lakeloop worker: Databricks identity check failed: ${err.message}`
          : `lakeloop worker failed: ${(err as Error).stack ?? err}`;
  console.error(message);
  process.exit(1);
});
