/**
 * Moving artifact bytes: DatabricksHttpClient speaks JSON only, and an artifact must be streamed (a
 * model file can be large; the activities hash it without holding or returning the bytes). Two ways:
 *
 *  - Through the tracking server's artifact proxy (`mlflow-artifacts:` URIs): the same host and token
 *    provider as the HTTP client (bearer header, one retry with a fresh token after a 401) and the same
 *    error mapping (DatabricksApiError), but not the request budget, which the HTTP client keeps
 *    private: artifact transfers are few (one per file per activity) next to the polling it protects.
 *  - Through a signed URL (workspace `dbfs:/databricks/mlflow-tracking/…` URIs, after
 *    credentials-for-read/-write): a plain request to the object store with only the headers the
 *    workspace returned — never the workspace token, which must not reach a third party. The URL is a
 *    credential, so no error or message built here contains it (nor its query string, nor the store's
 *    error text, which can quote the request): only the artifact path, the HTTP status and the store's
 *    error code.
 */
import { DatabricksApiError, errorFromResponse, transportError } from '../databricks/errors.js';
import type { DatabricksHttpClient } from '../databricks/http.js';
import type { SignedArtifactUrl } from './signed-url.js';

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

/** The body of GET `reference` (a signed URL) as a stream of chunks; the caller must consume or cancel it. */
export async function streamSignedDownload(
  reference: SignedArtifactUrl,
  options: TransferOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  const response = await sendSigned('GET', reference, undefined, options);
  if (!response.body) return (async function* () {})();
  return response.body as unknown as AsyncIterable<Uint8Array>;
}

/** PUT `data` to `reference` (a signed URL from credentials-for-write). */
export async function signedUpload(
  reference: SignedArtifactUrl,
  data: Uint8Array,
  options: TransferOptions = {},
): Promise<void> {
  const response = await sendSigned('PUT', reference, data, options);
  await response.arrayBuffer();
}

/** What errors name the request by: the artifact path, never the URL. */
export function signedEndpoint(method: 'GET' | 'PUT', path: string): string {
  return `${method} signed URL of artifact ${path}`;
}

async function sendSigned(
  method: 'GET' | 'PUT',
  reference: SignedArtifactUrl,
  body: Uint8Array | undefined,
  options: TransferOptions,
): Promise<Response> {
  const endpoint = signedEndpoint(method, reference.path);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    const headers = new Headers(Object.entries(reference.headers));
    headers.set('user-agent', 'lakeloop/0.1 (+temporal)');
    if (body && !headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
    response = await fetch(reference.signedUri, {
      method,
      headers,
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    // Not err.message: fetch's own messages can quote the URL ("Failed to parse URL from …").
    throw transportError(err, endpoint, timeoutMs, { quoteMessage: false });
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  throw errorFromResponse(
    response.status,
    storageErrorCode(text),
    response.headers.get('retry-after'),
    endpoint,
  );
}

/**
 * Only the error code of an object store's error body (S3, GCS and Azure send XML `<Code>`; a JSON
 * `error_code` also counts), restricted to a plain identifier. The message is dropped: stores may
 * quote the request, e.g. S3's SignatureDoesNotMatch echoes the canonical request.
 */
function storageErrorCode(text: string): { error_code?: string } {
  let code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (code === undefined) {
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown };
      if (typeof parsed.error_code === 'string') code = parsed.error_code;
    } catch {
      // neither XML nor JSON
    }
  }
  return code !== undefined && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? { error_code: code } : {};
}
