/**
 * jobs/run-now and jobs/runs/* (reference §1.1–§1.4): starting runs (with idempotency tokens), reading
 * them, their outputs, cancelling, repairing, listing and deleting.
 */
import { invalidParameter, invalidState, jobDoesNotExist, runDoesNotExist } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { JOBS_API_VERSIONS } from '../http/router.js';
import { parseWith, queryObject } from '../http/validation.js';
import { queueEnabled } from '../jobs/job-store.js';
import type { RunNowBody } from '../jobs/jobs-requests-schema.js';
import {
  cancelAllBody,
  exportRunQuery,
  getRunQuery,
  listRunsQuery,
  repairRunBody,
  runIdBody,
  runNowBody,
  submitRunBody,
} from '../jobs/jobs-requests-schema.js';
import type { JobSettings, TaskSettings } from '../jobs/job-settings-schema.js';
import { validateTaskGraph } from '../jobs/task-graph.js';
import type { Services } from '../services.js';
import type { JobParameterValue, RunRecord } from './run-model.js';
import { isTerminal } from './run-model.js';
import { planRepair } from './repair-plan.js';
import { exportViews, notExportable, taskKind } from './run-export.js';
import { renderLoopRun, renderRun, renderTaskOutput, renderTaskRunAsRun } from './run-view.js';

/** Databricks' exact refusal for get-output on a parent run (reference §1.4). */
export const PARENT_OUTPUT_MESSAGE =
  'Retrieving the output of runs with multiple tasks is not supported. ' +
  'Please retrieve the output of each individual task run instead.';

const DEFAULT_RUNS_PAGE = 20;
const MAX_RUNS_PAGE = 25;

export function registerRunsRoutes(router: Router, services: Services): void {
  const { workspace, engine } = services;

  /**
   * "If a run with the token already exists, the request creates nothing and returns the existing
   * run's ID" — also for finished runs; the token of a deleted run is an error (reference §1.2).
   */
  const replayed = (token: string | undefined): RunRecord | undefined => {
    if (token === undefined) return undefined;
    const found = workspace.runs.byIdempotencyToken(token);
    if (found?.kind === 'deleted') {
      throw invalidState(`The run created with idempotency token ${JSON.stringify(token)} has been deleted.`);
    }
    return found?.run;
  };

  router.api('POST', '/jobs/run-now', JOBS_API_VERSIONS, (ctx) => {
    const body = parseWith(runNowBody, ctx.body);
    const job = workspace.jobs.get(body.job_id);
    if (!job) throw jobDoesNotExist(body.job_id);
    const existing = replayed(body.idempotency_token);
    if (existing) return ok({ run_id: existing.runId, number_in_job: existing.runId });

    const settings = job.settings;
    const tasks = selectTasks(settings.tasks ?? [], body.only);
    if (tasks.length === 0) throw invalidParameter(`Job ${job.jobId} has no tasks to run.`);
    const run = engine.createRun({
      jobId: job.jobId,
      runName: settings.name ?? 'Untitled',
      runType: 'JOB_RUN',
      creator: ctx.principal,
      tasks,
      timeoutSeconds: settings.timeout_seconds ?? 0,
      concurrency: {
        maxConcurrentRuns: settings.max_concurrent_runs ?? 1,
        queueEnabled: queueEnabled(settings),
      },
      ...(settings.webhook_notifications ? { webhooks: settings.webhook_notifications } : {}),
      ...(settings.notification_settings ? { notificationSettings: settings.notification_settings } : {}),
      ...jobParametersOf(settings, body.job_parameters),
      ...(Array.isArray(settings.job_clusters) ? { jobClusters: settings.job_clusters as unknown[] } : {}),
      ...overridingParametersOf(body),
      ...(body.python_params ? { pythonParams: body.python_params } : {}),
      ...(body.idempotency_token !== undefined ? { idempotencyToken: body.idempotency_token } : {}),
    });
    return ok({ run_id: run.runId, number_in_job: run.runId });
  });

  router.api('POST', '/jobs/runs/submit', JOBS_API_VERSIONS, (ctx) => {
    const body = parseWith(submitRunBody, ctx.body);
    validateTaskGraph(body.tasks);
    const existing = replayed(body.idempotency_token);
    if (existing) return ok({ run_id: existing.runId });

    const run = engine.createRun({
      // One-time runs belong to a hidden job of their own, as in Databricks.
      jobId: workspace.jobIds.next(),
      runName: body.run_name ?? 'Untitled',
      runType: 'SUBMIT_RUN',
      creator: ctx.principal,
      tasks: body.tasks.map(withTaskDefaults),
      timeoutSeconds: body.timeout_seconds ?? 0,
      ...(body.webhook_notifications ? { webhooks: body.webhook_notifications } : {}),
      ...(body.notification_settings ? { notificationSettings: body.notification_settings } : {}),
      ...(body.idempotency_token !== undefined ? { idempotencyToken: body.idempotency_token } : {}),
    });
    return ok({ run_id: run.runId });
  });

  router.api('GET', '/jobs/runs/get', JOBS_API_VERSIONS, (ctx) => {
    const query = parseWith(getRunQuery, queryObject(ctx.query));
    const run = workspace.runs.get(query.run_id);
    if (run) {
      return ok(
        renderRun(run, services.view(), {
          includeTasks: true,
          paginate: ctx.version === '2.2',
          ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
        }),
      );
    }
    const taskRun = workspace.runs.getTaskRun(query.run_id);
    if (taskRun?.task.executor === 'for_each') {
      return ok(
        renderLoopRun(taskRun.run, taskRun.task, services.view(), {
          includeTasks: true,
          paginate: ctx.version === '2.2',
          ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
        }),
      );
    }
    if (taskRun) return ok(renderTaskRunAsRun(taskRun.run, taskRun.task, services.view()));
    throw runDoesNotExist(query.run_id);
  });

  router.api('GET', '/jobs/runs/export', JOBS_API_VERSIONS, (ctx) => {
    const query = parseWith(exportRunQuery, queryObject(ctx.query));
    const taskRun = workspace.runs.getTaskRun(query.run_id);
    if (taskRun)
      return ok({ views: exportViews(taskRun.run, taskRun.task, query.views_to_export ?? 'CODE') });
    const run = workspace.runs.get(query.run_id);
    if (!run) throw runDoesNotExist(query.run_id);
    // A multi-task parent has no notebook of its own; a one-task run exports as its task would [U].
    if (run.tasks.length === 1 && run.tasks[0]!.spec.notebook_task) {
      return ok({ views: exportViews(run, run.tasks[0]!, query.views_to_export ?? 'CODE') });
    }
    throw notExportable(
      run.runId,
      run.tasks.length === 1 ? taskKind(run.tasks[0]!) : 'a run with multiple tasks',
    );
  });

  router.api('GET', '/jobs/runs/get-output', JOBS_API_VERSIONS, (ctx) => {
    const { run_id: runId } = parseWith(getRunQuery, queryObject(ctx.query));
    const taskRun = workspace.runs.getTaskRun(runId);
    if (taskRun) return ok(renderTaskOutput(taskRun.run, taskRun.task, services.view()));
    if (workspace.runs.get(runId)) throw invalidParameter(PARENT_OUTPUT_MESSAGE);
    throw runDoesNotExist(runId);
  });

  router.api('POST', '/jobs/runs/cancel', JOBS_API_VERSIONS, (ctx) => {
    const { run_id: runId } = parseWith(runIdBody, ctx.body);
    // A task run id cancels the run it belongs to [U].
    const run = workspace.runs.get(runId) ?? workspace.runs.getTaskRun(runId)?.run;
    if (!run) throw runDoesNotExist(runId);
    engine.cancel(run);
    return ok({});
  });

  router.api('POST', '/jobs/runs/cancel-all', JOBS_API_VERSIONS, (ctx) => {
    const body = parseWith(cancelAllBody, ctx.body);
    if (body.job_id !== undefined) {
      if (!workspace.jobs.get(body.job_id)) throw jobDoesNotExist(body.job_id);
      engine.cancelAll({ jobId: body.job_id, queuedOnly: body.all_queued_runs === true });
    } else if (body.all_queued_runs) {
      engine.cancelAll({ queuedOnly: true });
    } else {
      throw invalidParameter('Either job_id or all_queued_runs must be specified.');
    }
    return ok({});
  });

  router.api('POST', '/jobs/runs/repair', JOBS_API_VERSIONS, (ctx) => {
    const body = parseWith(repairRunBody, ctx.body);
    const run = workspace.runs.get(body.run_id);
    if (!run) throw runDoesNotExist(body.run_id);
    const repairId = engine.repair(run, planRepair(run, body, workspace.jobs));
    return ok({ repair_id: repairId });
  });

  router.api('GET', '/jobs/runs/list', JOBS_API_VERSIONS, (ctx) => {
    const query = parseWith(listRunsQuery, queryObject(ctx.query));
    if (query.active_only && query.completed_only) {
      throw invalidParameter('active_only and completed_only cannot both be true.');
    }
    const page = workspace.runs.list({
      limit: query.limit === 0 ? MAX_RUNS_PAGE : (query.limit ?? DEFAULT_RUNS_PAGE),
      ...(query.job_id !== undefined ? { jobId: query.job_id } : {}),
      ...(query.active_only !== undefined ? { activeOnly: query.active_only } : {}),
      ...(query.completed_only !== undefined ? { completedOnly: query.completed_only } : {}),
      ...(query.run_type !== undefined ? { runType: query.run_type } : {}),
      ...(query.start_time_from !== undefined ? { startTimeFrom: query.start_time_from } : {}),
      ...(query.start_time_to !== undefined ? { startTimeTo: query.start_time_to } : {}),
      ...(query.offset !== undefined ? { offset: query.offset } : {}),
      ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
    });
    const view = services.view();
    const includeTasks = query.expand_tasks === true;
    return ok({
      runs: page.runs.map((run) =>
        listedRun(renderRun(run, view, { includeTasks, paginate: ctx.version === '2.2' })),
      ),
      has_more: page.nextPageToken !== undefined,
      ...(page.nextPageToken !== undefined ? { next_page_token: page.nextPageToken } : {}),
    });
  });

  router.api('POST', '/jobs/runs/delete', JOBS_API_VERSIONS, (ctx) => {
    const { run_id: runId } = parseWith(runIdBody, ctx.body);
    const run = workspace.runs.get(runId);
    if (!run) throw runDoesNotExist(runId);
    if (!isTerminal(run.phase)) throw invalidState(`Run ${runId} is still active and cannot be deleted.`);
    workspace.runs.delete(run);
    services.changed();
    return ok({});
  });
}

/**
 * A BaseRun in runs/list: with expand_tasks in 2.2, the first 100 elements of each array and
 * has_more; the client pages through runs/get, not through a token of the listed run
 * (databricks-sdk-py `mixins/jobs.py` `list_runs`: "if run.has_more: run_from_get_call = self.get_run(…)").
 */
function listedRun(body: Record<string, unknown>): Record<string, unknown> {
  const { next_page_token: _token, ...rest } = body;
  return rest;
}

/** Submitted tasks get the same server-side defaults as job tasks. */
function withTaskDefaults(task: TaskSettings): TaskSettings {
  return { ...task, run_if: task.run_if ?? 'ALL_SUCCESS', timeout_seconds: task.timeout_seconds ?? 0 };
}

/** run-now's `only`: run a subset of the job's tasks, dropping dependencies on the others. */
function selectTasks(tasks: TaskSettings[], only: string[] | undefined): TaskSettings[] {
  if (!only || only.length === 0) return tasks;
  const keys = new Set(only);
  for (const key of keys) {
    if (!tasks.some((t) => t.task_key === key))
      throw invalidParameter(`Task ${key} does not exist in the job.`);
  }
  return tasks
    .filter((task) => keys.has(task.task_key))
    .map((task) => ({ ...task, depends_on: (task.depends_on ?? []).filter((d) => keys.has(d.task_key)) }));
}

/** The job's parameter definitions with run-now's values applied, as runs/get reports them. */
function jobParametersOf(
  settings: JobSettings,
  overrides: Record<string, string> | undefined,
): { jobParameters?: JobParameterValue[] } {
  const values = new Map<string, JobParameterValue>();
  for (const p of settings.parameters ?? [])
    values.set(p.name, { name: p.name, default: p.default, value: p.default });
  for (const [name, value] of Object.entries(overrides ?? {}))
    values.set(name, { ...(values.get(name) ?? { name }), value });
  return values.size > 0 ? { jobParameters: [...values.values()] } : {};
}

const LEGACY_PARAMETER_FIELDS = [
  'notebook_params',
  'python_params',
  'python_named_params',
  'jar_params',
  'spark_submit_params',
  'sql_params',
] as const;

function overridingParametersOf(body: RunNowBody): { overridingParameters?: Record<string, unknown> } {
  const result: Record<string, unknown> = {};
  for (const field of LEGACY_PARAMETER_FIELDS) if (body[field] !== undefined) result[field] = body[field];
  return Object.keys(result).length > 0 ? { overridingParameters: result } : {};
}
