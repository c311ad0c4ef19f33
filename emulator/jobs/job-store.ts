/**
 * Jobs: their settings as stored (with the defaults Databricks fills in), and listing them newest
 * first with keyset paging and the exact, case-insensitive name filter of jobs/list.
 */
import type { ApiVersion } from '../http/router.js';
import { decodePageToken, encodePageToken } from '../http/page-token.js';
import type { JobSettings } from './job-settings-schema.js';

export interface JobRecord {
  jobId: number;
  creator: string;
  createdTime: number;
  settings: JobSettings;
}

/**
 * The defaults a workspace adds on create and reset (the databricks/cli fake mirrors the same ones
 * from AWS): every task gets run_if ALL_SUCCESS and timeout_seconds 0, the job a name, a concurrency
 * limit of 1, empty notification blocks. Jobs created through API 2.2 queue by default; older versions
 * must opt in with queue.enabled (reference §1.1, "Changes in 2.2").
 */
export function withDefaults(settings: JobSettings, version: ApiVersion | undefined): JobSettings {
  return {
    ...settings,
    name: settings.name ?? 'Untitled',
    max_concurrent_runs: settings.max_concurrent_runs ?? 1,
    timeout_seconds: settings.timeout_seconds ?? 0,
    email_notifications: settings.email_notifications ?? {},
    webhook_notifications: settings.webhook_notifications ?? {},
    format: 'MULTI_TASK',
    ...(settings.queue === undefined && version === '2.2' ? { queue: { enabled: true } } : {}),
    tasks: (settings.tasks ?? []).map((task) => ({
      ...task,
      run_if: task.run_if ?? 'ALL_SUCCESS',
      timeout_seconds: task.timeout_seconds ?? 0,
    })),
  };
}

export function queueEnabled(settings: JobSettings): boolean {
  return settings.queue?.enabled === true;
}

export interface JobPage {
  jobs: JobRecord[];
  nextPageToken?: string;
}

export class JobStore {
  private readonly jobs = new Map<number, JobRecord>();

  get(jobId: number): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  put(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
  }

  delete(jobId: number): boolean {
    return this.jobs.delete(jobId);
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  clear(): void {
    this.jobs.clear();
  }

  get size(): number {
    return this.jobs.size;
  }

  list(options: { limit: number; pageToken?: string; offset?: number; name?: string }): JobPage {
    const after = options.pageToken ? decodePageToken(options.pageToken) : undefined;
    const name = options.name?.toLowerCase();
    const matching = [...this.jobs.values()]
      .filter((job) => name === undefined || (job.settings.name ?? '').toLowerCase() === name)
      .sort((a, b) => b.jobId - a.jobId)
      .filter((job) => after === undefined || job.jobId < after)
      .slice(options.offset ?? 0);
    const page = matching.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      jobs: page,
      ...(matching.length > page.length && last ? { nextPageToken: encodePageToken(last.jobId) } : {}),
    };
  }
}
