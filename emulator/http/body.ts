/**
 * Reading and parsing request bodies defensively: bounded in size, and every way a body can be wrong
 * ends in a Databricks-shaped 400 rather than an exception.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, malformedRequest } from './api-error.js';

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends ApiError {
  constructor(limit: number) {
    super(400, 'INVALID_PARAMETER_VALUE', `Request body exceeds the limit of ${limit} bytes.`);
  }
}

/** Resolves with the whole body, or rejects with BodyTooLargeError once it passes `limit`. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

/**
 * A JSON object body. Empty means `{}` (clients send bodiless POSTs for all-optional requests);
 * anything else must be one JSON object, as Databricks requires. `parse` is JSON.parse unless a
 * dialect needs integers kept exact (http/dialect-ids.ts).
 */
export function parseJsonObject(
  raw: Buffer,
  parse: (text: string) => unknown = JSON.parse,
): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw malformedRequest(`Could not parse request object: ${detail}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformedRequest('Invalid JSON given in the body of the request - expected a map');
  }
  return value as Record<string, unknown>;
}

/**
 * A GET's parameters as Databricks reads them: from the query string or from a JSON body (Airflow's
 * async Databricks hook sends runs/get's `run_id` in the body, and Databricks answers it). Where both
 * name a parameter the query string wins; a body that is not a JSON object is refused as for a POST.
 */
export function getParameters(
  query: URLSearchParams,
  raw: Buffer,
  parseObject: (raw: Buffer) => Record<string, unknown> = parseJsonObject,
): URLSearchParams {
  const body = parseObject(raw);
  const entries = Object.entries(body).filter(
    ([name, value]) =>
      !query.has(name) &&
      (typeof value === 'string' ||
        typeof value === 'number' ||
        typeof value === 'bigint' ||
        typeof value === 'boolean'),
  );
  if (entries.length === 0) return query;
  const merged = new URLSearchParams(query);
  for (const [name, value] of entries) merged.set(name, String(value));
  return merged;
}
