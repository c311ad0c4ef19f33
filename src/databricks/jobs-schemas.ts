/**
 * Response shapes of the Jobs API 2.2 that Lakeloop reads, as zod schemas. Every object is loose:
 * Databricks adds fields over time and a new field must never break a running pipeline.
 * Facts: shared/reference/databricks-api.md §1.
 */
import { z } from 'zod';

export const TERMINAL_LIFE_CYCLE_STATES = ['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'] as const;

export const runStateSchema = z.looseObject({
  life_cycle_state: z.string().optional(),
  result_state: z.string().optional(),
  state_message: z.string().optional(),
  user_cancelled_or_timedout: z.boolean().optional(),
  queue_reason: z.string().optional(),
});

export const runStatusSchema = z.looseObject({
  state: z.string().optional(),
  termination_details: z
    .looseObject({ code: z.string().optional(), type: z.string().optional(), message: z.string().optional() })
    .optional(),
  queue_details: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});

const durations = {
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  setup_duration: z.number().optional(),
  execution_duration: z.number().optional(),
  cleanup_duration: z.number().optional(),
  run_duration: z.number().optional(),
  queue_duration: z.number().optional(),
};

export const runTaskSchema = z.looseObject({
  task_key: z.string(),
  run_id: z.number(),
  attempt_number: z.number().optional(),
  state: runStateSchema.optional(),
  status: runStatusSchema.optional(),
  run_page_url: z.string().optional(),
  depends_on: z.array(z.looseObject({ task_key: z.string() })).optional(),
  ...durations,
});

export const repairHistoryItemSchema = z.looseObject({
  id: z.number().optional(),
  type: z.string().optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  state: runStateSchema.optional(),
  status: runStatusSchema.optional(),
  task_run_ids: z.array(z.number()).optional(),
});

export const runSchema = z.looseObject({
  run_id: z.number(),
  job_id: z.number().optional(),
  run_name: z.string().optional(),
  run_type: z.string().optional(),
  run_page_url: z.string().optional(),
  attempt_number: z.number().optional(),
  original_attempt_run_id: z.number().optional(),
  state: runStateSchema.optional(),
  status: runStatusSchema.optional(),
  tasks: z.array(runTaskSchema).optional(),
  repair_history: z.array(repairHistoryItemSchema).optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
  ...durations,
});

export const runOutputSchema = z.looseObject({
  notebook_output: z
    .looseObject({ result: z.string().optional(), truncated: z.boolean().optional() })
    .optional(),
  logs: z.string().optional(),
  logs_truncated: z.boolean().optional(),
  error: z.string().optional(),
  error_trace: z.string().optional(),
  metadata: runSchema.optional(),
});

export const jobSchema = z.looseObject({
  job_id: z.number(),
  created_time: z.number().optional(),
  creator_user_name: z.string().optional(),
  settings: z.looseObject({ name: z.string().optional() }).optional(),
});

export const listJobsSchema = z.looseObject({
  jobs: z.array(jobSchema).optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
});

export const submitResponseSchema = z.looseObject({ run_id: z.number() });
export const repairResponseSchema = z.looseObject({ repair_id: z.number() });
export const emptyResponseSchema = z.looseObject({});

export type RunState = z.infer<typeof runStateSchema>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type RunTask = z.infer<typeof runTaskSchema>;
export type Run = z.infer<typeof runSchema>;
export type RunOutput = z.infer<typeof runOutputSchema>;
export type Job = z.infer<typeof jobSchema>;
