/**
 * Dynamic value references in task parameters ("{{job.run_id}}", "{{job.parameters.date}}" …), resolved
 * when a task starts, as Databricks does. Unknown references are left as they are.
 */
/** Ids as the task's clients know them: decimal text, exact beyond 2^53 (`int64-ids` dialect). */
export interface DynamicValueContext {
  jobId: number | string;
  jobRunId: number | string;
  taskRunId: number | string;
  taskKey: string;
  jobName: string;
  jobParameters: Record<string, string>;
}

export function resolveDynamicValues(value: string, ctx: DynamicValueContext): string {
  return value.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, reference: string) => {
    if (reference.startsWith('job.parameters.')) {
      return ctx.jobParameters[reference.slice('job.parameters.'.length)] ?? whole;
    }
    switch (reference) {
      case 'job.id':
      case 'job_id':
        return String(ctx.jobId);
      case 'job.run_id':
      case 'parent_run_id':
        return String(ctx.jobRunId);
      case 'task.run_id':
      case 'run_id':
        return String(ctx.taskRunId);
      case 'task.name':
      case 'task_key':
        return ctx.taskKey;
      case 'job.name':
        return ctx.jobName;
      default:
        return whole;
    }
  });
}
