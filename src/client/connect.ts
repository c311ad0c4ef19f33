import { Client, Connection } from '@temporalio/client';
import type { LakeloopConfig } from '../config/index.js';

export interface LakeloopClient {
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

/** Connects a Temporal client using the validated configuration (envconfig settings + task queue). */
export async function connectClient(config: LakeloopConfig): Promise<LakeloopClient> {
  const { address, tls, apiKey, metadata } = config.temporal.connection;
  const connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: '10s' });
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    taskQueue: config.worker.taskQueue,
    close: () => connection.close(),
  };
}
