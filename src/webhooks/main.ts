/**
 * The webhook receiver on its own: `npm run webhooks`. Normally it runs inside the worker
 * (LAKELOOP_WEBHOOK_PORT); run it apart to expose only this endpoint at the edge of the network.
 * Needs the Temporal settings and LAKELOOP_WEBHOOK_* (port, username, password, host). Like the worker,
 * it logs through the structured logger (LAKELOOP_LOG_LEVEL / LAKELOOP_LOG_FORMAT) and serves its
 * delivery counters on LAKELOOP_METRICS_ADDR when set — an edge process nobody can see is one nobody
 * notices failing.
 *
 * Run several behind one URL to keep listening through restarts. Each heartbeats into the
 * webhookReceivers workflow of LAKELOOP_TASK_QUEUE, and one that starts after nobody listened (or
 * whose Temporal connection comes back) catches up on that task queue's waiting runs
 * (src/webhooks/catch-up.ts, LAKELOOP_WEBHOOK_CATCH_UP_RATE): a notification sent while no receiver
 * listened is lost.
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { LakeloopMetrics, startMetricsServer, type MetricsServer } from '../observability/metrics.js';
import { startTracing } from '../observability/tracing.js';
import { startReceiverFromConfig } from './from-config.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.worker.logLevel,
    format: config.worker.logFormat,
    context: { component: 'webhook-receiver' },
  });
  const metrics = new LakeloopMetrics();
  let metricsServer: MetricsServer | undefined;
  if (config.worker.metricsAddr) {
    metricsServer = await startMetricsServer(metrics.registry, config.worker.metricsAddr);
    logger.notice('Lakeloop metrics listening', { url: metricsServer.url });
  }
  const tracing = startTracing(config.tracing, { component: 'webhooks', warn: (m) => logger.warn(m) });
  const receiver = await startReceiverFromConfig(config, { metrics, logger, tracing });
  if (!receiver) {
    await metricsServer?.close();
    await tracing?.shutdown();
    throw new ConfigError([
      'LAKELOOP_WEBHOOK_PORT: required to run the receiver on its own (with LAKELOOP_WEBHOOK_PASSWORD)',
    ]);
  }
  const stop = () =>
    void receiver
      .close()
      .then(() => metricsServer?.close())
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `lakeloop webhooks: ${(err as Error).message}`);
  process.exit(1);
});
