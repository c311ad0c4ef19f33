import { z } from 'zod';

/**
 * Databricks sends ids as strings in its documentation and as numbers in some integrations. A string
 * beyond 2^53 cannot become an exact number (and 10^19 is not even an int64 the search attribute query
 * accepts), so it is refused like the numbers beyond it rather than silently rounded.
 */
const id = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,19}$/)])
  .transform(Number)
  .refine(Number.isSafeInteger, 'expected an id below 2^53');

/**
 * A Databricks job notification (generic webhook destination). Task-level notifications carry the
 * job run as `run.parent_run_id`; that is the run a workflow waits on.
 */
export const notificationSchema = z.looseObject({
  event_type: z.string().regex(/^jobs\.[a-z_]+$/, 'expected a jobs.* event type'),
  workspace_id: z.union([z.string(), z.number()]).optional(),
  run: z.looseObject({ run_id: id, parent_run_id: id.optional() }),
  job: z.looseObject({ job_id: id.optional(), name: z.string().optional() }).optional(),
  task: z.looseObject({ task_key: z.string() }).optional(),
});

export type DatabricksNotification = z.infer<typeof notificationSchema>;

export function jobRunIdOf(notification: DatabricksNotification): number {
  return notification.run.parent_run_id ?? notification.run.run_id;
}
