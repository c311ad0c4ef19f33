/**
 * Job notification payloads, exactly the documented JSON (reference §4):
 *   {"event_type":"jobs.on_start","workspace_id":"…","run":{"run_id":"…"},"job":{"job_id":"…","name":"…"}}
 * Task-level notifications add "task":{"task_key":…} and "run":{"run_id":<task run>,"parent_run_id":<job run>}.
 * The documentation shows the ids as strings and one integration shows numbers [U]; we send strings by
 * default (the documented form) and numbers with --webhook-ids number. Ids are what clients see
 * (bigints above 2^62 under the `int64-ids` dialect), so numbers must be serialized exactly: the
 * dispatcher writes the payload with the dialect's stringify.
 */
export type JobEventType = 'jobs.on_start' | 'jobs.on_success' | 'jobs.on_failure';

export type PayloadId = number | bigint;

export interface PayloadIds {
  workspaceId: string;
  jobId: PayloadId;
  jobName: string;
  runId: PayloadId;
  task?: { taskKey: string; taskRunId: PayloadId };
}

export function jobEventPayload(event: JobEventType, ids: PayloadIds, format: 'string' | 'number'): object {
  const id = (value: PayloadId | string): string | PayloadId =>
    format === 'string' ? String(value) : typeof value === 'string' ? Number(value) : value;
  const run = ids.task
    ? { run_id: id(ids.task.taskRunId), parent_run_id: id(ids.runId) }
    : { run_id: id(ids.runId) };
  return {
    event_type: event,
    workspace_id: id(ids.workspaceId),
    run,
    job: { job_id: id(ids.jobId), name: ids.jobName },
    ...(ids.task ? { task: { task_key: ids.task.taskKey } } : {}),
  };
}
