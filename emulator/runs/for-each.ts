/**
 * The bookkeeping of a for_each task run, as pure functions the run engine drives
 * (docs.databricks.com/jobs/for-each.html; databricks-sdk-py `service/jobs.py` ForEachTask,
 * RunForEachTask, ForEachStats, ForEachTaskTaskRunStats, ForEachTaskErrorMessageStats):
 *  - the inputs are resolved (dynamic references such as `{{job.parameters.list}}`) and parsed when
 *    the task starts; each element becomes one iteration running the nested task;
 *  - at most `concurrency` iterations (default 1) are active at once; the next one is scheduled when a
 *    slot frees, so iterations are created in input order;
 *  - the task ends when every iteration has ended. It succeeds when all did; otherwise it fails, and
 *    iterations keep being scheduled after a failure so that `completed_iterations` =
 *    `succeeded_iterations` + `failed_iterations` covers every input [U: the docs do not say whether a
 *    failed iteration stops the loop, nor what the task's message is].
 */
import type { DynamicValueContext } from '../tasks/dynamic-values.js';
import { resolveDynamicValues } from '../tasks/dynamic-values.js';
import { parseForEachInputs } from '../tasks/for-each-inputs.js';
import type { TaskSettings } from '../jobs/job-settings-schema.js';
import type { ForEachState, Outcome, RunRecord, TaskOutput, TaskRun } from './run-model.js';
import { isTerminal } from './run-model.js';
import { isFailure, outcome } from './termination.js';

/** "The default value is 1" (docs.databricks.com/jobs/for-each.html, step "Concurrency"). */
export const DEFAULT_FOR_EACH_CONCURRENCY = 1;

export type LoopStart = { state: ForEachState } | { error: string };

/** Resolve and parse the inputs of a for_each task that is starting. */
export function startLoop(spec: TaskSettings, ctx: DynamicValueContext): LoopStart {
  const forEach = spec.for_each_task!;
  const parsed = parseForEachInputs(resolveDynamicValues(forEach.inputs, ctx));
  if ('error' in parsed) return parsed;
  return {
    state: {
      items: parsed.items,
      concurrency: forEach.concurrency ?? DEFAULT_FOR_EACH_CONCURRENCY,
      iterations: [],
    },
  };
}

/** How many iterations may be scheduled now. */
export function freeSlots(state: ForEachState): number {
  const active = state.iterations.filter((it) => !isTerminal(it.phase)).length;
  const remaining = state.items.length - state.iterations.length;
  return Math.max(0, Math.min(state.concurrency - active, remaining));
}

export function loopDone(state: ForEachState): boolean {
  return (
    state.iterations.length === state.items.length && state.iterations.every((it) => isTerminal(it.phase))
  );
}

function iterationFailed(it: TaskRun): boolean {
  return isFailure(it.outcome?.result) || it.phase === 'INTERNAL_ERROR';
}

/** The outcome of a loop whose iterations have all ended, and what get-output shows for it. */
export function loopOutcome(state: ForEachState): { outcome: Outcome; output: TaskOutput } {
  const failed = state.iterations.filter(iterationFailed);
  if (failed.length === 0) return { outcome: outcome('SUCCESS', ''), output: {} };
  const message = `${failed.length} of ${state.items.length} iterations failed.`;
  const first = failed[0]!.outcome;
  return {
    outcome: outcome('FAILED', message, {
      ...(first && first.code !== 'SKIPPED' ? { code: first.code, type: first.type } : {}),
    }),
    output: { error: message },
  };
}

/** ForEachStats of a started loop: counts over the latest iterations, and the 3 commonest errors. */
export function loopStats(state: ForEachState): Record<string, unknown> {
  const its = state.iterations;
  const terminal = its.filter((it) => isTerminal(it.phase));
  const failed = terminal.filter(iterationFailed);
  const errors = new Map<string, { count: number; category: string }>();
  for (const it of failed) {
    const message = it.output?.error ?? it.outcome?.stateMessage ?? '';
    const entry = errors.get(message) ?? { count: 0, category: it.outcome?.code ?? 'RUN_EXECUTION_ERROR' };
    entry.count++;
    errors.set(message, entry);
  }
  // "Sample of 3 most common error messages occurred during the iteration."
  const common = [...errors]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, 3)
    .map(([message, entry]) => ({
      count: entry.count,
      error_message: message,
      // termination_category: "Describes the termination reason for the error message" — we use the
      // iteration's termination code [U].
      termination_category: entry.category,
    }));
  return {
    task_run_stats: {
      total_iterations: state.items.length,
      scheduled_iterations: its.length,
      active_iterations: its.length - terminal.length,
      completed_iterations: terminal.length,
      succeeded_iterations: terminal.filter((it) => it.outcome?.result === 'SUCCESS').length,
      failed_iterations: failed.length,
    },
    ...(common.length > 0 ? { error_message_stats: common } : {}),
  };
}

/** The for_each task run an iteration belongs to, if it is still part of the run. */
export function loopOf(run: RunRecord, iteration: TaskRun): TaskRun | undefined {
  const parentId = iteration.iteration?.parentTaskRunId;
  if (parentId === undefined) return undefined;
  return [...run.tasks, ...run.previousAttempts].find((t) => t.runId === parentId);
}

/** Every task run of a run: current and replaced attempts, and the iterations of their loops. */
export function allTaskRuns(run: RunRecord): TaskRun[] {
  const result: TaskRun[] = [];
  for (const task of [...run.tasks, ...run.previousAttempts]) {
    result.push(task);
    if (task.forEach) result.push(...task.forEach.iterations);
  }
  return result;
}
