/**
 * The worker process: `npm run worker` (or `node lib/src/worker.js` in the container).
 *
 * 1. Validate every setting; a bad or missing one stops start-up with a message naming the variable.
 * 2. Build the workspace client (token layer + request budget) and check the identity once: rejected
 *    credentials stop start-up here rather than fail every workflow later.
 * 3. Start the webhook receiver (when LAKELOOP_WEBHOOK_PORT is set) and the Temporal worker.
 * SIGINT/SIGTERM start a graceful shutdown: no new tasks, in-flight activities get
 * LAKELOOP_SHUTDOWN_GRACE_SECONDS to finish, then the receiver closes.
 */
import os from 'node:os';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { AuthError } from './auth/index.js';
import { ConfigError, loadConfig, type LakeloopConfig } from './config/index.js';
import { createLakeloopWorker } from './create-worker.js';
import type { DatabricksHttpClient } from './databricks/http.js';
import { createWorkspaceClient } from './databricks/workspace-client.js';
import { lakeloopVersion } from './shared/version.js';
import { startReceiverFromConfig } from './webhooks/from-config.js';
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
async function checkIdentity(databricks: DatabricksHttpClient): Promise<void> {
  try {
    await databricks.tokens.getToken();
  } catch (err) {
    if (err instanceof AuthError && !err.retryable) throw err;
    console.warn(
      `lakeloop worker: could not obtain a Databricks token yet (${(err as Error).message}); continuing`,
    );
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = requireDatabricks(config);
  // Before any connection: the runtime's logger is fixed once created.
  Runtime.install({ logger: new DefaultLogger(config.worker.logLevel) });
  const databricks = createWorkspaceClient(settings, {
    requestsPerSecond: config.worker.databricksRequestsPerSecond,
    burst: config.worker.databricksBurst,
    timeoutMs: config.worker.httpTimeoutSeconds * 1000,
    warn: (message) => console.warn(`lakeloop worker: ${message}`),
  });
  await checkIdentity(databricks);

  const connection = await NativeConnection.connect(config.temporal.connection);
  let receiver: WebhookReceiver | undefined;
  try {
    receiver = await startReceiverFromConfig(config);
    const worker = await createLakeloopWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.worker.taskQueue,
      shutdownGraceSeconds: config.worker.shutdownGraceSeconds,
      workflowBundlePath: config.worker.workflowBundlePath,
      deps: {
        workerIdentity: `${process.pid}@${os.hostname()}`,
        workerStartedAt: new Date().toISOString(),
        lakeloopVersion: lakeloopVersion(),
        databricks,
        webhookDestinationId: config.worker.webhookDestinationId,
      },
    });
    console.log(
      `lakeloop worker polling task queue "${config.worker.taskQueue}" on ${config.temporal.address} ` +
        `(namespace ${config.temporal.namespace}; Databricks ${settings.host} via ${settings.authType})`,
    );
    // Worker.run() installs SIGINT/SIGTERM handlers that call shutdown() and resolves when drained.
    await worker.run();
    console.log('lakeloop worker stopped');
  } finally {
    await receiver?.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError
      ? err.message
      : err instanceof AuthError
        ? `lakeloop worker: Databricks identity check failed: ${err.message}`
        : `lakeloop worker failed: ${(err as Error).stack ?? err}`;
  console.error(message);
  process.exit(1);
});
