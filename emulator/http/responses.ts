/**
 * What a handler returns. Handlers never write to the socket themselves: the server decides whether
 * to send the response or, under a `dropResponse` fault, to do the work and then drop the connection.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ApiError } from './api-error.js';

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bytes instead of JSON (MLflow artifact downloads), streamed to the client. */
  raw?: { stream: Readable; size: number; contentType: string };
}

export function ok(body: unknown = {}): ApiResponse {
  return { status: 200, body };
}

export function errorResponse(error: ApiError, requestId: string): ApiResponse {
  return {
    status: error.status,
    headers: error.headers,
    body: {
      error_code: error.errorCode,
      message: error.message,
      details: [
        { '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: requestId, serving_data: '' },
      ],
    },
  };
}

/** `stringify` writes JSON bodies; a dialect with ids beyond 2^53 passes one that keeps bigints exact. */
export function writeResponse(
  res: ServerResponse,
  response: ApiResponse,
  requestId: string,
  stringify: (body: unknown) => string = JSON.stringify,
): void {
  if (response.raw) {
    const { stream, size, contentType } = response.raw;
    res.writeHead(response.status, {
      'content-type': contentType,
      'content-length': size,
      'x-request-id': requestId,
      ...response.headers,
    });
    // A read error mid-file can only end the connection: the status line is already sent.
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return;
  }
  const payload = response.body === undefined ? '' : stringify(response.body);
  res.writeHead(response.status, {
    ...(payload ? { 'content-type': 'application/json' } : {}),
    'content-length': Buffer.byteLength(payload),
    'x-request-id': requestId,
    ...response.headers,
  });
  res.end(payload);
}
