/**
 * The webhook receiver on its own: `npm run webhooks`. Normally it runs inside the worker
 * (LAKELOOP_WEBHOOK_PORT); run it apart to expose only this endpoint at the edge of the network.
 * Needs the Temporal settings and LAKELOOP_WEBHOOK_* (port, username, password, host).
 */
import { ConfigError, loadConfig } from '../config/index.js';
import { startReceiverFromConfig } from './from-config.js';

async function main(): Promise<void> {
  const receiver = await startReceiverFromConfig(loadConfig());
  if (!receiver) {
    throw new ConfigError([
      'LAKELOOP_WEBHOOK_PORT: required to run the receiver on its own (with LAKELOOP_WEBHOOK_PASSWORD)',
    ]);
  }
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `lakeloop webhooks: ${(err as Error).message}`);
  process.exit(1);
});
