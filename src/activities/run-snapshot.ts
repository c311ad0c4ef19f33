import type { Run, RunTask } from '../databricks/jobs-schemas.js';
import { runPageLink } from '../shared/run-page-url.js';
import { classifyRun, isTerminalState } from '../shared/run-classification.js';
import type { RunSnapshot, TaskSnapshot } from '../shared/run-types.js';

/**
 * The parts of a Databricks Run object Lakeloop decides on (small enough for workflow history), with
 * the activity's reading of it: terminal or not, and if so how it ended. `iterationsByTask` holds the
 * iterations of for_each tasks, read with a runs/get of the for_each task's run.
 */
export function toSnapshot(
  run: Run & { run_id: string },
  iterationsByTask: ReadonlyMap<string, RunTask[]> = new Map(),
): RunSnapshot {
  const repairs = (run.repair_history ?? []).filter((r) => r.type === 'REPAIR');
  const latestRepair = repairs.at(-1);
  const snapshot: RunSnapshot = {
    runId: run.run_id,
    jobId: run.job_id,
    // The path form, which opens for every user allowed to see the run (see run-page-url.ts).
    runPageUrl: runPageLink(run.run_page_url),
    lifeCycleState: run.state?.life_cycle_state,
    resultState: run.state?.result_state,
    stateMessage: run.state?.state_message || undefined,
    statusState: run.status?.state,
    terminationType: run.status?.termination_details?.type,
    terminationCode: run.status?.termination_details?.code,
    terminationMessage: run.status?.termination_details?.message || undefined,
    startTime: run.start_time || undefined,
    endTime: run.end_time || undefined,
    runDurationMs: run.run_duration || undefined,
    tasks: (run.tasks ?? []).flatMap((task, index) => {
      const snapshot = toTaskSnapshot(task, `task ${index + 1}`);
      if (!snapshot) return [];
      const iterations = task.run_id !== undefined ? iterationsByTask.get(task.run_id) : undefined;
      const stats = task.for_each_task?.stats?.task_run_stats;
      return [
        {
          ...snapshot,
          ...(iterations
            ? {
                iterations: iterations.flatMap(
                  (it, i) => toTaskSnapshot(it, `${snapshot.taskKey}[${i}]`) ?? [],
                ),
              }
            : {}),
          ...(stats
            ? {
                iterationStats: {
                  total: stats.total_iterations,
                  succeeded: stats.succeeded_iterations,
                  failed: stats.failed_iterations,
                },
              }
            : {}),
        },
      ];
    }),
    repairCount: repairs.length,
    latestRepairId: latestRepair?.id,
  };
  snapshot.terminal = isTerminalState(snapshot);
  if (snapshot.terminal) snapshot.verdict = classifyRun(snapshot);
  return snapshot;
}

/**
 * A task run without a run id cannot be followed (no output, no repair); the SDK models make both
 * fields optional, so such an entry is skipped rather than failing the whole run. A missing key is
 * named by position.
 */
function toTaskSnapshot(task: RunTask, fallbackKey: string): TaskSnapshot | undefined {
  if (task.run_id === undefined) return undefined;
  return {
    taskKey: task.task_key ?? fallbackKey,
    runId: task.run_id,
    attemptNumber: task.attempt_number,
    lifeCycleState: task.state?.life_cycle_state,
    resultState: task.state?.result_state,
    terminationCode: task.status?.termination_details?.code,
    durationMs: task.run_duration || task.execution_duration || undefined,
  };
}
