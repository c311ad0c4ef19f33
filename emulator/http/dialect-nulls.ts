/**
 * The `strict-nulls` dialect: unset optional fields of Jobs responses are sent as explicit `null`, the
 * way proxies and Databricks-compatible servers that serialize a whole struct send them
 * (shared/reference/real-workspaces.md: `job_id: null` for a one-time run, `end_time: null` while
 * running, `state.result_state: null`, `error: null` in get-output). Databricks itself omits them.
 *
 * The fields are every field of the matching model in databricks-sdk-py 0.162.0 (the version
 * test/conformance pins), databricks/sdk/service/jobs.py: Run, RunTask, RunState, RunStatus,
 * RepairHistoryItem, RunOutput, Job, BaseJob, JobSettings, ListRunsResponse, ListJobsResponse. All of
 * them are Optional there; the Go SDK types the same fields `omitempty` (service/jobs/model.go). Both
 * SDKs read `null` as absent: Python's `from_dict` uses `d.get(...)` and `_from_dict`/`_enum`/
 * `_repeated_dict` return None or [] for a null (databricks/sdk/service/_internal.py); the Go SDK's
 * marshal.Unmarshal hands each field to encoding/json, where null leaves the zero value.
 *
 * Besides absent fields, values that only mean "not set" become null: `end_time` 0 (documented as "0
 * if the job is still running"), `start_time` 0 (a task that has not started), `state_message` "" and
 * a one-time run's `job_id` (the hidden job of a runs/submit run, reference §1 / emulator README §12).
 * Durations keep their zeros: a multi-task run's `setup_duration` 0 is a documented value.
 */

type Json = Record<string, unknown>;

const RUN = [
  'attempt_number',
  'cleanup_duration',
  'cluster_instance',
  'cluster_spec',
  'creator_user_name',
  'deployment_id',
  'description',
  'duration_target',
  'effective_performance_target',
  'effective_usage_policy_id',
  'end_time',
  'environment_variables',
  'execution_duration',
  'git_source',
  'has_more',
  'iterations',
  'job_clusters',
  'job_id',
  'job_parameters',
  'job_run_id',
  'next_page_token',
  'number_in_job',
  'original_attempt_run_id',
  'overriding_parameters',
  'queue_duration',
  'repair_history',
  'run_duration',
  'run_id',
  'run_name',
  'run_page_url',
  'run_type',
  'schedule',
  'setup_duration',
  'start_time',
  'state',
  'status',
  'tasks',
  'trigger',
  'trigger_info',
  'version_id',
];

const RUN_TASK = [
  'task_key',
  'ai_function_task',
  'ai_runtime_task',
  'alert_task',
  'attempt_number',
  'clean_rooms_notebook_task',
  'cleanup_duration',
  'cluster_instance',
  'compute',
  'condition_task',
  'dashboard_task',
  'dbt_cloud_task',
  'dbt_platform_task',
  'dbt_task',
  'depends_on',
  'description',
  'disable_auto_optimization',
  'disabled',
  'effective_performance_target',
  'email_notifications',
  'end_time',
  'environment_key',
  'environment_variables_key',
  'execution_duration',
  'existing_cluster_id',
  'for_each_task',
  'gen_ai_compute_task',
  'git_source',
  'job_cluster_key',
  'libraries',
  'max_retries',
  'min_retry_interval_millis',
  'new_cluster',
  'notebook_task',
  'notification_settings',
  'pipeline_task',
  'power_bi_task',
  'python_operator_task',
  'python_wheel_task',
  'queue_duration',
  'resolved_values',
  'retry_on_timeout',
  'run_duration',
  'run_id',
  'run_if',
  'run_job_task',
  'run_page_url',
  'setup_duration',
  'spark_jar_task',
  'spark_python_task',
  'spark_submit_task',
  'sql_task',
  'start_time',
  'state',
  'status',
  'timeout_seconds',
  'webhook_notifications',
];

const RUN_STATE = [
  'life_cycle_state',
  'queue_reason',
  'result_state',
  'state_message',
  'user_cancelled_or_timedout',
];
const RUN_STATUS = ['queue_details', 'state', 'termination_details'];
const REPAIR_HISTORY_ITEM = [
  'effective_performance_target',
  'end_time',
  'id',
  'start_time',
  'state',
  'status',
  'task_run_ids',
  'type',
];

const RUN_OUTPUT = [
  'ai_function_task_output',
  'ai_runtime_task_output',
  'alert_output',
  'clean_rooms_notebook_output',
  'dashboard_output',
  'dbt_cloud_output',
  'dbt_output',
  'dbt_platform_output',
  'error',
  'error_trace',
  'info',
  'logs',
  'logs_truncated',
  'metadata',
  'notebook_output',
  'run_job_output',
  'sql_output',
];

const BASE_JOB = [
  'created_time',
  'creator_user_name',
  'effective_budget_policy_id',
  'effective_usage_policy_id',
  'has_more',
  'job_id',
  'settings',
  'trigger_details',
  'trigger_state',
];
const JOB = [...BASE_JOB, 'next_page_token', 'run_as_user_name'];

const JOB_SETTINGS = [
  'budget_policy_id',
  'continuous',
  'deployment',
  'description',
  'duration_target',
  'edit_mode',
  'email_notifications',
  'environment_variables',
  'environments',
  'format',
  'git_source',
  'health',
  'job_clusters',
  'max_concurrent_runs',
  'name',
  'notification_settings',
  'parameters',
  'parent_path',
  'performance_target',
  'queue',
  'run_as',
  'schedule',
  'tags',
  'tasks',
  'timeout_seconds',
  'trigger',
  'triggers',
  'usage_policy_id',
  'webhook_notifications',
];

const LIST_PAGE = ['has_more', 'next_page_token', 'prev_page_token'];

/** The Jobs responses this dialect rewrites, by the path after `/api/<version>`. */
const RESPONSES: Record<string, (body: Json) => Json> = {
  '/jobs/runs/get': run,
  '/jobs/runs/list': (body) => ({ ...fill(body, [...LIST_PAGE, 'runs']), runs: each(body.runs, run) }),
  '/jobs/runs/get-output': output,
  '/jobs/get': (body) => job(body, JOB),
  '/jobs/list': (body) => ({
    ...fill(body, [...LIST_PAGE, 'jobs']),
    jobs: each(body.jobs, (item) => job(item, BASE_JOB)),
  }),
};

/** The endpoints whose 200 answers carry explicit nulls, as `/jobs/runs/get` etc. */
export function explicitNullsFor(endpoint: string): ((body: Json) => Json) | undefined {
  return RESPONSES[endpoint];
}

function run(body: Json): Json {
  const filled = timesUnset(fill(body, RUN));
  return {
    ...filled,
    ...(body.run_type === 'SUBMIT_RUN' ? { job_id: null } : {}),
    state: nested(filled.state, state),
    status: nested(filled.status, status),
    tasks: each(filled.tasks, task),
    iterations: each(filled.iterations, task),
    repair_history: each(filled.repair_history, history),
  };
}

function task(body: Json): Json {
  const filled = timesUnset(fill(body, RUN_TASK));
  return { ...filled, state: nested(filled.state, state), status: nested(filled.status, status) };
}

function history(body: Json): Json {
  const filled = timesUnset(fill(body, REPAIR_HISTORY_ITEM));
  return { ...filled, state: nested(filled.state, state), status: nested(filled.status, status) };
}

function state(body: Json): Json {
  const filled = fill(body, RUN_STATE);
  return filled.state_message === '' ? { ...filled, state_message: null } : filled;
}

function status(body: Json): Json {
  return fill(body, RUN_STATUS);
}

function output(body: Json): Json {
  const filled = fill(body, RUN_OUTPUT);
  return { ...filled, metadata: nested(filled.metadata, run) };
}

function job(body: Json, fields: string[]): Json {
  const filled = fill(body, fields);
  return { ...filled, settings: nested(filled.settings, (settings) => fill(settings, JOB_SETTINGS)) };
}

/** Every field of `fields` the body does not have, as null. */
function fill(body: Json, fields: readonly string[]): Json {
  const result: Json = { ...body };
  for (const field of fields) if (result[field] === undefined) result[field] = null;
  return result;
}

function timesUnset(body: Json): Json {
  return {
    ...body,
    ...(body.start_time === 0 ? { start_time: null } : {}),
    ...(body.end_time === 0 ? { end_time: null } : {}),
  };
}

function nested(value: unknown, render: (body: Json) => Json): unknown {
  return isRecord(value) ? render(value) : value;
}

function each(value: unknown, render: (body: Json) => Json): unknown {
  return Array.isArray(value) ? value.map((item) => nested(item, render)) : value;
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
