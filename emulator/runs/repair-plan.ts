/**
 * Validating a runs/repair request and deciding which tasks it re-runs (reference §1.1):
 *  - the run must have finished;
 *  - exactly one of rerun_tasks and rerun_all_failed_tasks;
 *  - latest_repair_id is optional on the first repair and required afterwards, and must name the
 *    latest repair — so a repair retried after a lost response cannot repair twice;
 *  - rerun_dependent_tasks adds everything downstream of the named tasks;
 *  - tasks re-run with the job's current settings.
 * The status codes and messages of the refusals are not documented [U]; see emulator/README.md.
 */
import { invalidParameter, invalidState, jobDoesNotExist } from '../http/api-error.js';
import type { JobStore } from '../jobs/job-store.js';
import type { RepairRunBody } from '../jobs/jobs-requests-schema.js';
import type { TaskSettings } from '../jobs/job-settings-schema.js';
import { dependentsOf } from '../jobs/task-graph.js';
import type { RepairRequest } from './run-engine.js';
import type { RunRecord } from './run-model.js';
import { isTerminal } from './run-model.js';
import { isFailure } from './termination.js';

export function planRepair(run: RunRecord, body: RepairRunBody, jobs: JobStore): RepairRequest {
  if (!isTerminal(run.phase)) {
    throw invalidState(
      `Run ${run.runId} is still ${run.phase} and cannot be repaired until it has finished.`,
    );
  }
  const named = body.rerun_tasks !== undefined && body.rerun_tasks.length > 0;
  if (named && body.rerun_all_failed_tasks) {
    throw invalidParameter('Only one of rerun_tasks and rerun_all_failed_tasks may be specified.');
  }
  if (!named && !body.rerun_all_failed_tasks) {
    throw invalidParameter('Either rerun_tasks or rerun_all_failed_tasks must be specified.');
  }
  checkLatestRepairId(run, body.latest_repair_id);

  const keys = new Set<string>();
  if (named) {
    for (const key of body.rerun_tasks!) {
      if (!run.tasks.some((t) => t.taskKey === key)) {
        throw invalidParameter(`Task ${key} does not exist in run ${run.runId}.`);
      }
      keys.add(key);
    }
  } else {
    for (const task of run.tasks) {
      if (isFailure(task.outcome?.result) || task.phase === 'INTERNAL_ERROR') keys.add(task.taskKey);
    }
    if (keys.size === 0) throw invalidParameter(`Run ${run.runId} has no failed tasks to repair.`);
  }
  if (body.rerun_dependent_tasks) {
    for (const key of dependentsOf(
      run.tasks.map((t) => t.spec),
      keys,
    ))
      keys.add(key);
  }

  return {
    taskKeys: keys,
    specs: currentSpecs(run, keys, jobs),
    ...(body.job_parameters ? { jobParameters: body.job_parameters } : {}),
    ...(body.python_params ? { pythonParams: body.python_params } : {}),
  };
}

function checkLatestRepairId(run: RunRecord, given: number | undefined): void {
  const repairs = run.history.filter((entry) => entry.type === 'REPAIR');
  const latest = repairs[repairs.length - 1]?.id;
  if (latest === undefined) {
    if (given !== undefined) {
      throw invalidState(
        `Run ${run.runId} has not been repaired yet, so latest_repair_id ${given} is not valid.`,
      );
    }
    return;
  }
  if (given === undefined) {
    throw invalidParameter(
      `Run ${run.runId} has been repaired before: latest_repair_id is required (the latest repair is ${latest}).`,
    );
  }
  if (given !== latest) {
    throw invalidState(
      `latest_repair_id ${given} is not the latest repair of run ${run.runId} (the latest repair is ${latest}).`,
    );
  }
}

function currentSpecs(run: RunRecord, keys: Set<string>, jobs: JobStore): Map<string, TaskSettings> {
  const specs = new Map<string, TaskSettings>();
  if (run.runType !== 'JOB_RUN') return specs;
  const job = jobs.get(run.jobId);
  if (!job) throw jobDoesNotExist(run.jobId);
  for (const task of job.settings.tasks ?? []) if (keys.has(task.task_key)) specs.set(task.task_key, task);
  return specs;
}
