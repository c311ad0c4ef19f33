/**
 * The typed Jobs API client Lakeloop uses: run-now, runs/submit, runs/get, runs/get-output,
 * runs/cancel, runs/repair, jobs/get and jobs/list. Requests carry only what the caller gives;
 * responses are validated (loosely) with the schemas in jobs-schemas.ts.
 */
import type { DatabricksHttpClient } from './http.js';
import {
  emptyResponseSchema,
  jobSchema,
  listJobsSchema,
  repairResponseSchema,
  runOutputSchema,
  runSchema,
  submitResponseSchema,
  type Job,
  type Run,
  type RunOutput,
} from './jobs-schemas.js';

const API = '/api/2.2/jobs';

export interface RunNowRequest {
  job_id: number;
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
  run_id: number;
  rerun_tasks?: string[];
  rerun_all_failed_tasks?: boolean;
  latest_repair_id?: number;
  [field: string]: unknown;
}

export class JobsClient {
  constructor(private readonly http: DatabricksHttpClient) {}

  runNow(request: RunNowRequest): Promise<{ run_id: number }> {
    return this.http.request('POST', `${API}/run-now`, { body: request, schema: submitResponseSchema });
  }

  submitRun(request: SubmitRunRequest): Promise<{ run_id: number }> {
    return this.http.request('POST', `${API}/runs/submit`, { body: request, schema: submitResponseSchema });
  }

  getRun(runId: number): Promise<Run> {
    return this.http.request('GET', `${API}/runs/get`, { query: { run_id: runId }, schema: runSchema });
  }

  /** Only valid on a task run (`run.tasks[].run_id`); Databricks rejects it on a job run. */
  getRunOutput(taskRunId: number): Promise<RunOutput> {
    return this.http.request('GET', `${API}/runs/get-output`, {
      query: { run_id: taskRunId },
      schema: runOutputSchema,
    });
  }

  async cancelRun(runId: number): Promise<void> {
    await this.http.request('POST', `${API}/runs/cancel`, {
      body: { run_id: runId },
      schema: emptyResponseSchema,
    });
  }

  repairRun(request: RepairRunRequest): Promise<{ repair_id: number }> {
    return this.http.request('POST', `${API}/runs/repair`, { body: request, schema: repairResponseSchema });
  }

  getJob(jobId: number): Promise<Job> {
    return this.http.request('GET', `${API}/get`, { query: { job_id: jobId }, schema: jobSchema });
  }

  /** Jobs whose name matches exactly (Databricks filters by name server-side), following pages. */
  async findJobsByName(name: string): Promise<Job[]> {
    const found: Job[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.http.request('GET', `${API}/list`, {
        query: { name, limit: 100, page_token: pageToken },
        schema: listJobsSchema,
      });
      found.push(...(page.jobs ?? []).filter((job) => job.settings?.name === name));
      pageToken = page.has_more ? page.next_page_token : undefined;
    } while (pageToken);
    return found;
  }
}
