/**
 * RunRecords rendered as the Jobs API returns them (reference §1.3, §1.4): both the deprecated `state`
 * (which the SDK waiters still read) and `status`, per-task runs with their own run_id, timestamps and
 * durations, repair_history, and RunOutput for task runs.
 */
import { pageArrays, pageOffset } from '../http/array-pages.js';
import { loopStats } from './for-each.js';
import type { HistoryEntry, LifeCycleState, Outcome, RunRecord, TaskRun } from './run-model.js';
import { isTerminal } from './run-model.js';

export interface ViewContext {
  baseUrl: string;
  workspaceId: string;
  /** Emulated now, for durations of runs still going. */
  now: number;
}

type Json = Record<string, unknown>;

const STATUS_STATE: Record<LifeCycleState, string> = {
  QUEUED: 'QUEUED',
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  TERMINATING: 'TERMINATING',
  TERMINATED: 'TERMINATED',
  SKIPPED: 'TERMINATED',
  INTERNAL_ERROR: 'TERMINATED',
  BLOCKED: 'BLOCKED',
  WAITING_FOR_RETRY: 'WAITING',
};

const QUEUE_MESSAGE = 'Queued due to reaching the maximum number of concurrent runs of the job.';

/** The deprecated RunState. result_state only in terminal states, as Databricks sends it. */
function renderState(
  phase: LifeCycleState,
  end: Outcome | undefined,
  stopped: boolean,
  queue?: string,
): Json {
  const terminal = isTerminal(phase);
  return {
    life_cycle_state: phase,
    ...(terminal && end ? { result_state: end.result } : {}),
    state_message: terminal ? (end?.stateMessage ?? '') : phase === 'QUEUED' ? (queue ?? '') : '',
    user_cancelled_or_timedout: terminal && stopped,
    ...(queue ? { queue_reason: queue } : {}),
  };
}

function renderStatus(phase: LifeCycleState, end: Outcome | undefined, queue?: string): Json {
  return {
    state: STATUS_STATE[phase],
    ...(isTerminal(phase) && end
      ? { termination_details: { code: end.code, type: end.type, message: end.stateMessage } }
      : {}),
    ...(queue ? { queue_details: { code: 'MAX_CONCURRENT_RUNS_REACHED', message: queue } } : {}),
  };
}

function wasStopped(end: Outcome | undefined): boolean {
  return end?.result === 'CANCELED' || end?.result === 'TIMEDOUT';
}

/**
 * run_page_url as the Jobs API returns it: still the legacy fragment form
 * `https://<host>/?o=<workspace_id>#job/<job_id>/run/<run_id>`, for job runs and one-time runs alike
 * (databricks-sdk-py#375; a SUBMIT_RUN's in flyteorg/flytekit#1935). The workspace UI follows the
 * fragment with a client-side redirect to the path form `/jobs/<job_id>/runs/<run_id>?o=<workspace_id>`,
 * which the Databricks CLI builds itself since June 2026 because the redirect fails for non-admins
 * (databricks/cli#5629, libs/workspaceurls/urls.go ModernizeJobRunPageURL, fixing cli#5142). A task
 * run's URL has the same form with the task run's id [U: the task form is not in a public sample].
 * The emulator serves both forms as HTML pages (emulator/pages/).
 */
export function runPageUrl(ctx: ViewContext, jobId: number, runId: number): string {
  return `${ctx.baseUrl}/?o=${ctx.workspaceId}#job/${jobId}/run/${runId}`;
}

/** The path form of a run's (or task run's) page, which the workspace UI serves; see runPageUrl. */
export function runPagePath(jobId: number | string, runId: number | string): string {
  return `/jobs/${jobId}/runs/${runId}`;
}

/** A task run's run_duration: start to end, or to now while it runs; 0 before it starts. */
export function taskRunDurationMs(task: TaskRun, now: number): number {
  if (!(task.startTime > 0)) return 0;
  return (task.endTime > 0 ? task.endTime : now) - task.startTime;
}

/** A run's run_duration: the time it was active, repairs included (§1.3). */
export function runDurationMs(run: RunRecord, now: number): number {
  return run.activeMsBefore + (run.activeSince !== undefined ? now - run.activeSince : 0);
}

function taskTiming(task: TaskRun, now: number): Json {
  return {
    start_time: task.startTime,
    end_time: task.endTime,
    setup_duration: task.setupMs,
    execution_duration: task.executionMs,
    cleanup_duration: task.cleanupMs,
    run_duration: taskRunDurationMs(task, now),
    queue_duration: 0,
  };
}

/**
 * One entry of a run's `tasks` (or a loop's `iterations`) array. A for_each task carries its loop's
 * ForEachStats in `for_each_task.stats` once it has started (RunForEachTask.stats: "Read only field.
 * Populated for GetRun and ListRuns RPC calls").
 */
export function renderTask(run: RunRecord, task: TaskRun, ctx: ViewContext): Json {
  const forEach =
    task.spec.for_each_task && task.forEach
      ? { for_each_task: { ...task.spec.for_each_task, stats: loopStats(task.forEach) } }
      : {};
  return {
    ...task.spec,
    ...forEach,
    run_id: task.runId,
    task_key: task.taskKey,
    attempt_number: task.attempt,
    state: renderState(task.phase, task.outcome, wasStopped(task.outcome)),
    status: renderStatus(task.phase, task.outcome),
    ...taskTiming(task, ctx.now),
    run_page_url: runPageUrl(ctx, run.jobId, task.runId),
  };
}

/** A task run on its own: what runs/get returns for a task run id, and get-output's `metadata`. */
export function renderTaskRunAsRun(run: RunRecord, task: TaskRun, ctx: ViewContext): Json {
  return {
    ...renderTask(run, task, ctx),
    job_id: run.jobId,
    job_run_id: run.runId,
    number_in_job: task.runId,
    original_attempt_run_id: task.runId,
    run_name: task.taskKey,
    run_type: run.runType,
    creator_user_name: run.creator,
    run_as_user_name: run.creator,
    trigger: 'ONE_TIME',
    format: 'MULTI_TASK',
  };
}

function renderHistory(run: RunRecord, entry: HistoryEntry): Json {
  const phase: LifeCycleState = entry.outcome ? entry.outcome.lifeCycle : run.phase;
  return {
    type: entry.type,
    ...(entry.id !== undefined ? { id: entry.id } : {}),
    start_time: entry.startTime,
    end_time: entry.endTime,
    state: renderState(phase, entry.outcome, wasStopped(entry.outcome)),
    status: renderStatus(phase, entry.outcome),
    task_run_ids: entry.taskRunIds,
  };
}

export interface RenderRunOptions {
  includeTasks: boolean;
  /** API 2.2 pages the run's arrays 100 at a time; older versions return them all. */
  paginate: boolean;
  pageToken?: string;
}

/**
 * runs/get on the task run of a for_each task: the task run itself, `tasks` holding just the
 * for_each task, and `iterations` — "Only populated by for-each iterations. The parent for-each task
 * is located in tasks array" (databricks-sdk-py `service/jobs.py` Run.iterations). In 2.2 iterations
 * page 100 at a time and every page repeats the single for_each task: databricks-sdk-py
 * `mixins/jobs.py` `get_run` — "When querying a ForEach task run, a page token is returned when there
 * are more than 100 iterations. Only a single task is returned, corresponding to the ForEach task
 * itself. Therefore, the client only reads the iterations from the next page and not the tasks" (its
 * test_get_run_pagination_with_iterations serves the task on every page).
 */
export function renderLoopRun(
  run: RunRecord,
  loop: TaskRun,
  ctx: ViewContext,
  options: RenderRunOptions,
): Json {
  const iterations = (loop.forEach?.iterations ?? []).map((it) => renderTask(run, it, ctx));
  const body: Json = { ...renderTaskRunAsRun(run, loop, ctx), tasks: [renderTask(run, loop, ctx)] };
  if (!options.paginate) return { ...body, iterations };
  const page = pageArrays({ iterations }, pageOffset(options.pageToken));
  return {
    ...body,
    iterations: page.slices.iterations,
    ...(page.nextPageToken !== undefined ? { has_more: true, next_page_token: page.nextPageToken } : {}),
  };
}

export function renderRun(run: RunRecord, ctx: ViewContext, options: RenderRunOptions): Json {
  const terminal = isTerminal(run.phase);
  const queue = run.phase === 'QUEUED' ? QUEUE_MESSAGE : undefined;
  const activeMs = runDurationMs(run, ctx.now);
  const body: Json = {
    job_id: run.jobId,
    run_id: run.runId,
    job_run_id: run.runId,
    number_in_job: run.runId,
    original_attempt_run_id: run.runId,
    attempt_number: 0,
    creator_user_name: run.creator,
    run_as_user_name: run.creator,
    run_name: run.runName,
    run_type: run.runType,
    trigger: 'ONE_TIME',
    format: 'MULTI_TASK',
    start_time: run.createdAt,
    end_time: terminal ? run.endTime : 0,
    // Multi-task runs report 0 here; run_duration is the whole run including repairs (§1.3).
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    run_duration: activeMs,
    queue_duration: (run.phase === 'QUEUED' ? ctx.now : run.startedAt) - run.createdAt,
    state: renderState(run.phase, run.outcome, run.stopping !== undefined, queue),
    status: renderStatus(run.phase, run.outcome, queue),
    run_page_url: runPageUrl(ctx, run.jobId, run.runId),
    ...(run.jobParameters ? { job_parameters: run.jobParameters } : {}),
    ...(run.overridingParameters ? { overriding_parameters: run.overridingParameters } : {}),
  };
  if (!options.includeTasks) return body;

  const arrays = {
    tasks: run.tasks.map((task) => renderTask(run, task, ctx)),
    job_clusters: run.jobClusters ?? [],
    job_parameters: run.jobParameters ?? [],
    repair_history: run.history.map((entry) => renderHistory(run, entry)),
  };
  if (!options.paginate) return { ...body, ...withoutAbsent(arrays, run) };
  const page = pageArrays(arrays, pageOffset(options.pageToken));
  // A run that fits one page looks like a 2.1 run; once it spans pages, every page carries all four
  // arrays (empty when exhausted), which the SDKs extend page by page (http/array-pages.ts).
  if (!page.laterPage && page.nextPageToken === undefined) return { ...body, ...withoutAbsent(arrays, run) };
  return {
    ...body,
    ...page.slices,
    ...(page.nextPageToken !== undefined ? { has_more: true, next_page_token: page.nextPageToken } : {}),
  };
}

/** The arrays of a one-page run, leaving out job_clusters and job_parameters the run never had. */
function withoutAbsent(arrays: Record<string, unknown[]>, run: RunRecord): Json {
  const { job_clusters: clusters, job_parameters: parameters, ...rest } = arrays;
  return {
    ...rest,
    ...(run.jobClusters !== undefined ? { job_clusters: clusters } : {}),
    ...(run.jobParameters !== undefined ? { job_parameters: parameters } : {}),
  };
}

/** runs/get-output for a task run (§1.4). Logs are not available for notebook tasks. */
export function renderTaskOutput(run: RunRecord, task: TaskRun, ctx: ViewContext): Json {
  const output = task.output ?? {};
  const logsSupported = task.spec.notebook_task === undefined;
  return {
    metadata: renderTaskRunAsRun(run, task, ctx),
    ...(output.notebookResult !== undefined
      ? {
          notebook_output: {
            result: output.notebookResult,
            truncated: output.notebookResultTruncated ?? false,
          },
        }
      : {}),
    ...(logsSupported && output.logs !== undefined
      ? { logs: output.logs, logs_truncated: output.logsTruncated ?? false }
      : {}),
    ...(output.error !== undefined ? { error: output.error } : {}),
    ...(output.errorTrace !== undefined ? { error_trace: output.errorTrace } : {}),
  };
}
