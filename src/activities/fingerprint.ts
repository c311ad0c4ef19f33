import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal settings hash equally whatever order the API returns. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  // An int64 beyond 2^53 (a job id inside run_job_task, parsed exactly) hashes as the integer it is.
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

export function fingerprint(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

/**
 * Fields of a runs/submit request that name or route one run rather than define the work: the run's
 * name (often dated: "train-2026-12-03"), its idempotency token, who hears about it and who may see it,
 * and its timeout (Lakeloop derives it from each workflow's deadline). Field names from the Jobs API's
 * SubmitRun (databricks-sdk-go service/jobs/model.go: RunName, IdempotencyToken, WebhookNotifications,
 * EmailNotifications, NotificationSettings, AccessControlList, TimeoutSeconds).
 */
const PER_RUN_SUBMIT_FIELDS = [
  'run_name',
  'idempotency_token',
  'webhook_notifications',
  'email_notifications',
  'notification_settings',
  'access_control_list',
  'timeout_seconds',
] as const;

/**
 * What makes two one-time runs "the same job" for predictive polling: the submit request without its
 * per-run fields. Two runs of one definition on different days (different names) share it; a changed
 * task, cluster or parameter gives another — and another duration history.
 */
export function definitionFingerprint(submit: object): string {
  const definition: Record<string, unknown> = { ...submit };
  for (const field of PER_RUN_SUBMIT_FIELDS) delete definition[field];
  return fingerprint(definition);
}

/**
 * The idempotency token for one logical submission: the same workflow execution and step always give
 * the same token (so a retried activity gets the run it already created), a new execution never
 * reuses an old one. Databricks allows at most 64 characters.
 */
export function idempotencyToken(workflowId: string, workflowRunId: string, step: string): string {
  const digest = createHash('sha256').update(`${workflowId}\n${workflowRunId}\n${step}`).digest('hex');
  return `lakeloop-${digest.slice(0, 48)}`;
}
