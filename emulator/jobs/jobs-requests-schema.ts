/** Request bodies and query strings of the Jobs API (reference §1.1), as zod schemas. */
import { z } from 'zod';
import { flag, int64 } from '../http/validation.js';
import {
  jobSettingsSchema,
  notificationSettingsSchema,
  taskSchema,
  webhookNotificationsSchema,
} from './job-settings-schema.js';
import { MAX_TASKS } from './job-settings-schema.js';

/** "The token is at most 64 characters" (reference §1.2). */
export const idempotencyTokenSchema = z.string().max(64, 'must be at most 64 characters');

const stringMap = z.record(z.string(), z.string());

export const jobIdBody = z.looseObject({ job_id: int64 });

export const resetJobBody = z.looseObject({ job_id: int64, new_settings: jobSettingsSchema });

export const updateJobBody = z.looseObject({
  job_id: int64,
  new_settings: jobSettingsSchema.optional(),
  fields_to_remove: z.array(z.string()).optional(),
});

export const getJobQuery = z.looseObject({ job_id: int64, page_token: z.string().optional() });

export const listJobsQuery = z.looseObject({
  limit: int64.pipe(z.number().min(0).max(100)).optional(),
  offset: int64.pipe(z.number().min(0)).optional(),
  page_token: z.string().optional(),
  name: z.string().optional(),
  expand_tasks: flag.optional(),
});

export const runNowBody = z.looseObject({
  job_id: int64,
  idempotency_token: idempotencyTokenSchema.optional(),
  job_parameters: stringMap.optional(),
  notebook_params: stringMap.optional(),
  python_params: z.array(z.string()).optional(),
  python_named_params: stringMap.optional(),
  jar_params: z.array(z.string()).optional(),
  spark_submit_params: z.array(z.string()).optional(),
  sql_params: stringMap.optional(),
  only: z.array(z.string()).optional(),
});
export type RunNowBody = z.infer<typeof runNowBody>;

export const submitRunBody = z.looseObject({
  run_name: z.string().optional(),
  tasks: z.array(taskSchema).min(1, 'at least one task is required').max(MAX_TASKS),
  idempotency_token: idempotencyTokenSchema.optional(),
  timeout_seconds: z.number().int().min(0).optional(),
  webhook_notifications: webhookNotificationsSchema.optional(),
  notification_settings: notificationSettingsSchema.optional(),
});
export type SubmitRunBody = z.infer<typeof submitRunBody>;

export const runIdBody = z.looseObject({ run_id: int64 });

export const getRunQuery = z.looseObject({
  run_id: int64,
  include_history: flag.optional(),
  include_resolved_values: flag.optional(),
  page_token: z.string().optional(),
});

/** GET jobs/runs/export: "Which views to export (CODE, DASHBOARDS, or ALL). Defaults to CODE." */
export const VIEWS_TO_EXPORT = ['CODE', 'DASHBOARDS', 'ALL'] as const;
export const exportRunQuery = z.looseObject({
  run_id: int64,
  views_to_export: z.enum(VIEWS_TO_EXPORT).optional(),
});

export const cancelAllBody = z.looseObject({
  job_id: int64.optional(),
  all_queued_runs: z.boolean().optional(),
});

export const repairRunBody = z.looseObject({
  run_id: int64,
  rerun_tasks: z.array(z.string()).optional(),
  rerun_all_failed_tasks: z.boolean().optional(),
  rerun_dependent_tasks: z.boolean().optional(),
  latest_repair_id: int64.optional(),
  job_parameters: stringMap.optional(),
  python_params: z.array(z.string()).optional(),
});
export type RepairRunBody = z.infer<typeof repairRunBody>;

export const RUN_TYPES = ['JOB_RUN', 'WORKFLOW_RUN', 'SUBMIT_RUN'] as const;

export const listRunsQuery = z.looseObject({
  job_id: int64.optional(),
  active_only: flag.optional(),
  completed_only: flag.optional(),
  // "less than 25"; 0 means the maximum (reference §1.1).
  limit: int64.pipe(z.number().min(0).max(25)).optional(),
  offset: int64.pipe(z.number().min(0)).optional(),
  page_token: z.string().optional(),
  run_type: z.enum(RUN_TYPES).optional(),
  expand_tasks: flag.optional(),
  start_time_from: int64.optional(),
  start_time_to: int64.optional(),
});
