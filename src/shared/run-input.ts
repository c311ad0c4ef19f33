/**
 * The input of the `databricksRun` workflow, validated by the same schema at the client (before
 * anything starts) and in the workflow (for inputs sent straight to Temporal). Errors name the field.
 * Deterministic and I/O-free: it is bundled into the workflow sandbox.
 */
import { z } from 'zod';
import { toDatabricksId } from './databricks-id.js';
import { durationSchema } from './duration.js';
import { describeProblems } from './problems.js';

const TERMINATION_TYPES = ['SUCCESS', 'CLIENT_ERROR', 'INTERNAL_ERROR', 'CLOUD_FAILURE'] as const;

const taskSchema = z
  .looseObject({
    task_key: z.string().regex(/^[\w-]{1,100}$/, 'expected 1-100 letters, digits, "_" or "-"'),
    depends_on: z.array(z.looseObject({ task_key: z.string() })).optional(),
    timeout_seconds: z.number().int().min(0).optional(),
  })
  .refine((task) => Object.keys(task).some((k) => k.endsWith('_task')), {
    message: 'expected a task type such as notebook_task, spark_python_task or python_wheel_task',
  });

/** A one-time run (`runs/submit`): Databricks' own fields, so a spec that works there works here. */
export const submitSpecSchema = z.looseObject({
  run_name: z.string().min(1).max(4096).optional(),
  tasks: z
    .array(taskSchema)
    .min(1, 'expected at least one task')
    .superRefine((tasks, ctx) => {
      // Databricks refuses a run whose task keys repeat; say which one before anything is sent.
      const seen = new Set<string>();
      tasks.forEach((task, index) => {
        if (seen.has(task.task_key)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'task_key'],
            message: `duplicate task key "${task.task_key}"`,
          });
        }
        seen.add(task.task_key);
      });
    }),
  timeout_seconds: z.number().int().min(0).optional(),
});

export const waitSchema = z
  .object({
    /** auto: webhook when the worker has a receiver and the run will notify it, otherwise poll. */
    mode: z.enum(['auto', 'webhook', 'poll', 'heartbeat']).default('auto'),
    /** poll: the first interval between runs/get calls; it grows up to maxPollInterval. */
    pollInterval: durationSchema.default(5_000),
    maxPollInterval: durationSchema.default(60_000),
    /** webhook: how often to look anyway, in case a notification is lost. */
    safetyNetInterval: durationSchema.default(300_000),
    /** heartbeat: runs/get interval inside the one long activity. */
    heartbeatPollInterval: durationSchema.default(2_000),
  })
  .strict();

export const retryPolicySchema = z
  .object({
    /** Databricks runs in total, including the first (1 = no retry). */
    maxAttempts: z.number().int().min(1).max(20).default(1),
    /** Retry a run whose termination type is one of these (platform failures by default). */
    terminationTypes: z.array(z.enum(TERMINATION_TYPES)).default(['CLOUD_FAILURE', 'INTERNAL_ERROR']),
    /** …or whose termination code is one of these (e.g. DRIVER_ERROR). */
    terminationCodes: z
      .array(z.string().regex(/^[A-Z_]+$/, 'expected a termination code such as DRIVER_ERROR'))
      .default([]),
    /** repair: re-run only the failed tasks of a multi-task run; resubmit: start a new run. */
    strategy: z.enum(['repair', 'resubmit']).default('repair'),
  })
  .strict();

/**
 * A job id as a decimal string (exact for every int64) or a number (exact only up to 2^53: a larger
 * one has been rounded before it got here, so it is refused, not guessed).
 */
const jobIdSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const id = toDatabricksId(value);
  if (id === undefined || id === '0') {
    ctx.addIssue({
      code: 'custom',
      message:
        typeof value === 'number' && Number.isInteger(value) && value > 0
          ? 'a number above 2^53 may have been rounded; pass the job id as a decimal string'
          : 'expected a Databricks job id: a whole number from 1 to 2^63 - 1 (a decimal string keeps it exact)',
    });
    return z.NEVER;
  }
  return id;
});

export const runInputSchema = z
  .object({
    jobId: jobIdSchema.optional(),
    jobName: z.string().min(1).max(4096).optional(),
    submit: submitSpecSchema.optional(),
    jobParameters: z
      .record(z.string().regex(/^[\w.-]{1,255}$/, 'expected a parameter name'), z.string())
      .optional(),
    wait: waitSchema.default(waitSchema.parse({})),
    /** Overall deadline: when it passes, the Databricks run is cancelled and the workflow fails TIMEDOUT. */
    timeout: durationSchema.optional(),
    retry: retryPolicySchema.default(retryPolicySchema.parse({})),
    onCancel: z.enum(['cancel', 'detach']).default('cancel'),
    /** Free-form label shown in the Temporal UI summary. */
    label: z.string().max(200).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const selectors = (['jobId', 'jobName', 'submit'] as const).filter((k) => input[k] !== undefined);
    if (selectors.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [selectors[1] ?? 'jobId'],
        message:
          selectors.length === 0
            ? 'expected exactly one of jobId, jobName or submit (none given)'
            : `expected exactly one of jobId, jobName or submit (got ${selectors.join(' and ')})`,
      });
    }
    if (input.submit && input.jobParameters) {
      ctx.addIssue({
        code: 'custom',
        path: ['jobParameters'],
        message: 'jobParameters apply to jobId/jobName runs, not to submit',
      });
    }
  });

/** A one-time run specification (runs/submit), in Databricks' own field names. */
export type SubmitSpec = z.output<typeof submitSpecSchema>;
/**
 * The input of the databricksRun workflow: one of `jobId`, `jobName` or `submit`, and how to wait, retry,
 * time out and cancel.
 */
export type RunInput = z.input<typeof runInputSchema>;
/** A RunInput after validation, with every default filled in. */
export type ValidRunInput = z.output<typeof runInputSchema>;

/** What {@link parseRunInput} returns: the valid input, or one problem per field. */
export type ParseResult = { ok: true; value: ValidRunInput } | { ok: false; problems: string[] };

/** Validates a databricksRun input; each problem starts with the field's path ("wait.mode: …"). */
export function parseRunInput(raw: unknown): ParseResult {
  const result = runInputSchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: describeProblems(result.error, 'input') };
}
