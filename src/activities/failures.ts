import { ApplicationFailure } from '@temporalio/activity';
import { AuthError } from '../auth/index.js';
import { DatabricksApiError } from '../databricks/errors.js';

/**
 * Converts the token layer's and the Databricks client's errors into Temporal failures: retryable
 * ones stay retryable (with Retry-After as the next delay), the rest are non-retryable so a workflow
 * fails fast with the cause instead of retrying forever. Messages never contain a token.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof AuthError) {
    return ApplicationFailure.create({
      type: 'DatabricksAuthError',
      message: err.message,
      nonRetryable: !err.retryable,
      details: [{ authType: err.authType, code: err.code }],
    });
  }
  if (err instanceof DatabricksApiError) {
    return ApplicationFailure.create({
      type: `DatabricksApiError:${err.kind}`,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
      details: [{ status: err.status, errorCode: err.errorCode, endpoint: err.endpoint }],
    });
  }
  return err;
}

/** Runs an activity body and converts known failures. */
export async function withActivityFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
