/**
 * The typed result of databricksRun: built from what the workflow knows of its run, with the task
 * outputs collected at the end (bounded in size), and the failure that carries it when the run failed.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import { toDatabricksId } from '../../shared/databricks-id.js';
import { classify, describeFailedTasks, type Classification } from '../../shared/run-classification.js';
import type { RunResult } from '../../shared/run-types.js';
import type { RunContext } from './context.js';

export function buildResult(ctx: RunContext, c: Classification, detached = false): RunResult {
  const { last, submission, status, fallbacks } = ctx;
  const tasks = last?.tasks ?? [];
  const failedTasks = describeFailedTasks(tasks);
  return {
    outcome: c.outcome,
    succeeded: c.succeeded,
    runId: toDatabricksId(submission?.runId) ?? '',
    // A one-time run's job id comes from runs/get, not from runs/submit's answer.
    jobId: toDatabricksId(submission?.jobId) ?? status.view.jobId,
    runPageUrl: last?.runPageUrl ?? status.view.runPageUrl,
    jobFingerprint: submission?.jobFingerprint ?? '',
    terminationType: c.terminationType,
    terminationCode: c.terminationCode,
    message: c.message,
    attempts: status.view.attempts,
    repairs: last?.repairCount ?? 0,
    tasks,
    ...(failedTasks.length > 0 ? { failedTasks } : {}),
    outputs: [],
    runDurationMs: last?.runDurationMs,
    waitMode: status.view.waitMode ?? 'poll',
    ...(detached ? { detached: true } : {}),
    ...(fallbacks.length > 0 ? { fallbacks } : {}),
    ...(status.view.caughtUp ? { caughtUp: status.view.caughtUp } : {}),
  };
}

/** The result with every task run's output (a for_each task's are its iterations'). */
export async function collectResult(ctx: RunContext, c: Classification): Promise<RunResult> {
  const { last } = ctx;
  ctx.show({ phase: 'collecting-outputs', outcome: c.outcome, runMs: healthyDuration(ctx, c) });
  const outputs = last
    ? await ctx.acts.collector
        .getRunOutputs({
          runId: last.runId,
          tasks: last.tasks.flatMap((t) =>
            t.iterations
              ? t.iterations.map((it, iteration) => ({ taskKey: t.taskKey, runId: it.runId, iteration }))
              : [{ taskKey: t.taskKey, runId: t.runId }],
          ),
        })
        .catch((err: unknown) => {
          log.warn('could not collect task outputs', { error: String(err) });
          return [];
        })
    : [];
  ctx.show({ phase: 'done' });
  const omitted = outputs.filter((o) => o.omitted).length;
  return {
    ...buildResult(ctx, c),
    outputs,
    ...(omitted > 0
      ? {
          outputsOmitted: `the output of ${omitted} task run(s) was left out to keep the result small; runs/get-output has it`,
        }
      : {}),
  };
}

/** The failure of a run that did not succeed: its first task error is what a person needs to act on. */
export function runFailed(result: RunResult): ApplicationFailure {
  const taskError = result.outputs.find((o) => o.error);
  return ApplicationFailure.create({
    type: 'DatabricksRunFailed',
    message:
      `Databricks run ${result.runId} ended ${result.outcome}` +
      (result.terminationCode ? ` (${result.terminationCode})` : '') +
      (result.message ? `: ${result.message}` : '') +
      (taskError ? ` — ${taskError.taskKey}: ${taskError.error!.split('\n')[0]!.slice(0, 300)}` : ''),
    nonRetryable: true,
    details: [result],
  });
}

/** The outcome of the run as last seen, for an ending that did not wait for it to end by itself. */
export function lastOutcome(ctx: RunContext): Classification['outcome'] {
  return ctx.last ? classify(ctx.last).outcome : 'UNKNOWN';
}

/**
 * The run's duration when it says how long this definition takes: a success at the first try, not
 * repaired (a repair's end_time includes the wait before it and the re-run). end − start, as the poll
 * measures a run's elapsed time (src/activities/run-durations.ts reads runs/list the same way).
 */
function healthyDuration(ctx: RunContext, c: Classification): number | undefined {
  const { last } = ctx;
  if (c.outcome !== 'SUCCESS' || !last || ctx.status.view.attempts.length > 1 || last.repairCount > 0)
    return undefined;
  if (last.startTime === undefined || last.endTime === undefined || last.endTime <= last.startTime)
    return undefined;
  return last.endTime - last.startTime;
}
