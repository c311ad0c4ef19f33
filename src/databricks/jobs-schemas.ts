/**
 * Response shapes of the Jobs API 2.2 that Lakeloop reads, parsed as tolerantly as the official SDKs
 * parse them and exactly where it matters:
 *  - `null` is "not set", like an absent field: databricks-sdk-py's `from_dict` reads every field with
 *    `d.get(...)`, and databricks-sdk-go's `encoding/json` leaves a null field at its zero value;
 *  - unknown fields pass (every object is loose) and enum values are plain strings, so a value added
 *    in a later release (`status.state` WAITING, a new termination code) never breaks a pipeline — the
 *    SDKs' enums accept unknown values the same way (py: `_enum` falls back; go: string types);
 *  - ids are int64 (go: `RunId int64`, `JobId int64`, `RepairHistoryItem.Id int64`, `TaskRunIds
 *    []int64`, `RepairRunResponse.RepairId int64`) and come out as exact decimal strings, whether the
 *    server wrote a number, a bigint-sized number (src/databricks/json.ts) or a string (proto3 JSON
 *    writes int64 as strings, and gRPC-gateway proxies do);
 *  - other numbers accept the same three forms; timestamps and durations fit a double.
 * Only what Lakeloop cannot work without is required: the `run_id` of a runs/submit or run-now answer
 * and the `repair_id` of a repair. Everything else is optional, as in the SDK models (`omitempty` on
 * every field of go's `Run`, `RunTask`, `RunOutput`, `Job`).
 * Facts: shared/reference/databricks-api.md §1, real-workspaces.md.
 */
import { z } from 'zod';
import { toDatabricksId } from '../shared/databricks-id.js';

export const TERMINAL_LIFE_CYCLE_STATES = ['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'] as const;

/** `null` → absent, then the schema, optional. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A JSON number, a bigint (above 2^53) or a numeric string, as a number. */
const numeric = z
  .union([z.number(), z.bigint(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)])
  .transform(Number);

/** An int64 id in any of its wire forms, as its exact decimal string. */
const id = z.union([z.number(), z.bigint(), z.string()]).transform((value, ctx) => {
  const exact = toDatabricksId(value);
  if (exact === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an int64 id, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value)}`,
    });
    return z.NEVER;
  }
  return exact;
});

/**
 * An id that may be absent. Zero is "not set" too: it is go's zero value (`omitempty` drops it) and
 * never a real Databricks id.
 */
const optionalId = optional(id).transform((value) => (value === '0' ? undefined : value));

/** Lists skip `null` elements rather than fail on them; a null list is an absent one. */
function list<T extends z.ZodType>(element: T) {
  return optional(
    z.preprocess(
      (value) => (Array.isArray(value) ? value.filter((item) => item !== null) : value),
      z.array(element),
    ),
  );
}

const text = optional(z.string());
const number = optional(numeric);
const flag = optional(z.boolean());

export const runStateSchema = z.looseObject({
  life_cycle_state: text,
  result_state: text,
  state_message: text,
  user_cancelled_or_timedout: flag,
  queue_reason: text,
});

export const runStatusSchema = z.looseObject({
  state: text,
  termination_details: optional(z.looseObject({ code: text, type: text, message: text })),
  queue_details: optional(z.looseObject({ code: text, message: text })),
});

const durations = {
  start_time: number,
  end_time: number,
  setup_duration: number,
  execution_duration: number,
  cleanup_duration: number,
  run_duration: number,
  queue_duration: number,
};

/** `for_each_task` of a task run: the nested task and, once running, counts of its iterations. */
export const runForEachTaskSchema = z.looseObject({
  inputs: text,
  concurrency: number,
  task: optional(z.looseObject({ task_key: text })),
  stats: optional(
    z.looseObject({
      task_run_stats: optional(
        z.looseObject({
          total_iterations: number,
          scheduled_iterations: number,
          active_iterations: number,
          completed_iterations: number,
          succeeded_iterations: number,
          failed_iterations: number,
        }),
      ),
    }),
  ),
});

export const runTaskSchema = z.looseObject({
  task_key: text,
  run_id: optionalId,
  attempt_number: number,
  state: optional(runStateSchema),
  status: optional(runStatusSchema),
  run_page_url: text,
  depends_on: list(z.looseObject({ task_key: text })),
  run_if: text,
  disabled: flag,
  for_each_task: optional(runForEachTaskSchema),
  ...durations,
});

export const repairHistoryItemSchema = z.looseObject({
  id: optionalId,
  type: text,
  start_time: number,
  end_time: number,
  state: optional(runStateSchema),
  status: optional(runStatusSchema),
  task_run_ids: list(id),
});

export const jobParameterSchema = z.looseObject({ name: text, default: text, value: text });

export const runSchema = z.looseObject({
  run_id: optionalId,
  job_id: optionalId,
  run_name: text,
  run_type: text,
  run_page_url: text,
  attempt_number: number,
  original_attempt_run_id: optionalId,
  state: optional(runStateSchema),
  status: optional(runStatusSchema),
  tasks: list(runTaskSchema),
  /** Set when the run asked for is a for_each task run: one entry per iteration. */
  iterations: list(runTaskSchema),
  job_clusters: list(z.looseObject({})),
  job_parameters: list(jobParameterSchema),
  repair_history: list(repairHistoryItemSchema),
  has_more: flag,
  next_page_token: text,
  ...durations,
});

export const runOutputSchema = z.looseObject({
  notebook_output: optional(z.looseObject({ result: text, truncated: flag })),
  logs: text,
  logs_truncated: flag,
  error: text,
  error_trace: text,
  info: text,
  metadata: optional(runSchema),
});

export const exportRunSchema = z.looseObject({
  views: list(z.looseObject({ content: text, name: text, type: text })),
});

export const jobSchema = z.looseObject({
  job_id: optionalId,
  created_time: number,
  creator_user_name: text,
  settings: optional(z.looseObject({ name: text })),
  has_more: flag,
  next_page_token: text,
});

export const listJobsSchema = z.looseObject({
  jobs: list(jobSchema),
  has_more: flag,
  next_page_token: text,
});

/** runs/list: BaseRun entries (databricks-sdk-go service/jobs ListRunsResponse: runs, has_more, next_page_token). */
export const listRunsSchema = z.looseObject({
  runs: list(runSchema),
  has_more: flag,
  next_page_token: text,
});

/** runs/submit and run-now: without a run id nothing can follow the run, so it is required. */
export const submitResponseSchema = z.looseObject({ run_id: id, number_in_job: optionalId });
export const repairResponseSchema = z.looseObject({ repair_id: id });
export const emptyResponseSchema = z.looseObject({});

export type RunState = z.infer<typeof runStateSchema>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type RunTask = z.infer<typeof runTaskSchema>;
export type Run = z.infer<typeof runSchema>;
export type RunOutput = z.infer<typeof runOutputSchema>;
export type ExportRunOutput = z.infer<typeof exportRunSchema>;
export type Job = z.infer<typeof jobSchema>;
