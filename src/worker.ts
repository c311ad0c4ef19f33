/**
 * The worker process: `npm run worker` (or `node lib/src/worker.js` in the container).
 * Configuration is validated before anything connects; a bad setting stops start-up with a message
 * naming the variable. SIGINT/SIGTERM start a graceful shutdown: no new tasks, in-flight activities
 * get LAKELOOP_SHUTDOWN_GRACE_SECONDS to finish.
 */
import os from 'node:os';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config/index.js';
import { createLakeloopWorker } from './create-worker.js';
import { lakeloopVersion } from './shared/version.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before any connection: the runtime's logger is fixed once created.
  Runtime.install({ logger: new DefaultLogger(config.worker.logLevel) });
  const connection = await NativeConnection.connect(config.temporal.connection);
  try {
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
      },
    });
    console.log(
      `lakeloop worker polling task queue "${config.worker.taskQueue}" on ${config.temporal.address} ` +
        `(namespace ${config.temporal.namespace})`,
    );
    // Worker.run() installs SIGINT/SIGTERM handlers that call shutdown() and resolves when drained.
    await worker.run();
    console.log('lakeloop worker stopped');
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `lakeloop worker failed: ${(err as Error).stack ?? err}`,
  );
  process.exit(1);
});
