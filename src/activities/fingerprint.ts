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
 * The idempotency token for one logical submission: the same workflow execution and step always give
 * the same token (so a retried activity gets the run it already created), a new execution never
 * reuses an old one. Databricks allows at most 64 characters.
 */
export function idempotencyToken(workflowId: string, workflowRunId: string, step: string): string {
  const digest = createHash('sha256').update(`${workflowId}\n${workflowRunId}\n${step}`).digest('hex');
  return `lakeloop-${digest.slice(0, 48)}`;
}
