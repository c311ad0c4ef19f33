/**
 * How a parent run's outcome follows from its tasks (docs: "the overall run status is determined by
 * the outcome of the leaf tasks"):
 *  - a user's cancel or a run-level timeout decides first (CANCELED / TIMEDOUT);
 *  - all leaf tasks successful (or excluded, or disabled): SUCCESS, or SUCCESS_WITH_FAILURES if any
 *    task failed — RunResultState: "SUCCESS_WITH_FAILURES: The job run completed successfully with some
 *    failures; leaf tasks were successful" (databricks-sdk-py `service/jobs.py`). A disabled task "is
 *    skipped at run time" (docs.databricks.com/jobs/disabled-tasks), so it does not fail a run [U];
 *  - otherwise FAILED, or TIMEDOUT when every failure was a timeout; the termination code and message
 *    come from the first failed task, as "Task <key> failed with message: ...".
 * A task that ended in INTERNAL_ERROR makes the parent INTERNAL_ERROR; if every task was SKIPPED the
 * parent is SKIPPED; `failedLifeCycle` lets a failed run report INTERNAL_ERROR like serverless does.
 */
import type { Outcome, RunRecord, TaskRun } from './run-model.js';
import { isFailure, isSuccess, outcome } from './termination.js';

export function leafTasks(tasks: readonly TaskRun[]): TaskRun[] {
  const upstream = new Set<string>();
  for (const task of tasks) for (const dep of task.spec.depends_on ?? []) upstream.add(dep.task_key);
  return tasks.filter((task) => !upstream.has(task.taskKey));
}

export function rollUp(run: RunRecord, failedLifeCycle: 'TERMINATED' | 'INTERNAL_ERROR'): Outcome {
  const tasks = run.tasks;
  if (run.stopping === 'user') return outcome('CANCELED', 'Run cancelled.', { code: 'USER_CANCELED' });
  if (run.stopping === 'timeout') {
    return outcome('TIMEDOUT', `Run timed out after ${run.timeoutSeconds} seconds.`, {
      code: 'CANCELED',
      type: 'CLIENT_ERROR',
    });
  }
  // Only a root task can be SKIPPED by itself (a scenario rule); run_if then skips everything below it.
  if (tasks.length > 0 && tasks.every((t) => t.phase === 'SKIPPED')) {
    const first = tasks[0]!.outcome!;
    return { ...first, lifeCycle: 'SKIPPED' };
  }
  const internal = tasks.find((t) => t.phase === 'INTERNAL_ERROR');
  if (internal) {
    return outcome(
      'FAILED',
      `Task ${internal.taskKey} failed with message: ${internal.outcome?.stateMessage}.`,
      {
        lifeCycle: 'INTERNAL_ERROR',
        code: internal.outcome?.code ?? 'INTERNAL_ERROR',
        type: internal.outcome?.type ?? 'INTERNAL_ERROR',
      },
    );
  }
  const leavesSucceeded = leafTasks(tasks).every(
    (t) =>
      isSuccess(t.outcome?.result) || t.outcome?.result === 'EXCLUDED' || t.outcome?.result === 'DISABLED',
  );
  const failures = tasks.filter((t) => isFailure(t.outcome?.result) && t.outcome?.code !== 'SKIPPED');
  const anyFailure = failures.length > 0 || tasks.some((t) => isFailure(t.outcome?.result));
  if (leavesSucceeded) {
    return anyFailure
      ? outcome('SUCCESS_WITH_FAILURES', '', { code: 'SUCCESS_WITH_FAILURES' })
      : outcome('SUCCESS', '', { code: 'SUCCESS' });
  }
  const first = failures[0] ?? tasks.find((t) => isFailure(t.outcome?.result));
  const message = first ? `Task ${first.taskKey} failed with message: ${first.outcome?.stateMessage}.` : '';
  const result =
    failures.length > 0 && failures.every((t) => t.outcome?.result === 'TIMEDOUT') ? 'TIMEDOUT' : 'FAILED';
  return outcome(result, message, {
    lifeCycle: failedLifeCycle,
    code: first?.outcome?.code ?? 'RUN_EXECUTION_ERROR',
    type: first?.outcome?.type ?? 'CLIENT_ERROR',
  });
}
