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

export const taskSchema = z.looseObject({
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
});
export type TaskSettings = z.infer<typeof taskSchema>;

export const jobParameterDefinitionSchema = z.looseObject({ name: z.string(), default: z.string() });

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
