import type { Run } from '../databricks/jobs-schemas.js';
import { runPageLink } from '../shared/run-page-url.js';
import type { RunSnapshot } from '../shared/run-types.js';

/** The parts of a Databricks Run object Lakeloop decides on (small enough for workflow history). */
export function toSnapshot(run: Run): RunSnapshot {
  const repairs = (run.repair_history ?? []).filter((r) => r.type === 'REPAIR');
  const latestRepair = repairs.at(-1);
  return {
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
    tasks: (run.tasks ?? []).map((task) => ({
      taskKey: task.task_key,
      runId: task.run_id,
      attemptNumber: task.attempt_number,
      lifeCycleState: task.state?.life_cycle_state,
      resultState: task.state?.result_state,
      terminationCode: task.status?.termination_details?.code,
      durationMs: task.run_duration || task.execution_duration || undefined,
    })),
    repairCount: repairs.length,
    latestRepairId: latestRepair?.id,
  };
}
