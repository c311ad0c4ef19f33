/**
 * The typed Jobs API client Lakeloop uses: run-now, runs/submit, runs/get (all pages), runs/get-output,
 * runs/export, runs/cancel, runs/repair, jobs/get (all pages) and jobs/list. Ids go in and come out as
 * exact decimal strings (src/shared/databricks-id.ts) and travel as JSON integers on the wire;
 * responses are parsed with the tolerant schemas in jobs-schemas.ts.
 */
import type { DatabricksId } from '../shared/databricks-id.js';
import { unusableResponse } from './errors.js';
import type { DatabricksHttpClient, HttpMethod, QueryValue } from './http.js';
import {
  emptyResponseSchema,
  exportRunSchema,
  jobSchema,
  listJobsSchema,
  listRunsSchema,
  repairResponseSchema,
  runOutputSchema,
  runSchema,
  submitResponseSchema,
  type ExportRunOutput,
  type Job,
  type Run,
  type RunOutput,
} from './jobs-schemas.js';
import type { z } from 'zod';

const API = '/api/2.2/jobs';
/** A bound on pages of one runs/get or jobs/get: 1,000 pages of 100 is far past any real run. */
const MAX_PAGES = 1_000;

export interface RunNowRequest {
  job_id: DatabricksId;
  idempotency_token?: string;
  job_parameters?: Record<string, string>;
  [field: string]: unknown;
}

export interface SubmitRunRequest {
  run_name?: string;
  tasks: Array<Record<string, unknown>>;
  idempotency_token?: string;
  timeout_seconds?: number;
  [field: string]: unknown;
}

export interface RepairRunRequest {
  run_id: DatabricksId;
  rerun_tasks?: string[];
  rerun_all_failed_tasks?: boolean;
  latest_repair_id?: DatabricksId;
  [field: string]: unknown;
}

export type ExportViews = 'CODE' | 'DASHBOARDS' | 'ALL';

/** An id as the JSON integer Databricks expects in a request body (bigint keeps it exact). */
const wire = (id: DatabricksId): bigint => BigInt(id);

export class JobsClient {
  constructor(private readonly http: DatabricksHttpClient) {}

  private call<T>(
    method: HttpMethod,
    path: string,
    schema: z.ZodType<T>,
    options: { query?: Record<string, QueryValue>; body?: unknown } = {},
  ): Promise<T> {
    return this.http.request(method, `${API}/${path}`, { ...options, schema, exactIntegers: true });
  }

  runNow(request: RunNowRequest): Promise<{ run_id: DatabricksId }> {
    return this.call('POST', 'run-now', submitResponseSchema, {
      body: { ...request, job_id: wire(request.job_id) },
    });
  }

  submitRun(request: SubmitRunRequest): Promise<{ run_id: DatabricksId }> {
    return this.call('POST', 'runs/submit', submitResponseSchema, { body: request });
  }

  /**
   * runs/get with every page merged, as databricks-sdk-py's `JobsExt.get_run`
   * (databricks/sdk/mixins/jobs.py) does: API 2.2 returns at most 100 tasks (or, for a for_each task
   * run, 100 iterations) and 100 job_clusters, job_parameters and repair_history entries per answer,
   * and `next_page_token` while more remain; later pages carry the next slice of each array.
   */
  async getRun(runId: DatabricksId): Promise<Run> {
    const first = await this.getRunPage(runId);
    const run: Run = { ...first, run_id: first.run_id ?? runId };
    // A for_each task run pages its iterations; a job run pages its tasks (the SDK decides the same way).
    const pagingIterations = (first.iterations?.length ?? 0) > 0;
    const seen = new Set<string>();
    for (let token = first.next_page_token, pages = 1; token; pages++) {
      if (seen.has(token) || pages >= MAX_PAGES) {
        throw unusableResponse(
          `GET ${API}/runs/get`,
          'next_page_token',
          `repeats or never ends (page ${pages})`,
        );
      }
      seen.add(token);
      const page = await this.getRunPage(runId, token);
      if (pagingIterations) run.iterations = [...(run.iterations ?? []), ...(page.iterations ?? [])];
      else run.tasks = [...(run.tasks ?? []), ...(page.tasks ?? [])];
      run.job_clusters = [...(run.job_clusters ?? []), ...(page.job_clusters ?? [])];
      run.job_parameters = [...(run.job_parameters ?? []), ...(page.job_parameters ?? [])];
      run.repair_history = [...(run.repair_history ?? []), ...(page.repair_history ?? [])];
      token = page.next_page_token;
    }
    delete run.next_page_token;
    delete run.has_more;
    return run;
  }

  private getRunPage(runId: DatabricksId, pageToken?: string): Promise<Run> {
    return this.call('GET', 'runs/get', runSchema, { query: { run_id: runId, page_token: pageToken } });
  }

  /** Only valid on a task run (`run.tasks[].run_id`) or an iteration; Databricks rejects it on a job run. */
  getRunOutput(taskRunId: DatabricksId): Promise<RunOutput> {
    return this.call('GET', 'runs/get-output', runOutputSchema, { query: { run_id: taskRunId } });
  }

  /** runs/export: the rendered views (HTML) of a notebook task run. */
  exportRun(taskRunId: DatabricksId, views: ExportViews = 'CODE'): Promise<ExportRunOutput> {
    return this.call('GET', 'runs/export', exportRunSchema, {
      query: { run_id: taskRunId, views_to_export: views },
    });
  }

  async cancelRun(runId: DatabricksId): Promise<void> {
    await this.call('POST', 'runs/cancel', emptyResponseSchema, { body: { run_id: wire(runId) } });
  }

  repairRun(request: RepairRunRequest): Promise<{ repair_id: DatabricksId }> {
    return this.call('POST', 'runs/repair', repairResponseSchema, {
      body: {
        ...request,
        run_id: wire(request.run_id),
        ...(request.latest_repair_id !== undefined
          ? { latest_repair_id: wire(request.latest_repair_id) }
          : {}),
      },
    });
  }

  /**
   * jobs/get with every page merged (settings.tasks, job_clusters, parameters, environments), as
   * databricks-sdk-py's `JobsExt.get` does: the job's fingerprint must cover all of its tasks.
   */
  async getJob(jobId: DatabricksId): Promise<Job & { job_id: DatabricksId }> {
    const first = await this.call('GET', 'get', jobSchema, { query: { job_id: jobId } });
    const job = { ...first, job_id: first.job_id ?? jobId };
    const settings = (job.settings ?? {}) as Record<string, unknown>;
    const merged = ['tasks', 'job_clusters', 'parameters', 'environments'] as const;
    const seen = new Set<string>();
    for (let token = first.next_page_token, pages = 1; token; pages++) {
      if (seen.has(token) || pages >= MAX_PAGES) {
        throw unusableResponse(`GET ${API}/get`, 'next_page_token', `repeats or never ends (page ${pages})`);
      }
      seen.add(token);
      const page = await this.call('GET', 'get', jobSchema, { query: { job_id: jobId, page_token: token } });
      const more = (page.settings ?? {}) as Record<string, unknown>;
      for (const key of merged) {
        const next = Array.isArray(more[key]) ? (more[key] as unknown[]) : [];
        if (next.length > 0)
          settings[key] = [...(Array.isArray(settings[key]) ? settings[key] : []), ...next];
      }
      token = page.next_page_token;
    }
    delete job.next_page_token;
    delete job.has_more;
    return { ...job, settings: settings as Job['settings'] };
  }

  /**
   * One page of runs/list, newest first (GET /api/2.2/jobs/runs/list; databricks-sdk-go service/jobs
   * ListRunsRequest: job_id, run_type JOB_RUN|WORKFLOW_RUN|SUBMIT_RUN, completed_only, limit 1–25,
   * page_token). Callers page on `next_page_token` as far as they need.
   */
  listRuns(query: {
    jobId?: DatabricksId;
    runType?: 'JOB_RUN' | 'WORKFLOW_RUN' | 'SUBMIT_RUN';
    completedOnly?: boolean;
    limit?: number;
    pageToken?: string;
  }): Promise<z.infer<typeof listRunsSchema>> {
    return this.call('GET', 'runs/list', listRunsSchema, {
      query: {
        job_id: query.jobId,
        run_type: query.runType,
        completed_only: query.completedOnly,
        limit: query.limit,
        page_token: query.pageToken,
      },
    });
  }

  /** Jobs whose name matches exactly (Databricks filters by name server-side), following pages. */
  async findJobsByName(name: string): Promise<Array<Job & { job_id: DatabricksId }>> {
    const found: Array<Job & { job_id: DatabricksId }> = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page: z.infer<typeof listJobsSchema> = await this.call('GET', 'list', listJobsSchema, {
        query: { name, limit: 100, page_token: pageToken },
      });
      for (const job of page.jobs ?? []) {
        // A listed job without an id cannot be run; the name filter is Databricks', checked again here.
        if (job.job_id !== undefined && job.settings?.name === name)
          found.push({ ...job, job_id: job.job_id });
      }
      pageToken = page.has_more !== false ? page.next_page_token : undefined;
      if (pageToken !== undefined) {
        if (seen.has(pageToken)) throw unusableResponse(`GET ${API}/list`, 'next_page_token', 'repeats');
        seen.add(pageToken);
      }
    } while (pageToken);
    return found;
  }
}
