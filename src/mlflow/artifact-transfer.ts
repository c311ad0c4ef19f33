/**
 * Moving artifact bytes: DatabricksHttpClient speaks JSON only, and an artifact must be streamed (a
 * model file can be large; the activities hash it without holding or returning the bytes). This uses
 * the same host and token provider (bearer header, one retry with a fresh token after a 401) and the
 * same error mapping (DatabricksApiError), but not the request budget, which the HTTP client keeps
 * private: artifact transfers are few (one per file per activity) next to the polling it protects.
 */
import { DatabricksApiError, errorFromResponse } from '../databricks/errors.js';
import type { DatabricksHttpClient } from '../databricks/http.js';

export interface TransferOptions {
  /** Whole-transfer bound; a stalled stream is aborted after this. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

async function send(
  http: DatabricksHttpClient,
  method: 'GET' | 'PUT',
  path: string,
  body: Uint8Array | undefined,
  options: TransferOptions,
): Promise<Response> {
  const url = new URL(path, http.host);
  const endpoint = `${method} ${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const token = await http.tokens.getToken();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token.value}`,
          'user-agent': 'lakeloop/0.1 (+temporal)',
          ...(body ? { 'content-type': 'application/octet-stream' } : {}),
        },
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new DatabricksApiError(
        `${endpoint}: ${timedOut ? `no response within ${timeoutMs} ms` : `network error (${(err as Error).message})`}`,
        timedOut ? 'timeout' : 'network',
        0,
        timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        true,
        undefined,
        endpoint,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the error keeps the start of the text.
    }
    if (response.status === 401 && attempt === 0) {
      http.tokens.invalidate(token.value);
      continue;
    }
    throw errorFromResponse(response.status, parsed, response.headers.get('retry-after'), endpoint);
  }
}

/** The body of GET `path` as a stream of chunks; the caller must consume or cancel it. */
export async function streamDownload(
  http: DatabricksHttpClient,
  path: string,
  options: TransferOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  const response = await send(http, 'GET', path, undefined, options);
  if (!response.body) return (async function* () {})();
  return response.body as unknown as AsyncIterable<Uint8Array>;
}

/** PUT `data` as the file at `path`. */
export async function upload(
  http: DatabricksHttpClient,
  path: string,
  data: Uint8Array,
  options: TransferOptions = {},
): Promise<void> {
  const response = await send(http, 'PUT', path, data, options);
  await response.arrayBuffer();
}
