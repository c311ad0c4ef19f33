/**
 * GET one small JSON document — OAuth authorization-server metadata, Databricks host metadata — with a
 * timeout, and when it fails say exactly what went wrong (unreachable, which HTTP status, not JSON) and
 * whether trying again can help. No credentials are sent: both documents are public.
 */
import { displayUrl, isSecureOrLoopback } from './loopback.js';

export type JsonFetchFailure =
  /** No HTTP answer: connection refused, DNS, TLS, timeout. */
  | 'unreachable'
  /** An HTTP answer other than 2xx. */
  | 'http_status'
  /** 2xx, but the body is not a JSON object. */
  | 'not_json'
  /** A redirect to plain http on a host other than loopback. */
  | 'insecure_redirect';

export class JsonFetchError extends Error {
  constructor(
    /** What went wrong, in words ("HTTP 404 (ENDPOINT_NOT_FOUND: …)", "connection refused"). */
    readonly reason: string,
    readonly failure: JsonFetchFailure,
    /** Network errors, 429 and 5xx may pass; a 404 or an HTML page will not fix itself. */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(reason);
    this.name = 'JsonFetchError';
  }
}

const MAX_DETAIL = 200;

export async function fetchJsonObject(url: URL, timeoutMs: number): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    // Redirects are followed, as the Databricks SDKs' HTTP clients do (Go net/http, Python requests).
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new JsonFetchError(networkReason(err, timeoutMs), 'unreachable', true);
  }
  if (response.redirected && !isSecureOrLoopback(new URL(response.url))) {
    await response.body?.cancel();
    throw new JsonFetchError(
      `redirected to plain http at ${displayUrl(new URL(response.url))}, which is only allowed on loopback`,
      'insecure_redirect',
      false,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new JsonFetchError(
      `the answer was cut off (${networkReason(err, timeoutMs)})`,
      'unreachable',
      true,
    );
  }
  if (!response.ok) {
    const status = response.status;
    const detail = errorDetail(text);
    throw new JsonFetchError(
      `HTTP ${status}${detail ? ` (${detail})` : ''}`,
      'http_status',
      status === 429 || status >= 500,
      status,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const type = response.headers.get('content-type') || 'no content-type';
    throw new JsonFetchError(
      `HTTP ${response.status} but the body is not JSON (${type}, ${text.length} bytes)`,
      'not_json',
      false,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new JsonFetchError(
      `HTTP ${response.status} but the body is JSON ${Array.isArray(parsed) ? 'array' : typeof parsed}, not an object`,
      'not_json',
      false,
    );
  }
  return parsed as Record<string, unknown>;
}

/** "connection refused (ECONNREFUSED)", "no answer within 15 s", … from undici's `fetch failed`. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message =
    typeof e?.cause?.message === 'string'
      ? e.cause.message
      : typeof e?.message === 'string'
        ? e.message
        : String(err);
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * The error code and message of a Databricks (`{error_code, message}`) or OAuth (`{error,
 * error_description}`) error body, shortened. Other bodies (HTML error pages) are not echoed.
 */
function errorDetail(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const code = [b.error_code, b.error].find((v): v is string => typeof v === 'string');
  const message = [b.message, b.error_description].find((v): v is string => typeof v === 'string');
  const detail = [code, message].filter(Boolean).join(': ');
  if (!detail) return undefined;
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
}
