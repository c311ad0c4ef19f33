/**
 * The webhook receiver on its own: `npm run webhooks`. Normally it runs inside the worker
 * (LAKELOOP_WEBHOOK_PORT); run it apart to expose only this endpoint at the edge of the network.
 * Needs the Temporal settings and LAKELOOP_WEBHOOK_* (port, username, password, host).
 */
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config/index.js';
import { startWebhookReceiver } from './receiver.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const { webhookPort, webhookHost, webhookUsername, webhookPassword } = config.worker;
  if (webhookPort === undefined || webhookPassword === undefined) {
    throw new ConfigError([
      'LAKELOOP_WEBHOOK_PORT: required to run the receiver on its own (with LAKELOOP_WEBHOOK_PASSWORD)',
    ]);
  }
  const { address, tls, apiKey, metadata } = config.temporal.connection;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  const receiver = await startWebhookReceiver({
    client: new Client({ connection, namespace: config.temporal.namespace }),
    host: webhookHost,
    port: webhookPort,
    username: webhookUsername,
    password: webhookPassword,
  });
  console.log(`lakeloop webhook receiver listening on ${receiver.url}`);
  const stop = () =>
    void receiver
      .close()
      .then(() => connection.close())
      .then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `lakeloop webhooks: ${(err as Error).message}`);
  process.exit(1);
});
