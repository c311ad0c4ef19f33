/**
 * The one HTTP layer for a Databricks workspace (Jobs, SCIM, MLflow): bearer token from the token
 * layer, a transparent retry after a 401 with a fresh token, the shared request budget and Retry-After,
 * bounded timeouts, and errors mapped to DatabricksApiError. Nothing here logs or returns a token.
 */
import type { z } from 'zod';
import type { TokenProvider } from '../auth/index.js';
import { DatabricksApiError, errorFromResponse } from './errors.js';
import type { RequestBudget } from './request-budget.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface RequestEvent {
  method: HttpMethod;
  path: string;
  status: number;
  durationMs: number;
}

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
}

export interface RequestOptions<T> {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Validates (and types) the response; unknown fields are tolerated by the schemas. */
  schema: z.ZodType<T>;
}

export class DatabricksHttpClient {
  readonly host: string;
  private readonly timeoutMs: number;
  private readonly maxThrottleRetries: number;
  private readonly defaultRetryAfterMs: number;

  constructor(private readonly options: DatabricksHttpOptions) {
    this.host = options.host.replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxThrottleRetries = options.maxThrottleRetries ?? 3;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1_000;
  }

  get tokens(): TokenProvider {
    return this.options.tokens;
  }

  async request<T>(method: HttpMethod, path: string, request: RequestOptions<T>): Promise<T> {
    const url = new URL(path, this.host);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const endpoint = `${method} ${path}`;
    let retriedUnauthenticated = false;
    for (let throttled = 0; ;) {
      await this.options.budget.acquire();
      const token = await this.options.tokens.getToken();
      const response = await this.send(method, url, token.value, request.body, endpoint);
      const body = await readBody(response);
      if (response.ok) return this.validate(request.schema, body, endpoint);

      const error = errorFromResponse(response.status, body, response.headers.get('retry-after'), endpoint);
      if (response.status === 401 && !retriedUnauthenticated) {
        // The token may have been revoked or expired early: drop it and try once with a new one.
        retriedUnauthenticated = true;
        this.options.tokens.invalidate(token.value);
        continue;
      }
      if ((response.status === 429 || response.status === 503) && throttled < this.maxThrottleRetries) {
        throttled++;
        this.options.budget.pauseFor(error.retryAfterMs ?? this.defaultRetryAfterMs * throttled);
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
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      const reason = timedOut ? `no response within ${this.timeoutMs} ms` : describeNetworkError(err);
      throw new DatabricksApiError(
        `${endpoint}: ${reason}`,
        timedOut ? 'timeout' : 'network',
        0,
        timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        true,
        undefined,
        endpoint,
      );
    }
    this.options.onResponse?.({
      method,
      path: url.pathname,
      status: response.status,
      durationMs: performance.now() - started,
    });
    return response;
  }

  private validate<T>(schema: z.ZodType<T>, body: unknown, endpoint: string): T {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new DatabricksApiError(
      `${endpoint}: unexpected response shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      'invalid-request',
      200,
      'UNEXPECTED_RESPONSE',
      false,
      undefined,
      endpoint,
    );
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `network error (${cause.code})` : `network error (${(err as Error).message})`;
}
