/**
 * Past runs imported through the control API (POST /__emulator/runs/import): a real workspace has
 * history — the earlier runs of a job that `runs/list` returns — and a fresh emulator has none. A
 * benchmark or test that needs "this job ran twenty times before, taking these long" imports them
 * instead of waiting for them.
 *
 * Imported runs are made of the same RunRecords the engine writes when a run succeeds, so `runs/list`,
 * `runs/get` and `runs/get-output` render them like any other finished run: `start_time` / `end_time`
 * in epoch ms with `end_time − start_time` = `run_duration` ("the time in milliseconds it took the job
 * run and all of its repairs to finish", databricks-sdk-go `service/jobs/model.go` BaseRun), the
 * run-level `setup_duration` / `execution_duration` / `cleanup_duration` 0 as for every multi-task run
 * (same file: "set to 0 for multitask job runs. The total duration of a multitask job run is the value
 * of the `run_duration` field"), and each task's own three durations summing to its run time.
 *
 * They end in the past, one after another (`intervalMs` apart, the last `intervalMs` before now: a
 * daily job by default), and get ids in that order. Listing is newest-id first, so import before the
 * runs that are meant to be newer are created.
 */
import { z } from 'zod';
import { taskSchema, type TaskSettings } from '../jobs/job-settings-schema.js';
import { ApiError } from '../http/api-error.js';
import { int64 } from '../http/validation.js';
import { splitDuration } from '../tasks/scenario-rules.js';
import type { RunRecord, TaskRun } from './run-model.js';
import { outcome } from './termination.js';
import type { Workspace } from '../workspace.js';

const DAY_MS = 24 * 3600 * 1000;

export const runImportSchema = z
  .strictObject({
    /** Runs of this saved job (JOB_RUN, named and tasked as the job is now) … */
    jobId: int64.optional(),
    /** … or one-time runs (SUBMIT_RUN, each with a hidden job of its own) with this name and tasks. */
    runName: z.string().min(1).max(4096).optional(),
    tasks: z.array(taskSchema).min(1).max(100).optional(),
    /** One run per entry, oldest first: how long each took (ms, > 0). */
    durationsMs: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(365 * DAY_MS),
      )
      .min(1)
      .max(1000),
    /** Start of one run to the start of the next. */
    intervalMs: z
      .number()
      .int()
      .min(1)
      .max(365 * DAY_MS)
      .optional(),
    creator: z.string().min(1).optional(),
  })
  .refine((body) => (body.jobId === undefined) !== (body.runName === undefined), {
    message: 'give either jobId (runs of a saved job) or runName and tasks (one-time runs)',
  })
  .refine((body) => body.jobId !== undefined || body.tasks !== undefined, {
    message: 'one-time runs need tasks',
  });
export type RunImport = z.infer<typeof runImportSchema>;

/** Adds the finished runs to the workspace; returns their ids, oldest first. */
export function importRuns(workspace: Workspace, emulatedNow: number, input: RunImport): number[] {
  const job = input.jobId === undefined ? undefined : workspace.jobs.get(input.jobId);
  if (input.jobId !== undefined && !job) {
    throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Job ${input.jobId} does not exist.`);
  }
  const specs: TaskSettings[] = job ? (job.settings.tasks ?? []) : input.tasks!;
  if (specs.length === 0) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'The job has no tasks.');
  if (specs.some((spec) => spec.for_each_task)) {
    throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'Imported runs cannot have for_each tasks.');
  }
  const interval = input.intervalMs ?? DAY_MS;
  const count = input.durationsMs.length;
  const creator = input.creator ?? job?.creator ?? 'emulator-import';
  // How far the emulated clock is from the wall clock, for the wall-clock `actual*` fields.
  const wallOffset = Date.now() - emulatedNow;
  return input.durationsMs.map((durationMs, index) => {
    const start = emulatedNow - (count - index) * interval;
    const end = start + durationMs;
    const run = finishedRun(workspace, {
      jobId: job ? job.jobId : workspace.jobIds.next(),
      runName: job ? (job.settings.name ?? 'Untitled') : input.runName!,
      runType: job ? 'JOB_RUN' : 'SUBMIT_RUN',
      creator,
      specs,
      start,
      end,
      wallOffset,
    });
    workspace.runs.add(run);
    workspace.runs.created++;
    return run.runId;
  });
}

interface FinishedRun {
  jobId: number;
  runName: string;
  runType: RunRecord['runType'];
  creator: string;
  specs: TaskSettings[];
  start: number;
  end: number;
  wallOffset: number;
}

/** A run that succeeded between `start` and `end`: its tasks ran one after another in that span. */
function finishedRun(workspace: Workspace, f: FinishedRun): RunRecord {
  const success = outcome('SUCCESS', '');
  const span = f.end - f.start;
  const share = Math.floor(span / f.specs.length);
  const tasks: TaskRun[] = f.specs.map((spec, i) => {
    const taskStart = f.start + i * share;
    const taskEnd = i === f.specs.length - 1 ? f.end : taskStart + share;
    return {
      runId: workspace.runIds.next(),
      taskKey: spec.task_key,
      attempt: 0,
      spec: { ...spec, run_if: spec.run_if ?? 'ALL_SUCCESS', timeout_seconds: spec.timeout_seconds ?? 0 },
      executor: 'scenario',
      phase: 'TERMINATED',
      phaseStartedAt: taskEnd,
      startTime: taskStart,
      endTime: taskEnd,
      ...splitDuration(taskEnd - taskStart),
      outcome: success,
      output: {},
      gen: 0,
      actualStartMs: taskStart + f.wallOffset,
      actualEndMs: taskEnd + f.wallOffset,
    };
  });
  const runId = workspace.runIds.next();
  return {
    runId,
    jobId: f.jobId,
    runName: f.runName,
    runType: f.runType,
    creator: f.creator,
    createdAt: f.start,
    startedAt: f.start,
    endTime: f.end,
    phase: 'TERMINATED',
    outcome: success,
    timeoutSeconds: 0,
    tasks,
    previousAttempts: [],
    history: [
      {
        type: 'ORIGINAL',
        startTime: f.start,
        endTime: f.end,
        taskRunIds: tasks.map((t) => t.runId),
        outcome: success,
      },
    ],
    activeMsBefore: span,
    gen: 0,
    actualCreatedMs: f.start + f.wallOffset,
    actualEndMs: f.end + f.wallOffset,
  };
}
