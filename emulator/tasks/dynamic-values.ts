/**
 * Dynamic value references in task parameters ("{{job.run_id}}", "{{job.parameters.date}}",
 * "{{input}}" …), resolved when a task starts, as Databricks does (docs.databricks.com/jobs/
 * dynamic-value-references.html). "Syntax errors, including non-existent dynamic reference values …
 * are treated as literal strings", so unknown references are left as they are.
 *
 * Job parameter values may themselves be dynamic references (the docs' example defaults a parameter
 * to "{{job.id}}"); a `{{job.parameters.x}}` reference therefore resolves x's value once more, without
 * job parameters, so two parameters cannot refer to each other forever.
 */
import { inputField, inputText } from './for-each-inputs.js';

/** Ids as the task's clients know them: decimal text, exact beyond 2^53 (`int64-ids` dialect). */
export interface DynamicValueContext {
  jobId: number | string;
  jobRunId: number | string;
  taskRunId: number | string;
  taskKey: string;
  jobName: string;
  jobParameters: Record<string, string>;
  /** The element of a for_each iteration; `{{input}}` is left alone outside iterations. */
  iteration?: { input: unknown };
}

export function resolveDynamicValues(value: string, ctx: DynamicValueContext): string {
  return value.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, reference: string) => {
    if (reference.startsWith('job.parameters.')) {
      const parameter = ctx.jobParameters[reference.slice('job.parameters.'.length)];
      return parameter === undefined ? whole : resolveDynamicValues(parameter, { ...ctx, jobParameters: {} });
    }
    if (ctx.iteration && reference === 'input') return inputText(ctx.iteration.input);
    if (ctx.iteration && reference.startsWith('input.')) {
      return inputField(ctx.iteration.input, reference.slice('input.'.length)) ?? whole;
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
