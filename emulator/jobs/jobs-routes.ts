/** jobs/create, get, list, delete, reset, update (reference §1.1). */
import { jobDoesNotExist } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import { JOBS_API_VERSIONS } from '../http/router.js';
import { parseWith, queryObject } from '../http/validation.js';
import type { Services } from '../services.js';
import type { JobRecord } from './job-store.js';
import { withDefaults } from './job-store.js';
import type { JobSettings } from './job-settings-schema.js';
import { jobSettingsSchema } from './job-settings-schema.js';
import {
  jobIdBody,
  getJobQuery,
  listJobsQuery,
  resetJobBody,
  updateJobBody,
} from './jobs-requests-schema.js';
import { renderJob, renderListedJob } from './job-view.js';
import { validateTaskGraph } from './task-graph.js';

const DEFAULT_JOBS_PAGE = 20;

export function registerJobsRoutes(router: Router, services: Services): void {
  const { workspace } = services;

  const requireJob = (jobId: number): JobRecord => {
    const job = workspace.jobs.get(jobId);
    if (!job) throw jobDoesNotExist(jobId);
    return job;
  };

  router.api('POST', '/jobs/create', JOBS_API_VERSIONS, (ctx) => {
    const settings = parseWith(jobSettingsSchema, ctx.body);
    validateTaskGraph(settings.tasks ?? []);
    const job: JobRecord = {
      jobId: workspace.jobIds.next(),
      creator: ctx.principal,
      createdTime: services.clock.now(),
      settings: withDefaults(settings, ctx.version),
    };
    workspace.jobs.put(job);
    services.changed();
    return ok({ job_id: job.jobId });
  });

  router.api('GET', '/jobs/get', JOBS_API_VERSIONS, (ctx) => {
    const query = parseWith(getJobQuery, queryObject(ctx.query));
    const job = requireJob(query.job_id);
    return ok(
      renderJob(job, {
        paginate: ctx.version === '2.2',
        ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
      }),
    );
  });

  router.api('GET', '/jobs/list', JOBS_API_VERSIONS, (ctx) => {
    const query = parseWith(listJobsQuery, queryObject(ctx.query));
    const page = workspace.jobs.list({
      limit: query.limit || DEFAULT_JOBS_PAGE,
      ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
      ...(query.offset !== undefined ? { offset: query.offset } : {}),
      ...(query.name !== undefined ? { name: query.name } : {}),
    });
    const expand = query.expand_tasks === true;
    return ok({
      jobs: page.jobs.map((job) => renderListedJob(job, expand, ctx.version === '2.2')),
      has_more: page.nextPageToken !== undefined,
      ...(page.nextPageToken !== undefined ? { next_page_token: page.nextPageToken } : {}),
    });
  });

  router.api('POST', '/jobs/delete', JOBS_API_VERSIONS, (ctx) => {
    const { job_id: jobId } = parseWith(jobIdBody, ctx.body);
    requireJob(jobId);
    // Deleting a job stops what it is running [U: Databricks does not document it; it cannot keep
    // running a job that no longer exists].
    services.engine.cancelAll({ jobId, queuedOnly: false });
    workspace.jobs.delete(jobId);
    services.changed();
    return ok({});
  });

  router.api('POST', '/jobs/reset', JOBS_API_VERSIONS, (ctx) => {
    const body = parseWith(resetJobBody, ctx.body);
    const job = requireJob(body.job_id);
    validateTaskGraph(body.new_settings.tasks ?? []);
    job.settings = withDefaults(body.new_settings, ctx.version);
    services.changed();
    return ok({});
  });

  router.api('POST', '/jobs/update', JOBS_API_VERSIONS, (ctx: RequestContext) => {
    const body = parseWith(updateJobBody, ctx.body);
    const job = requireJob(body.job_id);
    const merged = mergeSettings(job.settings, body.new_settings ?? {}, body.fields_to_remove ?? []);
    validateTaskGraph(merged.tasks ?? []);
    // queue (and every other default) carries over from the stored settings through the merge.
    job.settings = withDefaults(merged, undefined);
    services.changed();
    return ok({});
  });
}

/**
 * jobs/update semantics: top-level fields in new_settings replace the stored ones, except `tasks` and
 * `job_clusters`, which are merged by key; fields_to_remove names top-level fields or single entries
 * as "tasks/<task_key>" or "job_clusters/<job_cluster_key>".
 */
function mergeSettings(current: JobSettings, update: JobSettings, remove: string[]): JobSettings {
  const merged: Record<string, unknown> = { ...current, ...update };
  merged.tasks = mergeByKey(current.tasks ?? [], update.tasks, 'task_key');
  const clusters = current.job_clusters as Record<string, unknown>[] | undefined;
  merged.job_clusters = mergeByKey(
    clusters ?? [],
    update.job_clusters as Record<string, unknown>[] | undefined,
    'job_cluster_key',
  );
  for (const field of remove) {
    const [collection, key] = field.split('/', 2);
    if (key !== undefined && (collection === 'tasks' || collection === 'job_clusters')) {
      const keyField = collection === 'tasks' ? 'task_key' : 'job_cluster_key';
      merged[collection] = ((merged[collection] as Record<string, unknown>[] | undefined) ?? []).filter(
        (item) => item[keyField] !== key,
      );
    } else {
      delete merged[field];
    }
  }
  if ((merged.job_clusters as unknown[]).length === 0 && current.job_clusters === undefined)
    delete merged.job_clusters;
  return merged as JobSettings;
}

function mergeByKey<T extends Record<string, unknown>>(
  current: T[],
  update: T[] | undefined,
  key: string,
): T[] {
  if (!update) return current;
  const result = [...current];
  for (const item of update) {
    const index = result.findIndex((existing) => existing[key] === item[key]);
    if (index >= 0) result[index] = item;
    else result.push(item);
  }
  return result;
}
