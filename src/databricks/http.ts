/**
 * The one HTTP layer for a Databricks workspace (Jobs, SCIM, MLflow): bearer token from the token
 * layer, a transparent retry after a 401 with a fresh token, the shared request budget and Retry-After,
 * bounded timeouts, and errors mapped to DatabricksApiError. Nothing here logs or returns a token.
 *
 * Each request() is one OpenTelemetry client span ("databricks GET /api/2.2/jobs/runs/get"), a child of
 * the activity's span, carrying the method, path (never the query string), status, endpoint and the
 * Jobs run/job ids it concerns. Headers and bodies never go into a span. With tracing off the tracer
 * is @opentelemetry/api's no-op and no attribute is computed.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { z } from 'zod';
import type { TokenProvider } from '../auth/index.js';
import { redactString } from '../observability/logger.js';
import { normaliseEndpointPath, type HttpMethod, type RequestEvent } from './request-events.js';
import { DatabricksApiError, errorFromResponse, transportError, unusableResponse } from './errors.js';
import { parseExactJson, stringifyExactJson, withoutNulls } from './json.js';
import type { RequestBudget } from './request-budget.js';

export type QueryValue = string | number | boolean | undefined;

export type { HttpMethod, RequestEvent } from './request-events.js';

export interface DatabricksHttpOptions {
  host: string;
  tokens: TokenProvider;
  budget: RequestBudget;
  /** Per request; the Databricks SDKs use 60 s. */
  timeoutMs?: number;
  /** Times a 429/503 is retried here (after Retry-After) before the caller sees the error. */
  maxThrottleRetries?: number;
  /** Wait when a 429/503 carries no Retry-After. */
  defaultRetryAfterMs?: number;
  /** Observes every response (metrics). */
  onResponse?(event: RequestEvent): void;
  /**
   * The signal that aborts requests made on behalf of whoever asks now — the activity's cancellation
   * signal when called inside a Temporal activity (src/activities/index.ts wires it), so a cancelled
   * activity's in-flight request is abandoned on the wire rather than awaited to its timeout.
   */
  cancellation?: () => AbortSignal | undefined;
}

export interface RequestOptions<T> {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Validates (and types) the response; unknown fields are tolerated by the schemas. */
  schema: z.ZodType<T>;
  /**
   * Parse the answer keeping integers above 2^53 exact (as bigint, for the schema to turn into id
   * strings): the Jobs API's int64 ids. Request bodies always write bigint values as integers.
   */
  exactIntegers?: boolean;
}

export class DatabricksHttpClient {
  readonly host: string;
  private readonly timeoutMs: number;
  private readonly maxThrottleRetries: number;
  private readonly defaultRetryAfterMs: number;

  constructor(private options: DatabricksHttpOptions) {
    this.host = options.host.replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxThrottleRetries = options.maxThrottleRetries ?? 3;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1_000;
  }

  get tokens(): TokenProvider {
    return this.options.tokens;
  }

  /** Where requests find the signal that cancels them (see DatabricksHttpOptions.cancellation). */
  setCancellationSource(source: () => AbortSignal | undefined): void {
    this.options.cancellation = source;
  }

  async request<T>(method: HttpMethod, path: string, request: RequestOptions<T>): Promise<T> {
    const url = new URL(path, this.host);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // Looked up per request, not kept: a tracer obtained before tracing starts stays a no-op.
    const tracer = trace.getTracer('lakeloop.databricks');
    const endpointPath = normaliseEndpointPath(url.pathname);
    return tracer.startActiveSpan(
      `databricks ${method} ${endpointPath}`,
      { kind: SpanKind.CLIENT },
      async (span) => {
        const recording = span.isRecording();
        const namedIds = recording
          ? idAttributes(url.pathname, { ...asRecord(request.body), ...request.query })
          : {};
        if (recording) {
          span.setAttributes({
            'http.request.method': method,
            'url.path': url.pathname,
            'server.address': url.hostname,
            'databricks.endpoint': endpointPath,
            ...namedIds,
          });
        }
        try {
          const result = await this.requestWithRetries(method, path, url, request, span);
          // Ids the response reveals (runs/submit's run_id); those the request named stay as they were.
          if (recording) span.setAttributes({ ...idAttributes(url.pathname, asRecord(result)), ...namedIds });
          return result;
        } catch (err) {
          if (span.isRecording()) {
            const apiError = err instanceof DatabricksApiError ? err : undefined;
            span.setAttribute('error.type', apiError?.errorCode ?? (err as Error).name ?? 'Error');
            span.setStatus({ code: SpanStatusCode.ERROR, message: redactString((err as Error).message) });
          }
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  private async requestWithRetries<T>(
    method: HttpMethod,
    path: string,
    url: URL,
    request: RequestOptions<T>,
    span: Span,
  ): Promise<T> {
    const endpoint = `${method} ${path}`;
    let retriedUnauthenticated = false;
    for (let throttled = 0, attempt = 0; ; attempt++) {
      await this.options.budget.acquire();
      const token = await this.options.tokens.getToken();
      const response = await this.send(method, url, token.value, request.body, endpoint);
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', response.status);
        if (attempt > 0) span.setAttribute('http.request.resend_count', attempt);
      }
      const text = await response.text();
      const body = decodeBody(text, request.exactIntegers ?? false);
      if (response.ok) return validateResponse(request.schema, body, endpoint);

      const error = errorFromResponse(response.status, body, response.headers.get('retry-after'), endpoint);
      if (response.status === 401 && !retriedUnauthenticated) {
        // The token may have been revoked or expired early: drop it and try once with a new one.
        retriedUnauthenticated = true;
        this.options.tokens.invalidate(token.value);
        span.addEvent('databricks.token_rejected');
        continue;
      }
      if ((response.status === 429 || response.status === 503) && throttled < this.maxThrottleRetries) {
        throttled++;
        const pauseMs = error.retryAfterMs ?? this.defaultRetryAfterMs * throttled;
        this.options.budget.pauseFor(pauseMs);
        span.addEvent('databricks.throttled', {
          'http.response.status_code': response.status,
          pause_ms: pauseMs,
        });
        continue;
      }
      if (error.retryAfterMs !== undefined) this.options.budget.pauseFor(error.retryAfterMs);
      throw error;
    }
  }

  private async send(
    method: HttpMethod,
    url: URL,
    token: string,
    body: unknown,
    endpoint: string,
  ): Promise<Response> {
    const started = performance.now();
    const cancellation = this.options.cancellation?.();
    if (cancellation?.aborted) throw cancellation.reason;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          'user-agent': 'lakeloop/0.1 (+temporal)',
        },
        body: body !== undefined ? stringifyExactJson(body) : undefined,
        signal: cancellation
          ? AbortSignal.any([cancellation, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // The caller was cancelled (the activity's CancelledFailure is the signal's reason): say so.
      if (cancellation?.aborted) throw cancellation.reason;
      throw transportError(err, endpoint, this.timeoutMs, { quoteMessage: true });
    }
    this.options.onResponse?.({
      method,
      path: url.pathname,
      status: response.status,
      durationMs: performance.now() - started,
    });
    return response;
  }
}

/**
 * The Jobs run and job a request concerns, from its query or body (runs/get, runs/cancel, repair…) or
 * its response (runs/submit, run-now). MLflow calls name an MLflow run, kept apart from Jobs runs.
 * Only these ids are read; nothing else of a body is ever put on a span.
 */
function idAttributes(path: string, fields: Record<string, unknown>): Attributes {
  const names: Array<[string, string]> = path.includes('/jobs/')
    ? [
        ['run_id', 'databricks.run_id'],
        ['job_id', 'databricks.job_id'],
      ]
    : path.includes('/mlflow/')
      ? [['run_id', 'mlflow.run_id']]
      : [];
  const attributes: Attributes = {};
  for (const [field, attribute] of names) {
    const value = fields[field];
    // Ids only: a whole number, or a short token of letters, digits, "_" and "-" (MLflow's hex ids).
    if (
      typeof value === 'number'
        ? Number.isSafeInteger(value)
        : typeof value === 'bigint' || (typeof value === 'string' && /^[\w-]{1,64}$/.test(value))
    )
      attributes[attribute] = String(value);
  }
  return attributes;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * What a successful answer's text means to Lakeloop: the same parse and schema the client applies to
 * every response, exported so the property test (test/databricks/response-shapes.property.test.ts)
 * drives exactly this path with generated bodies.
 */
export function decodeResponse<T>(
  text: string,
  request: Pick<RequestOptions<T>, 'schema' | 'exactIntegers'>,
  endpoint: string,
): T {
  return validateResponse(request.schema, decodeBody(text, request.exactIntegers ?? false), endpoint);
}

function validateResponse<T>(schema: z.ZodType<T>, body: unknown, endpoint: string): T {
  const parsed = schema.safeParse(withoutNulls(body));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(the whole response)';
  throw unusableResponse(endpoint, field, issue?.message ?? 'invalid');
}

function decodeBody(text: string, exactIntegers: boolean): unknown {
  if (!text) return {};
  try {
    return exactIntegers ? parseExactJson(text) : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}
