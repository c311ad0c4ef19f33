import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/index.js';
import type { LakeloopConfig } from '../config/index.js';
import { clientTracingInterceptors, type Tracing } from '../observability/tracing.js';

export interface LakeloopClient {
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

/** Connects a Temporal client using the validated configuration (envconfig settings + task queue). */
export async function connectClient(
  config: LakeloopConfig,
  options: { tracing?: Tracing } = {},
): Promise<LakeloopClient> {
  const { address, tls, apiKey, metadata } = config.temporal.connection;
  const connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: '10s' });
  return {
    client: new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFor(config.codecKeys),
      // A started workflow continues the caller's trace (tracing on: see observability/tracing.ts).
      interceptors: clientTracingInterceptors(options.tracing),
    }),
    taskQueue: config.worker.taskQueue,
    close: () => connection.close(),
  };
}
