/**
 * A pipeline definition (pipelines/*.json): train → evaluate → gate → (approve) → register → score.
 * Validated by the same schema at the client and in the workflow. Train and score are databricksRun
 * inputs, so anything a single run accepts (job id, job name, one-time submit, retry, wait) works here.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { describeProblems } from './problems.js';
import { runInputSchema } from './run-input.js';

export const evaluateSchema = z
  .object({
    /** The metric that decides, e.g. "auc". */
    metric: z.string().min(1).max(250),
    /** Where the candidate's metrics come from: its MLflow run, or the train task's output JSON. */
    source: z.enum(['mlflow', 'output']).default('mlflow'),
    direction: z.enum(['higher', 'lower']).default('higher'),
    /** The candidate must reach this value (>= for higher, <= for lower). */
    threshold: z.number().finite().optional(),
    /** The candidate must also beat the model currently holding the alias. */
    mustBeatChampion: z.boolean().default(false),
    /** The train task whose output carries {mlflow_run_id, metrics}; defaults to the one that has output. */
    taskKey: z.string().min(1).optional(),
    /**
     * Gate a train run that ended SUCCESS_WITH_FAILURES (some tasks failed, its leaves succeeded) on its
     * metric like a clean one. Off by default: a model trained while part of its job failed is not
     * promoted unless the pipeline says so.
     */
    acceptPartialSuccess: z.boolean().default(false),
  })
  .strict();

export const approvalSchema = z
  .object({
    timeout: durationSchema.default(86_400_000),
    /** What happens when nobody decides before the timeout. */
    onTimeout: z.enum(['approve', 'reject']).default('reject'),
  })
  .strict();

export const registerSchema = z
  .object({
    model: z.string().regex(/^[\w.-]{1,256}$/, 'expected a model name of letters, digits, ".", "_" or "-"'),
    alias: z
      .string()
      .regex(/^[A-Za-z][\w-]{0,255}$/, 'expected an alias such as "champion"')
      .default('champion'),
    /** The artifact directory of the train run that holds the model. */
    artifactPath: z.string().min(1).default('model'),
  })
  .strict();

export const pipelineSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,99}$/, 'expected 1-100 letters, digits, ".", "_" or "-"'),
    description: z.string().max(2000).optional(),
    train: runInputSchema,
    evaluate: evaluateSchema,
    approval: approvalSchema.optional(),
    register: registerSchema,
    score: runInputSchema.optional(),
  })
  .strict();

/** The input of the mlPipeline workflow: train, evaluate, approve, register, score. */
export type PipelineDefinition = z.input<typeof pipelineSchema>;
/** A PipelineDefinition after validation, with every default filled in. */
export type ValidPipeline = z.output<typeof pipelineSchema>;

/** What {@link parsePipeline} returns: the valid definition, or one problem per field. */
export type PipelineParse = { ok: true; value: ValidPipeline } | { ok: false; problems: string[] };

/**
 * Validates a pipeline definition with the schema mlPipeline itself runs; each problem starts with the
 * field's path.
 */
export function parsePipeline(raw: unknown): PipelineParse {
  const result = pipelineSchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: describeProblems(result.error, 'pipeline') };
}

/**
 * Whether a train run's end lets its candidate be gated at all: SUCCESS_WITH_FAILURES only when the
 * pipeline accepts partial success, and then the reason says which tasks failed.
 */
export function partialSuccessRefusal(
  evaluate: ValidPipeline['evaluate'],
  train: { outcome: string; failedTasks?: string[] },
): string | undefined {
  if (train.outcome !== 'SUCCESS_WITH_FAILURES' || evaluate.acceptPartialSuccess) return undefined;
  const failed = train.failedTasks?.length ? ` (${train.failedTasks.join(', ')})` : '';
  return (
    `the train run ended SUCCESS_WITH_FAILURES${failed}; a partly failed run is not promoted ` +
    'unless evaluate.acceptPartialSuccess is true'
  );
}

/** Does `candidate` pass the threshold, and beat `champion` when there is one to beat? */
export function judge(
  evaluate: ValidPipeline['evaluate'],
  candidate: number,
  champion: number | undefined,
): { passed: boolean; reason: string } {
  const better = (a: number, b: number) => (evaluate.direction === 'higher' ? a > b : a < b);
  const reaches = (a: number, b: number) => (evaluate.direction === 'higher' ? a >= b : a <= b);
  const name = evaluate.metric;
  if (evaluate.threshold !== undefined && !reaches(candidate, evaluate.threshold)) {
    return {
      passed: false,
      reason: `${name} ${fmt(candidate)} does not reach the threshold ${fmt(evaluate.threshold)}`,
    };
  }
  if (evaluate.mustBeatChampion && champion !== undefined && !better(candidate, champion)) {
    return {
      passed: false,
      reason: `${name} ${fmt(candidate)} does not beat the champion's ${fmt(champion)}`,
    };
  }
  const parts = [`${name} ${fmt(candidate)}`];
  if (evaluate.threshold !== undefined) parts.push(`reaches ${fmt(evaluate.threshold)}`);
  if (evaluate.mustBeatChampion)
    parts.push(champion === undefined ? 'no champion yet' : `beats the champion's ${fmt(champion)}`);
  return { passed: true, reason: parts.join(', ') };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4);
}
