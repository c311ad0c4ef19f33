/**
 * The parts of Databricks job and task settings the emulator understands. Objects are "loose": fields
 * we do not model (clusters, libraries, environments, git_source …) are kept verbatim and returned by
 * jobs/get exactly as sent, the way a real workspace stores them.
 */
import { z } from 'zod';
import { RUN_IF_VALUES } from '../runs/run-conditions.js';

const nonNegativeInt = z.number().int().min(0);

const destinationRef = z.looseObject({ id: z.string() });
/** "each a list of [{id}] with at most 3 per event" (reference §4). */
const destinationList = z.array(destinationRef).max(3, 'at most 3 notification destinations per event');

export const webhookNotificationsSchema = z.looseObject({
  on_start: destinationList.optional(),
  on_success: destinationList.optional(),
  on_failure: destinationList.optional(),
  on_duration_warning_threshold_exceeded: destinationList.optional(),
  on_streaming_backlog_exceeded: destinationList.optional(),
});
export type WebhookNotifications = z.infer<typeof webhookNotificationsSchema>;

export const notificationSettingsSchema = z.looseObject({
  no_alert_for_skipped_runs: z.boolean().optional(),
  no_alert_for_canceled_runs: z.boolean().optional(),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;

/** The fields every task has, the nested task of a for_each task included. */
const taskFields = {
  task_key: z
    .string()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[\w-]+$/, 'may contain only letters, digits, "-" and "_"'),
  description: z.string().optional(),
  depends_on: z.array(z.looseObject({ task_key: z.string(), outcome: z.string().optional() })).optional(),
  run_if: z.enum(RUN_IF_VALUES).optional(),
  timeout_seconds: nonNegativeInt.optional(),
  max_retries: z.number().int().optional(),
  /**
   * "An optional flag to disable the task. If set to true, the task will not run even if it is part
   * of a job" (databricks-sdk-py `service/jobs.py` Task.disabled); docs.databricks.com/jobs/disabled-tasks.
   */
  disabled: z.boolean().optional(),
  notebook_task: z
    .looseObject({
      notebook_path: z.string(),
      base_parameters: z.record(z.string(), z.string()).optional(),
      source: z.string().optional(),
    })
    .optional(),
  spark_python_task: z
    .looseObject({
      python_file: z.string(),
      parameters: z.array(z.string()).optional(),
      source: z.string().optional(),
    })
    .optional(),
  python_wheel_task: z
    .looseObject({
      package_name: z.string(),
      entry_point: z.string(),
      parameters: z.array(z.string()).optional(),
      named_parameters: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  webhook_notifications: webhookNotificationsSchema.optional(),
  notification_settings: notificationSettingsSchema.optional(),
};

/**
 * "You cannot add another For each task as the nested task" (docs.databricks.com/jobs/for-each.html).
 * The refusal's wording is ours [U].
 */
export const nestedTaskSchema = z.looseObject(taskFields).refine((task) => !('for_each_task' in task), {
  message: 'a For each task cannot be the nested task of another For each task',
});

/**
 * `inputs` is "a JSON string or a reference to an array parameter"; `concurrency` is "an optional
 * maximum allowed number of concurrent runs of the task" whose default is 1 (databricks-sdk-py
 * ForEachTask; docs.databricks.com/jobs/for-each.html: "The default value is 1"). A literal array is
 * "limited to 10,000 characters" (docs.databricks.com/jobs/for-each-lookup-example).
 */
export const FOR_EACH_INPUTS_MAX_CHARS = 10_000;
export const forEachTaskSchema = z.looseObject({
  inputs: z
    .string()
    .max(FOR_EACH_INPUTS_MAX_CHARS, `must be at most ${FOR_EACH_INPUTS_MAX_CHARS} characters`),
  concurrency: z.number().int().min(1, 'must be at least 1').optional(),
  task: nestedTaskSchema,
});
export type ForEachTaskSettings = z.infer<typeof forEachTaskSchema>;

export const taskSchema = z.looseObject({
  ...taskFields,
  for_each_task: forEachTaskSchema.optional(),
});
export type TaskSettings = z.infer<typeof taskSchema>;

/**
 * "The name of the defined parameter. May only contain alphanumeric characters, `_`, `-`, and `.`"
 * (databricks-sdk-py JobParameterDefinition; docs.databricks.com/jobs/job-parameters.html). `default`
 * is required.
 */
export const jobParameterDefinitionSchema = z.looseObject({
  name: z.string().regex(/^[\w.-]+$/, 'may contain only letters, digits, "_", "-" and "."'),
  default: z.string(),
});

/** Databricks allows at most 1000 tasks per job. */
export const MAX_TASKS = 1000;

export const jobSettingsSchema = z.looseObject({
  name: z.string().optional(),
  tasks: z.array(taskSchema).max(MAX_TASKS, `at most ${MAX_TASKS} tasks`).optional(),
  parameters: z.array(jobParameterDefinitionSchema).optional(),
  max_concurrent_runs: z.number().int().min(0).max(1000).optional(),
  timeout_seconds: nonNegativeInt.optional(),
  queue: z.looseObject({ enabled: z.boolean() }).optional(),
  webhook_notifications: webhookNotificationsSchema.optional(),
  notification_settings: notificationSettingsSchema.optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type JobSettings = z.infer<typeof jobSettingsSchema>;
