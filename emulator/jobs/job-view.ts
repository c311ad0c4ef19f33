/** Jobs as jobs/get and jobs/list return them, with API 2.2's 100-tasks-per-page limit. */
import { decodePageToken, encodePageToken } from '../http/page-token.js';
import type { JobRecord } from './job-store.js';

export const JOB_TASKS_PER_PAGE = 100;

type Json = Record<string, unknown>;

export function renderJob(job: JobRecord, options: { paginate: boolean; pageToken?: string }): Json {
  const tasks = job.settings.tasks ?? [];
  const body: Json = {
    job_id: job.jobId,
    creator_user_name: job.creator,
    run_as_user_name: job.creator,
    created_time: job.createdTime,
    settings: job.settings,
  };
  if (!options.paginate || (tasks.length <= JOB_TASKS_PER_PAGE && !options.pageToken)) return body;
  const offset = options.pageToken ? decodePageToken(options.pageToken) : 0;
  const page = tasks.slice(offset, offset + JOB_TASKS_PER_PAGE);
  const first = offset === 0;
  // The SDK extends these arrays page by page, so they must be present; later pages send them empty.
  body.settings = {
    ...job.settings,
    tasks: page,
    job_clusters: first ? (job.settings.job_clusters ?? []) : [],
    parameters: first ? (job.settings.parameters ?? []) : [],
    environments: first ? (job.settings.environments ?? []) : [],
  };
  if (offset + page.length < tasks.length) {
    body.has_more = true;
    body.next_page_token = encodePageToken(offset + page.length);
  }
  return body;
}

/** A BaseJob in jobs/list: tasks and job clusters only with expand_tasks. */
export function renderListedJob(job: JobRecord, expandTasks: boolean, paginate: boolean): Json {
  const { tasks, job_clusters: jobClusters, ...rest } = job.settings;
  const allTasks = tasks ?? [];
  const settings = expandTasks
    ? {
        ...rest,
        tasks: paginate ? allTasks.slice(0, JOB_TASKS_PER_PAGE) : allTasks,
        ...(jobClusters !== undefined ? { job_clusters: jobClusters } : {}),
      }
    : rest;
  return {
    job_id: job.jobId,
    creator_user_name: job.creator,
    created_time: job.createdTime,
    settings,
    ...(expandTasks ? { has_more: paginate && allTasks.length > JOB_TASKS_PER_PAGE } : {}),
  };
}
