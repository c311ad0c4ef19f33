/**
 * Errors in the shape Databricks sends them: an HTTP status plus `{error_code, message}`. Handlers
 * throw these; the server turns them into responses. The messages of the common ones are Databricks'
 * own, because clients (and the official SDKs' error overrides) match on them.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function invalidParameter(message: string): ApiError {
  return new ApiError(400, 'INVALID_PARAMETER_VALUE', message);
}

/**
 * A body that does not parse, or a field of the wrong JSON type. Databricks answers these with
 * MALFORMED_REQUEST and "Could not parse request object: ..." (seen in databrickslabs/dbx#681 and #182,
 * PrefectHQ/prefect#5836), not with INVALID_PARAMETER_VALUE.
 */
export function malformedRequest(message: string): ApiError {
  return new ApiError(400, 'MALFORMED_REQUEST', message);
}

export function invalidState(message: string): ApiError {
  return new ApiError(400, 'INVALID_STATE', message);
}

/** Databricks reports a missing job as 400, not 404; the SDKs remap it to ResourceDoesNotExist. */
export function jobDoesNotExist(jobId: number | string): ApiError {
  return invalidParameter(`Job ${jobId} does not exist.`);
}

export function runDoesNotExist(runId: number | string): ApiError {
  return invalidParameter(`Run ${runId} does not exist.`);
}

export function resourceDoesNotExist(message: string): ApiError {
  return new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', message);
}

/** The generic error_code Databricks pairs with each status (reference §2, PY errors/platform.py). */
const ERROR_CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'RESOURCE_CONFLICT',
  429: 'REQUEST_LIMIT_EXCEEDED',
  499: 'CANCELLED',
  500: 'INTERNAL_ERROR',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function errorCodeForStatus(status: number): string {
  return ERROR_CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

const DEFAULT_MESSAGE_BY_STATUS: Record<number, string> = {
  429: 'Too many requests. Please wait a moment and try again.',
  503: 'The service is temporarily unavailable. Please try again later.',
};

export function defaultMessageForStatus(status: number): string {
  return DEFAULT_MESSAGE_BY_STATUS[status] ?? `Injected fault: HTTP ${status}.`;
}
