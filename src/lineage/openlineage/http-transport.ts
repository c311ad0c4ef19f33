/**
 * POSTs each event as JSON to `<url>/<endpoint>`, as the official client's HTTP transport does
 * (openlineage-python 1.54.0, openlineage/client/transport/http.py: HttpConfig.endpoint defaults to
 * "api/v1/lineage", joined to the url with urljoin, Content-Type application/json, an API key sent as
 * "Authorization: Bearer <key>" by ApiKeyTokenProvider, a 5-second timeout; 500, 502, 503 and 504 are
 * retried, per transport/http_common.py DEFAULT_RETRY_CONFIG). The URL is resolved as WHATWG URL
 * resolution does, which agrees with Python's urljoin for these inputs. The key is never logged:
 * `target` is the URL alone.
 */
import type { RunEvent } from './event.js';
import { DeliveryError, type LineageTransport } from './transport.js';

export interface HttpTransportOptions {
  /** The lineage server, e.g. http://marquez:5000 (LAKELOOP_OPENLINEAGE_URL). */
  url: string;
  /** Resolved against url (LAKELOOP_OPENLINEAGE_ENDPOINT); default api/v1/lineage. */
  endpoint?: string;
  /** Sent as a bearer token (LAKELOOP_OPENLINEAGE_API_KEY or _FILE). */
  apiKey?: string;
  /** Per request; default 5000 ms, the Python client's default timeout. */
  timeoutMs?: number;
}

export const DEFAULT_LINEAGE_ENDPOINT = 'api/v1/lineage';

/** Statuses worth another try: the Python client's status_forcelist, plus 408 and 429 (try later). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function lineageEndpointUrl(url: string, endpoint = DEFAULT_LINEAGE_ENDPOINT): string {
  return new URL(endpoint, url).href;
}

export function httpTransport(options: HttpTransportOptions): LineageTransport {
  const target = lineageEndpointUrl(options.url, options.endpoint);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    target,
    async send(event: RunEvent): Promise<void> {
      let response: Response;
      try {
        response = await fetch(target, {
          method: 'POST',
          headers,
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(timeoutMs),
          // A redirect could carry the bearer key to another host: refuse to follow it.
          redirect: 'manual',
        });
      } catch (err) {
        // Network errors and timeouts: the server may be back in a moment.
        throw new DeliveryError(`request failed: ${(err as Error).message}`, true);
      }
      // The answer's body is not needed (Marquez answers 201 with none); read it so the socket is reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return;
      throw new DeliveryError(`HTTP ${response.status}`, RETRYABLE_STATUS.has(response.status));
    },
  };
}
