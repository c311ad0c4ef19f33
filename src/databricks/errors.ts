/**
 * The Databricks error model: `{error_code, message}` bodies with HTTP statuses, mapped to one error
 * class that says whether retrying can help. Messages are Databricks' own (they never contain our
 * token); request bodies are never included.
 */

/** HTTP statuses Databricks uses for "slow down / try again": the SDKs retry exactly these. */
const RETRYABLE_STATUSES = new Set([429, 503]);
/** Server-side failures that are usually transient; retried with backoff, not forever. */
const TRANSIENT_STATUSES = new Set([500, 502, 504]);
/** Messages the Databricks SDKs treat as transient even on other statuses. */
const TRANSIENT_MESSAGES = [
  /UnknownWorkerEnvironmentException/,
  /does not have any associated worker environments/,
  /There is no worker environment with id/,
  /Unknown worker environment/,
  /ClusterNotReadyException/,
  /Unexpected error/,
  /Please try again later or try a faster operation/,
  /RPC token bucket limit has been exceeded/,
];

export type DatabricksErrorKind =
  | 'not-found'
  | 'invalid-request'
  | 'unauthenticated'
  | 'permission-denied'
  | 'conflict'
  | 'rate-limited'
  | 'unavailable'
  | 'server-error'
  | 'network'
  | 'timeout';

export class DatabricksApiError extends Error {
  constructor(
    message: string,
    readonly kind: DatabricksErrorKind,
    /** HTTP status; 0 for network failures and timeouts. */
    readonly status: number,
    readonly errorCode: string,
    /** True when the same request may succeed later (429, 503, 5xx, network, timeout). */
    readonly retryable: boolean,
    /** From `Retry-After`, when the server sent one. */
    readonly retryAfterMs?: number,
    readonly endpoint?: string,
  ) {
    super(message);
    this.name = 'DatabricksApiError';
  }
}

/** Databricks reports missing jobs and runs as 400 INVALID_PARAMETER_VALUE, not 404; the SDKs remap them. */
const DOES_NOT_EXIST = /(does not exist|doesn't exist)/i;

export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfter: string | null,
  endpoint: string,
): DatabricksApiError {
  const parsed = (typeof body === 'object' && body !== null ? body : {}) as {
    error_code?: unknown;
    message?: unknown;
  };
  const errorCode = typeof parsed.error_code === 'string' ? parsed.error_code : `HTTP_${status}`;
  const detail =
    typeof parsed.message === 'string' ? parsed.message : typeof body === 'string' ? body.slice(0, 300) : '';
  const message = `${endpoint}: ${errorCode}${detail ? `: ${detail}` : ''} [HTTP ${status}]`;
  const retryAfterMs = parseRetryAfter(retryAfter);
  const transientMessage = TRANSIENT_MESSAGES.some((re) => re.test(detail));

  let kind: DatabricksErrorKind;
  if (status === 429) kind = 'rate-limited';
  else if (status === 503) kind = 'unavailable';
  else if (status >= 500) kind = 'server-error';
  else if (status === 401) kind = 'unauthenticated';
  else if (status === 403) kind = 'permission-denied';
  else if (status === 404 || (status === 400 && DOES_NOT_EXIST.test(detail))) kind = 'not-found';
  else if (status === 409) kind = 'conflict';
  else kind = 'invalid-request';

  const retryable = RETRYABLE_STATUSES.has(status) || TRANSIENT_STATUSES.has(status) || transientMessage;
  return new DatabricksApiError(message, kind, status, errorCode, retryable, retryAfterMs, endpoint);
}

/**
 * A request that got no HTTP answer — a timeout or a network failure — as a retryable error naming
 * the endpoint. The cause's `code` (ECONNREFUSED…) is always safe to show; its message only when the
 * caller knows it cannot quote a secret (fetch's messages can quote the URL, e.g. a signed one).
 */
export function transportError(
  err: unknown,
  endpoint: string,
  timeoutMs: number,
  options: { quoteMessage: boolean },
): DatabricksApiError {
  const timedOut = (err as Error).name === 'TimeoutError';
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  const detail =
    typeof code === 'string' ? ` (${code})` : options.quoteMessage ? ` (${(err as Error).message})` : '';
  return new DatabricksApiError(
    `${endpoint}: ${timedOut ? `no response within ${timeoutMs} ms` : `network error${detail}`}`,
    timedOut ? 'timeout' : 'network',
    0,
    timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
    true,
    undefined,
    endpoint,
  );
}

/**
 * An answer Lakeloop cannot use (a field it needs is missing or malformed, a page token that never
 * ends): not retryable, naming the endpoint and the field but never the value, which is not ours.
 */
export function unusableResponse(endpoint: string, field: string, problem: string): DatabricksApiError {
  return new DatabricksApiError(
    `${endpoint}: the response field ${field} is unusable (${problem})`,
    'invalid-request',
    200,
    'UNEXPECTED_RESPONSE',
    false,
    undefined,
    endpoint,
  );
}
