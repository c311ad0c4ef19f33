/**
 * Jobs as jobs/get and jobs/list return them. API 2.2 pages the four array properties of the job
 * settings — tasks, job_clusters, parameters, environments — 100 at a time, in lockstep (see
 * http/array-pages.ts; databricks-sdk-py `mixins/jobs.py` `get` extends all four from every page).
 * 2.0 and 2.1 return every element at once: paging of jobs/get was added in 2.2
 * (docs.databricks.com/jobs/jobs-api-updates.html, "Support for paging long task and task run lists").
 */
import { ARRAY_PAGE_SIZE, exceedsOnePage, pageArrays, pageOffset } from '../http/array-pages.js';
import type { JobRecord } from './job-store.js';

type Json = Record<string, unknown>;

type PagedSetting = 'tasks' | 'job_clusters' | 'parameters' | 'environments';

function pagedArrays(job: JobRecord): Record<PagedSetting, readonly unknown[]> {
  const settings = job.settings as Record<string, unknown>;
  const arrayOf = (key: PagedSetting): readonly unknown[] => {
    const value = settings[key];
    return Array.isArray(value) ? value : [];
  };
  return {
    tasks: arrayOf('tasks'),
    job_clusters: arrayOf('job_clusters'),
    parameters: arrayOf('parameters'),
    environments: arrayOf('environments'),
  };
}

export function renderJob(job: JobRecord, options: { paginate: boolean; pageToken?: string }): Json {
  const body: Json = {
    job_id: job.jobId,
    creator_user_name: job.creator,
    run_as_user_name: job.creator,
    created_time: job.createdTime,
    settings: job.settings,
  };
  const arrays = pagedArrays(job);
  const offset = options.paginate ? pageOffset(options.pageToken) : 0;
  if (!options.paginate || (offset === 0 && !exceedsOnePage(Object.values(arrays)))) return body;
  const page = pageArrays(arrays, offset);
  // Once the job spans pages, every page carries all four arrays (empty when exhausted): the SDK
  // extends each of them from each page.
  body.settings = { ...job.settings, ...page.slices };
  if (page.nextPageToken !== undefined) {
    body.has_more = true;
    body.next_page_token = page.nextPageToken;
  }
  return body;
}

/**
 * A BaseJob in jobs/list: tasks and job clusters only with expand_tasks; in 2.2 only their first 100
 * elements, with has_more telling the client to page through jobs/get (databricks-sdk-py
 * `mixins/jobs.py` `list`: "if job.has_more: job_from_get_call = self.get(job.job_id)").
 */
export function renderListedJob(job: JobRecord, expandTasks: boolean, paginate: boolean): Json {
  const { tasks: _tasks, job_clusters: _clusters, ...rest } = job.settings;
  const settings: Json = { ...rest };
  const arrays = pagedArrays(job);
  if (expandTasks) {
    const cut = (key: PagedSetting): unknown[] =>
      paginate ? arrays[key].slice(0, ARRAY_PAGE_SIZE) : [...arrays[key]];
    settings.tasks = cut('tasks');
    if (job.settings.job_clusters !== undefined) settings.job_clusters = cut('job_clusters');
    if (job.settings.parameters !== undefined) settings.parameters = cut('parameters');
    if (job.settings.environments !== undefined) settings.environments = cut('environments');
  }
  return {
    job_id: job.jobId,
    creator_user_name: job.creator,
    created_time: job.createdTime,
    settings,
    ...(expandTasks ? { has_more: paginate && exceedsOnePage(Object.values(arrays)) } : {}),
  };
}
