import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/index.js';
import type { LakeloopConfig } from '../config/index.js';
import type { LakeloopLogger } from '../observability/logger.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { clientTracingInterceptors, type Tracing } from '../observability/tracing.js';
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

/**
 * Starts the receiver with its own Temporal client from validated settings, or returns undefined
 * when LAKELOOP_WEBHOOK_PORT is not set. Closing it closes the client's connection too.
 */
export async function startReceiverFromConfig(
  config: LakeloopConfig,
  observability: ReceiverObservability = {},
): Promise<WebhookReceiver | undefined> {
  const { webhookPort, webhookHost, webhookUsername, webhookPassword } = config.worker;
  if (webhookPort === undefined || webhookPassword === undefined) return undefined;
  const { address, tls, apiKey, metadata } = config.temporal.connection;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  try {
    const receiver = await startWebhookReceiver({
      // The signal it sends carries the run id: encrypted like every other payload when keys are set.
      client: new Client({
        connection,
        namespace: config.temporal.namespace,
        dataConverter: dataConverterFor(config.codecKeys),
        interceptors: clientTracingInterceptors(observability.tracing),
      }),
      host: webhookHost,
      port: webhookPort,
      username: webhookUsername,
      password: webhookPassword,
      ...(observability.metrics ? { onDelivery: observability.metrics.onDelivery } : {}),
      ...(observability.runDirectory ? { runDirectory: observability.runDirectory } : {}),
    });
    if (observability.logger)
      observability.logger.notice('lakeloop webhook receiver listening', { url: receiver.url });
    else console.log(`lakeloop webhook receiver listening on ${receiver.url}`);
    return {
      ...receiver,
      close: async () => {
        await receiver.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
