import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/index.js';
import type { LakeloopConfig } from '../config/index.js';
import type { LakeloopLogger } from '../observability/logger.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { clientTracingInterceptors, type Tracing } from '../observability/tracing.js';
import { startCatchingUp, type CatchingUp } from './catch-up.js';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.js';
import type { RunDirectory } from './run-directory.js';

export interface ReceiverObservability {
  /** Counts deliveries by outcome. */
  metrics?: LakeloopMetrics;
  logger?: LakeloopLogger;
  /** Signals then carry the trace context of the delivery. */
  tracing?: Tracing;
  /** Inside the worker: its submissions, so most deliveries need no visibility query. */
  runDirectory?: RunDirectory;
}

/** Heartbeats into webhookReceivers (src/webhooks/liveness.ts); a killed receiver is noticed 7.5 s later. */
const HEARTBEAT_MS = 5_000;

/** The receiver, and the catch-ups it made since it started (src/webhooks/catch-up.ts). */
export interface ConfiguredReceiver extends WebhookReceiver {
  catchUps: CatchingUp['reports'];
}

/**
 * Starts the receiver with its own Temporal client from validated settings, or returns undefined
 * when LAKELOOP_WEBHOOK_PORT is not set. Once it listens it catches up: runs that were waiting for a
 * notification before it listened are asked to look now (a notification sent while no receiver
 * listened is lost), and again whenever its Temporal connection comes back. Closing it stops that,
 * says so to the other receivers, and closes the client's connection.
 */
export async function startReceiverFromConfig(
  config: LakeloopConfig,
  observability: ReceiverObservability = {},
): Promise<ConfiguredReceiver | undefined> {
  const { webhookPort, webhookHost, webhookUsername, webhookPassword } = config.worker;
  if (webhookPort === undefined || webhookPassword === undefined) return undefined;
  const { address, tls, apiKey, metadata } = config.temporal.connection;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  try {
    // The signal it sends carries the run id: encrypted like every other payload when keys are set.
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFor(config.codecKeys),
      interceptors: clientTracingInterceptors(observability.tracing),
    });
    // The catch-up starts once the receiver listens; a failed delivery before that needs no catch-up.
    const failures = { onDelivery: (): void => undefined };
    const receiver = await startWebhookReceiver({
      client,
      host: webhookHost,
      port: webhookPort,
      username: webhookUsername,
      password: webhookPassword,
      onDelivery: (outcome, via) => {
        observability.metrics?.onDelivery(outcome, via);
        // A delivery it could not forward (Temporal unreachable): the sender may give up on it.
        if (outcome === 'error') failures.onDelivery();
      },
      ...(observability.runDirectory ? { runDirectory: observability.runDirectory } : {}),
    });
    const { logger } = observability;
    if (logger) logger.notice('lakeloop webhook receiver listening', { url: receiver.url });
    else console.log(`lakeloop webhook receiver listening on ${receiver.url}`);
    const catchingUp = startCatchingUp({
      client,
      taskQueue: config.worker.taskQueue,
      ratePerSecond: config.worker.webhookCatchUpRate,
      heartbeatMs: HEARTBEAT_MS,
      log: (level, message, fields) => {
        if (logger) logger[level](message, fields);
        else console.log(`${message} ${JSON.stringify(fields)}`);
      },
    });
    failures.onDelivery = () => catchingUp.deliveryFailed();
    return {
      ...receiver,
      catchUps: catchingUp.reports,
      close: async () => {
        await receiver.close();
        await catchingUp.stop();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
