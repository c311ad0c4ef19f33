/**
 * The codec server on its own: `npm run codec-server`. Needs the worker's keys (LAKELOOP_CODEC_KEYS,
 * LAKELOOP_CODEC_ACTIVE_KEY_ID), LAKELOOP_CODEC_AUTH_TOKEN, and LAKELOOP_CODEC_CORS_ORIGIN for the
 * Temporal UI's origin; LAKELOOP_CODEC_HOST / LAKELOOP_CODEC_PORT say where it listens.
 */
import { ConfigError } from '../config/env.js';
import { loadCodecServerConfig } from '../config/codec.js';
import { createLogger } from '../observability/logger.js';
import { AesGcmPayloadCodec } from './encryption-codec.js';
import { startCodecServer } from './http-server.js';

async function main(): Promise<void> {
  const settings = loadCodecServerConfig();
  const logger = createLogger({ context: { component: 'codec-server' } });
  const server = await startCodecServer({
    codec: new AesGcmPayloadCodec(settings.keyRing),
    authToken: settings.authToken,
    corsOrigins: settings.corsOrigins,
    host: settings.host,
    port: settings.port,
    onError: (error) => logger.error('codec request failed', { error }),
  });
  // Key ids and origins are not secret; the keys and the token never reach a log line.
  logger.notice('lakeloop codec server listening', {
    endpoint: server.endpoint,
    activeKeyId: settings.keyRing.activeKeyId,
    keyIds: [...settings.keyRing.keys.keys()],
    corsOrigins: settings.corsOrigins,
  });
  if (settings.corsOrigins.length === 0) {
    logger.warn(
      'LAKELOOP_CODEC_CORS_ORIGIN is not set: browsers (the Temporal UI) are refused, the CLI works',
    );
  }
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `lakeloop codec server: ${(err as Error).message}`,
  );
  process.exit(1);
});
