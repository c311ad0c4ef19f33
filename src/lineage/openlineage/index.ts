/**
 * OpenLineage run events for Lakeloop's runs: facts from workflow code (src/workflows/lineage.ts)
 * through the `lakeloopLineage` sink (./sinks.ts) into events (./event.ts), delivered by one emitter
 * (./emitter.ts) over HTTP (./http-transport.ts) or to a file (./file-transport.ts).
 */
import type { OpenLineageSettings } from '../../config/openlineage.js';
import { LineageEmitter } from './emitter.js';
import { fileTransport } from './file-transport.js';
import { httpTransport } from './http-transport.js';

export { LineageEmitter, type EmitterOptions } from './emitter.js';
export {
  buildRunEvent,
  stepJobName,
  stepRunId,
  type EventSettings,
  type OpenLineageFacet,
  type RunEvent,
} from './event.js';
export { fileTransport } from './file-transport.js';
export { httpTransport, lineageEndpointUrl, type HttpTransportOptions } from './http-transport.js';
export { lineageSinks } from './sinks.js';
export { DeliveryError, type LineageTransport } from './transport.js';

/** The emitter the settings ask for, or undefined when lineage is off (LAKELOOP_OPENLINEAGE_*). */
export function lineageEmitterFor(
  settings: OpenLineageSettings,
  options: { version: string; warn(message: string, meta: Record<string, unknown>): void },
): LineageEmitter | undefined {
  if (settings.transport === 'off') return undefined;
  const transport =
    settings.transport === 'http'
      ? httpTransport({
          url: settings.url,
          ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
          ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        })
      : fileTransport(settings.filePath);
  return new LineageEmitter({
    transport,
    namespace: settings.namespace,
    version: options.version,
    warn: options.warn,
  });
}
