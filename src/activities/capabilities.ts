/**
 * Recognising "this workspace does not offer that" among Databricks errors, so an optional feature
 * is turned off for the run (repair → resubmit, notifications → polling) instead of ending it.
 *
 * What real deployments answer for a missing feature:
 *  - Databricks' own router: 404 `{"error_code":"ENDPOINT_NOT_FOUND","message":"No API found for 'GET
 *    /repos'"}` (databricks/databricks-cli#383);
 *  - a gateway in front of it: 404 with a body that is not Databricks-shaped, e.g. `{"error":"Bad
 *    Target: /api/2.2/sql/endpoints"}` (apache/airflow#60444);
 *  - a feature switched off for the workspace: `FEATURE_DISABLED` (databrickslabs/ucx#1617, "Model
 *    serving is not enabled for your shard", raised as NotFound by databricks-sdk-py);
 *  - `501 Not Implemented`, which databricks-sdk-py maps to its own NotImplemented error
 *    (databricks/sdk/errors/platform.py).
 * A missing run or job is a 400 INVALID_PARAMETER_VALUE ("Run 1 does not exist"), never one of these.
 */
import { DatabricksApiError } from '../databricks/errors.js';

const UNAVAILABLE_CODES = new Set(['ENDPOINT_NOT_FOUND', 'FEATURE_DISABLED', 'NOT_IMPLEMENTED']);

export function isFeatureUnavailable(err: unknown): boolean {
  if (!(err instanceof DatabricksApiError)) return false;
  if (err.status === 501 || UNAVAILABLE_CODES.has(err.errorCode)) return true;
  // A 404 without a Databricks error code is a path nobody serves, not a missing resource.
  return err.status === 404 && err.errorCode === 'HTTP_404';
}

/**
 * A request refused because of its `webhook_notifications`: the feature is off, or the destination
 * does not exist (deleted, or created in another workspace). Databricks documents no error code for
 * the second case, so a 4xx naming a notification, destination or webhook counts.
 */
export function isNotificationRefusal(err: unknown): boolean {
  if (!(err instanceof DatabricksApiError) || err.retryable) return false;
  if (isFeatureUnavailable(err)) return true;
  return (
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 401 &&
    err.status !== 403 &&
    /notification|destination|webhook/i.test(err.message)
  );
}
