/**
 * Request parsing the way MLflow's REST server does it: GET parameters come from the query string,
 * everything else from the JSON body, and every problem is 400 INVALID_PARAMETER_VALUE with MLflow's
 * own wording ("Missing value for required parameter 'run_id'. …"), not Databricks' MALFORMED_REQUEST.
 */
import { z } from 'zod';
import { ApiError, invalidParameter } from '../http/api-error.js';
import { parseJsonObject } from '../http/body.js';
import type { RequestContext } from '../http/router.js';
import { fieldName, stripNulls } from '../http/validation.js';

export function resourceAlreadyExists(message: string): ApiError {
  // MLflow answers RESOURCE_ALREADY_EXISTS with 400 (mlflow/protos/databricks.proto error mapping).
  return new ApiError(400, 'RESOURCE_ALREADY_EXISTS', message);
}

/** The request's parameters: the query for GET, the JSON body (or, for DELETE without one, the query). */
export function requestParams(ctx: RequestContext): Record<string, unknown> {
  if (ctx.method === 'GET') return Object.fromEntries(ctx.query.entries());
  // The server parses no body for DELETE; MLflow's Python client sends DELETE parameters as JSON.
  if (ctx.method === 'DELETE') {
    const body = parseJsonObject(ctx.rawBody);
    return Object.keys(body).length > 0 ? body : Object.fromEntries(ctx.query.entries());
  }
  return ctx.body;
}

export function parseMlflow<T>(schema: z.ZodType<T>, input: unknown): T {
  const cleaned = stripNulls(input);
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldName(issue.path);
  let value: unknown = cleaned;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  if (value === undefined || value === '') {
    throw invalidParameter(
      `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`,
    );
  }
  throw invalidParameter(
    `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied: ${issue.message}`,
  );
}

/** A non-empty string. */
export const requiredString = z.string().min(1);

/** An int64 that proto3 JSON (and query strings) may carry as a decimal string. */
export const int64 = z.preprocess(
  (value) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value),
  z.number().int(),
);

/** A double; MLflow also accepts "NaN"/"Infinity" strings as proto3 JSON does. */
export const double = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}, z.number());

/** Offset page tokens: MLflow's are opaque base64 too; listings here are stable (append-only or sorted). */
export function encodeOffsetToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

export function decodeOffsetToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0)
      return parsed.offset;
  } catch {
    // fall through
  }
  throw invalidParameter(`Invalid page token: ${JSON.stringify(token.slice(0, 80))}`);
}

/** One page of `items` from a page token; `next_page_token` only when more remain. */
export function page<T>(
  items: readonly T[],
  token: string | undefined,
  pageSize: number,
): { items: T[]; next_page_token?: string } {
  const offset = decodeOffsetToken(token);
  const slice = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return next < items.length ? { items: slice, next_page_token: encodeOffsetToken(next) } : { items: slice };
}
