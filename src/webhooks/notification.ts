import { z } from 'zod';
import { toDatabricksId, type DatabricksId } from '../shared/databricks-id.js';

/**
 * Databricks' documentation shows the ids of a notification as strings
 * (learn.microsoft.com/azure/databricks/jobs/notifications: `"run": {"run_id": "run_id"}`), some
 * integrations show numbers; either way they are int64. The receiver parses the body losslessly
 * (src/databricks/json.ts), so a number above 2^53 arrives as a bigint and stays exact like a string.
 */
const id = z
  .union([z.number(), z.bigint(), z.string().regex(/^\d+$/, 'expected digits only')])
  .transform((value, ctx) => {
    const exact = toDatabricksId(value);
    if (exact === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected an int64 id (a whole number from 0 to 2^63 - 1)' });
      return z.NEVER;
    }
    return exact;
  });

/**
 * A Databricks job notification (generic webhook destination). Task-level notifications carry the
 * job run as `run.parent_run_id`; that is the run a workflow waits on.
 */
export const notificationSchema = z.looseObject({
  event_type: z.string().regex(/^jobs\.[a-z_]+$/, 'expected a jobs.* event type'),
  workspace_id: z.union([z.string(), z.number(), z.bigint()]).nullish(),
  run: z.looseObject({ run_id: id, parent_run_id: id.nullish() }),
  job: z.looseObject({ job_id: id.nullish(), name: z.string().nullish() }).nullish(),
  task: z.looseObject({ task_key: z.string().nullish() }).nullish(),
});

export type DatabricksNotification = z.infer<typeof notificationSchema>;

export function jobRunIdOf(notification: DatabricksNotification): DatabricksId {
  return notification.run.parent_run_id ?? notification.run.run_id;
}
